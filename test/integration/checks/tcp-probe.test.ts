import { describe, expect, it, onTestFinished } from 'vitest';
import { tcpProbe } from '../../../checks/tcp.js';
import { checkTarget } from '../../helpers/check-targets.js';
import { refusedPort, startTcpBackend } from '../../helpers/backends.js';

describe('tcp probe', () => {
  it('is ok when the port accepts the connection', async () => {
    const backend = await startTcpBackend();
    onTestFinished(() => backend.close());
    const result = await tcpProbe.run(checkTarget('tcp', backend), AbortSignal.timeout(2000));
    expect(result.ok).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThan(2000);
  });

  it('fails with ECONNREFUSED on a port nothing listens on', async () => {
    const port = await refusedPort();
    const result = await tcpProbe.run(checkTarget('tcp', { address: '127.0.0.1', port }), AbortSignal.timeout(2000));
    expect(result).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
  });

  it('follows the listener as it stops and starts on the same port', async () => {
    const backend = await startTcpBackend();
    onTestFinished(() => backend.close());
    const target = checkTarget('tcp', backend);
    expect((await tcpProbe.run(target, AbortSignal.timeout(2000))).ok).toBe(true);
    await backend.stop();
    expect(await tcpProbe.run(target, AbortSignal.timeout(2000))).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
    await backend.start();
    expect((await tcpProbe.run(target, AbortSignal.timeout(2000))).ok).toBe(true);
  });

  it('reports an already aborted signal as such without connecting', async () => {
    const backend = await startTcpBackend();
    onTestFinished(() => backend.close());
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    expect(await tcpProbe.run(checkTarget('tcp', backend), controller.signal)).toMatchObject({ ok: false, reason: 'aborted' });
  });
});
