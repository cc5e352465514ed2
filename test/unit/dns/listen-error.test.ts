import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { listenError } from '../../../dns/listen-error.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`bind ${code}`), { code });

describe('listenError', () => {
  it('tells the operator the three ways out of EACCES on a privileged port', () => {
    const err = listenError(errno('EACCES'), '0.0.0.0', 53, 'udp');
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('DNS_LISTEN_PERMISSION');
    expect(err.message).toContain('0.0.0.0:53/udp');
    expect(err.message).toContain('port ≥ 1024');
    expect(err.message).toContain("setcap 'cap_net_bind_service=+ep' $(which node)");
    expect(err.message).toContain('net.ipv4.ip_unprivileged_port_start');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it.each([
    ['EADDRINUSE', 'DNS_LISTEN_IN_USE'],
    ['EADDRNOTAVAIL', 'DNS_LISTEN_UNAVAILABLE'],
    ['EINVAL', 'DNS_LISTEN_FAILED'],
  ])('maps %s to %s and names the address', (code, expected) => {
    const err = listenError(errno(code), '::1', 5353, 'tcp');
    expect((err as ConfigError).code).toBe(expected);
    expect(err.message).toContain('[::1]:5353/tcp');
  });
});
