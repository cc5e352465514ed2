/** Socket bind failures turned into ConfigErrors that tell the operator what to change. */
import net from 'node:net';
import { ConfigError } from '../lib/errors.js';

/** Maps a bind error to a ConfigError naming the address and, for EACCES, the three ways out. */
export function listenError(err: unknown, host: string, port: number, transport: 'udp' | 'tcp'): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${net.isIPv6(host) ? `[${host}]` : host}:${port}/${transport}`;
  if (code === 'EACCES') {
    return new ConfigError(
      'DNS_LISTEN_PERMISSION',
      `cannot listen on ${where}: permission denied for a port below 1024; use a port ≥ 1024, run with CAP_NET_BIND_SERVICE ` +
        `(setcap 'cap_net_bind_service=+ep' $(which node)), or lower sysctl net.ipv4.ip_unprivileged_port_start`,
      { cause: err },
    );
  }
  if (code === 'EADDRINUSE') {
    return new ConfigError('DNS_LISTEN_IN_USE', `cannot listen on ${where}: address already in use (another DNS server running?)`, { cause: err });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'ENOTFOUND') {
    return new ConfigError('DNS_LISTEN_UNAVAILABLE', `cannot listen on ${where}: no such local address (${code})`, { cause: err });
  }
  return new ConfigError('DNS_LISTEN_FAILED', `cannot listen on ${where}: ${(err as Error | undefined)?.message ?? String(err)}`, { cause: err });
}
