import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createIcmpProbe, icmpProbe } from '../../../checks/icmp.js';
import { CheckError } from '../../../lib/errors.js';
import { checkTarget } from '../../helpers/check-targets.js';

function pingPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v ping'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

describe('icmp probe', () => {
  it('has the system ping to run (install iputils-ping)', () => {
    expect(pingPath(), 'the icmp tests need the system `ping` (apt-get install iputils-ping)').not.toBe('');
  });

  it('passes its preflight on this machine', async () => {
    await expect(icmpProbe.preflight?.(AbortSignal.timeout(5000))).resolves.toBeUndefined();
  });

  it('gets an echo reply from 127.0.0.1 with the rtt ping printed', async () => {
    const result = await icmpProbe.run(checkTarget('icmp', { address: '127.0.0.1' }, { timeoutMs: 2000 }), AbortSignal.timeout(2000));
    expect(result).toMatchObject({ ok: true });
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.latencyMs).toBeLessThan(100);
  });

  it('reports an aborted ping as a timeout when the deadline hits', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    const result = await icmpProbe.run(checkTarget('icmp', { address: '127.0.0.1' }, { timeoutMs: 750 }), controller.signal);
    expect(result).toMatchObject({ ok: false, reason: 'timeout after 750ms' });
  });

  it('fails its preflight with CHECK_ICMP_UNAVAILABLE and a clear message when ping is missing', async () => {
    const probe = createIcmpProbe({ command: 'rondo-no-such-ping' });
    const error: unknown = await probe.preflight?.(AbortSignal.timeout(5000)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(CheckError);
    expect(error).toMatchObject({ code: 'CHECK_ICMP_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/not installed or not on PATH.*iputils-ping/);
    const result = await probe.run(checkTarget('icmp', { address: '127.0.0.1' }), AbortSignal.timeout(2000));
    expect(result).toMatchObject({ ok: false, reason: 'rondo-no-such-ping not found' });
  });
});
