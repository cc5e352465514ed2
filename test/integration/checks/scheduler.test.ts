import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createIcmpProbe } from '../../../checks/icmp.js';
import { probeFor } from '../../../checks/probes.js';
import { CheckScheduler, type TransitionEvent } from '../../../checks/scheduler.js';
import { MemoryHealthStore } from '../../../health/memory-store.js';
import { CheckError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/logger.js';
import { checkTarget } from '../../helpers/check-targets.js';
import { startHangingBackend, startHttpBackend, startTcpBackend } from '../../helpers/backends.js';

function newScheduler(store: MemoryHealthStore, probes = probeFor) {
  const scheduler = new CheckScheduler({ sink: store, nodeId: 'node-a', logger: silentLogger(), probes });
  onTestFinished(() => scheduler.stop());
  return scheduler;
}

function newStore() {
  const store = new MemoryHealthStore();
  onTestFinished(() => store.close());
  return store;
}

async function nextTransition(scheduler: CheckScheduler): Promise<TransitionEvent> {
  const [event] = (await once(scheduler, 'transition', { signal: AbortSignal.timeout(10_000) })) as [TransitionEvent];
  return event;
}

describe('check scheduler on real backends', () => {
  it('takes a TCP backend down after `fall` refused connects and up again after `rise` successes', async () => {
    const backend = await startTcpBackend();
    onTestFinished(() => backend.close());
    const store = newStore();
    const scheduler = newScheduler(store);
    const target = checkTarget('tcp', backend, { intervalMs: 100, timeoutMs: 80, rise: 2, fall: 2 });
    scheduler.setTargets([target]);

    const up = nextTransition(scheduler);
    await scheduler.start();
    expect(await up).toMatchObject({ target: target.id, from: 'unknown', to: 'up' });
    expect(store.view().get(target.id)).toMatchObject({ state: 'up' });

    const down = nextTransition(scheduler);
    await backend.stop();
    expect(await down).toMatchObject({ from: 'up', to: 'down', reason: 'ECONNREFUSED' });
    expect(store.view().get(target.id)).toMatchObject({ state: 'down', reason: 'ECONNREFUSED' });

    const back = nextTransition(scheduler);
    await backend.start();
    expect(await back).toMatchObject({ from: 'down', to: 'up' });
    expect(store.view().get(target.id)).toMatchObject({ state: 'up' });
  });

  it('marks a hanging HTTP backend down through timeouts, and stop() returns promptly', async () => {
    const hanging = await startHangingBackend();
    onTestFinished(() => hanging.close());
    const store = newStore();
    const scheduler = newScheduler(store);
    scheduler.setTargets([checkTarget('http', hanging, { intervalMs: 150, timeoutMs: 100, fall: 2 })]);
    const down = nextTransition(scheduler);
    await scheduler.start();
    expect(await down).toMatchObject({ from: 'unknown', to: 'down', reason: 'timeout after 100ms' });
    const started = performance.now();
    await scheduler.stop();
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('reports HTTP load to the store', async () => {
    const backend = await startHttpBackend({ headers: { 'X-Load': '3' } });
    onTestFinished(() => backend.close());
    const store = newStore();
    const scheduler = newScheduler(store);
    const target = checkTarget('http', backend, { intervalMs: 100, timeoutMs: 80, rise: 1, loadHeader: 'x-load' });
    scheduler.setTargets([target]);
    await scheduler.start();
    await expect.poll(() => store.view().get(target.id)?.load, { timeout: 5000 }).toBe(3);
    backend.set({ headers: { 'X-Load': '9' } });
    await expect.poll(() => store.view().get(target.id)?.load, { timeout: 5000 }).toBe(9);
  });

  it('refuses to start icmp checks without a working ping, with CHECK_ICMP_UNAVAILABLE', async () => {
    const missing = createIcmpProbe({ command: 'rondo-no-such-ping' });
    const store = newStore();
    const scheduler = newScheduler(store, (kind) => (kind === 'icmp' ? missing : probeFor(kind)));
    scheduler.setTargets([checkTarget('icmp', { address: '127.0.0.1' })]);
    const error: unknown = await scheduler.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(CheckError);
    expect(error).toMatchObject({ code: 'CHECK_ICMP_UNAVAILABLE' });
  });

  it('brings 127.0.0.1 up through icmp', async () => {
    const store = newStore();
    const scheduler = newScheduler(store);
    const target = checkTarget('icmp', { address: '127.0.0.1' }, { intervalMs: 100, timeoutMs: 1000, rise: 1 });
    scheduler.setTargets([target]);
    const up = nextTransition(scheduler);
    await scheduler.start();
    expect(await up).toMatchObject({ to: 'up' });
  });
});
