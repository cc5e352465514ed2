import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryHealthStore } from '../../../health/memory-store.js';
import { latencySignificantlyChanged } from '../../../model/health.js';
import type { HealthChange, Verdict } from '../../../model/health.js';
import { manualClock } from '../../../lib/clock.js';

const T1 = 'example.org./web/192.0.2.10/80';
const T2 = 'example.org./web/192.0.2.11/80';

function verdict(targetId: string, at: number, fields: Partial<Verdict> = {}): Verdict {
  return { targetId, checker: 'node-a', state: 'up', latencyMs: 10, load: undefined, reason: 'ok', at, ttlMs: 3000, ...fields };
}

function setup() {
  const clock = manualClock(1_000_000);
  const store = new MemoryHealthStore({ clock, sweepIntervalMs: 0 });
  const changes: HealthChange[] = [];
  store.subscribe((c) => changes.push(c));
  return { clock, store, changes };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryHealthStore verdicts', () => {
  it('starts empty at version 0 and makes a new view per change, listing the changed targets', () => {
    const { clock, store, changes } = setup();
    const empty = store.view();
    expect(empty.version).toBe(0);
    expect(empty.get(T1)).toBeUndefined();

    store.publish(verdict(T1, clock.now()));
    expect(changes).toHaveLength(1);
    expect(changes[0]?.changed).toEqual([T1]);
    expect(changes[0]?.view).toBe(store.view());
    expect(store.view().version).toBe(1);
    expect(store.view().get(T1)).toEqual({ state: 'up', latencyMs: 10, load: undefined, reason: 'ok', since: clock.now() });
    // The old view is untouched.
    expect(empty.get(T1)).toBeUndefined();
  });

  it('does not notify a repeated verdict, nor a change of reason alone', () => {
    const { clock, store, changes } = setup();
    store.publish(verdict(T1, clock.now()));
    clock.advance(1000);
    store.publish(verdict(T1, clock.now()));
    store.publish(verdict(T1, clock.now(), { reason: 'ECONNREFUSED' }));
    expect(changes).toHaveLength(1);
    expect(store.view().version).toBe(1);
  });

  it('notifies state and load changes, and keeps since until the state changes', () => {
    const { clock, store, changes } = setup();
    const start = clock.now();
    store.publish(verdict(T1, start));
    clock.advance(1000);
    store.publish(verdict(T1, clock.now(), { load: 4 }));
    expect(store.view().get(T1)).toMatchObject({ load: 4, since: start });
    clock.advance(1000);
    store.publish(verdict(T1, clock.now(), { state: 'down', reason: 'ECONNREFUSED', load: 4 }));
    expect(store.view().get(T1)).toMatchObject({ state: 'down', reason: 'ECONNREFUSED', since: clock.now() });
    expect(changes.map((c) => c.view.version)).toEqual([1, 2, 3]);
  });

  it('notifies latency moves of at least 1 ms and more than 10%', () => {
    const { clock, store, changes } = setup();
    store.publish(verdict(T1, clock.now(), { latencyMs: 20 }));
    store.publish(verdict(T1, clock.now(), { latencyMs: 21.5 })); // 1.5 ms but 7.5%
    expect(changes).toHaveLength(1);
    store.publish(verdict(T1, clock.now(), { latencyMs: 23 })); // 3 ms, 15% of the published 20
    expect(changes).toHaveLength(2);
    expect(store.view().get(T1)?.latencyMs).toBe(23);
    expect(latencySignificantlyChanged(0.2, 0.9)).toBe(false); // sub-millisecond jitter
    expect(latencySignificantlyChanged(100, 109)).toBe(false);
    expect(latencySignificantlyChanged(100, 111)).toBe(true);
    expect(latencySignificantlyChanged(undefined, 1)).toBe(true);
    expect(latencySignificantlyChanged(undefined, undefined)).toBe(false);
  });

  it('ignores a verdict older than the one it holds', () => {
    const { clock, store } = setup();
    store.publish(verdict(T1, clock.now(), { state: 'down', reason: 'ECONNREFUSED' }));
    store.publish(verdict(T1, clock.now() - 500, { state: 'up' }));
    expect(store.view().get(T1)?.state).toBe('down');
  });

  it('turns a target back to unknown when its verdict expires', () => {
    const { clock, store, changes } = setup();
    store.publish(verdict(T1, clock.now(), { ttlMs: 3000, load: 2 }));
    store.publish(verdict(T2, clock.now() + 2000, { ttlMs: 3000 }));
    store.sweep(clock.now() + 2999);
    expect(store.view().get(T1)?.state).toBe('up');
    store.sweep(clock.now() + 3000);
    expect(store.view().get(T1)).toEqual({
      state: 'unknown',
      latencyMs: undefined,
      load: undefined,
      reason: 'verdict expired',
      since: clock.now() + 3000,
    });
    expect(store.view().get(T2)?.state).toBe('up');
    expect(changes.at(-1)?.changed).toEqual([T1]);
    const version = store.view().version;
    store.sweep(clock.now() + 3500);
    expect(store.view().version).toBe(version);
  });

  it('does not count a verdict that arrives already expired', () => {
    const { clock, store } = setup();
    store.publish(verdict(T1, clock.now() - 5000, { ttlMs: 3000 }));
    expect(store.view().get(T1)).toBeUndefined();
  });

  it('sweeps on its own timer, unref-ed, and stops on close()', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const store = new MemoryHealthStore();
    store.publish(verdict(T1, Date.now(), { ttlMs: 3000 }));
    vi.advanceTimersByTime(3000);
    expect(store.view().get(T1)?.state).toBe('unknown');
    store.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('MemoryHealthStore overrides', () => {
  it('drain and force-down answer down, force-up answers up, with the override named', () => {
    const { clock, store } = setup();
    store.publish(verdict(T1, clock.now()));
    store.publish(verdict(T2, clock.now(), { state: 'down', reason: 'ECONNREFUSED' }));
    store.setOverride(T1, 'drain');
    expect(store.view().get(T1)).toMatchObject({ state: 'down', override: 'drain' });
    store.setOverride(T1, 'force-down');
    expect(store.view().get(T1)).toMatchObject({ state: 'down', override: 'force-down' });
    store.setOverride(T2, 'force-up');
    expect(store.view().get(T2)).toMatchObject({ state: 'up', override: 'force-up' });
  });

  it('survives new verdicts and clears back to the verdict', () => {
    const { clock, store } = setup();
    store.setOverride(T1, 'force-down');
    store.publish(verdict(T1, clock.now()));
    expect(store.view().get(T1)).toMatchObject({ state: 'down', override: 'force-down' });
    store.setOverride(T1, undefined);
    expect(store.view().get(T1)).toEqual({ state: 'up', latencyMs: 10, load: undefined, reason: 'ok', since: clock.now() });
  });

  it('applies to a target no checker has reported, and lapses at untilMs', () => {
    const { clock, store, changes } = setup();
    store.setOverride(T1, 'force-up', clock.now() + 60_000);
    expect(store.view().get(T1)).toMatchObject({ state: 'up', override: 'force-up' });
    store.sweep(clock.now() + 59_999);
    expect(store.view().get(T1)?.override).toBe('force-up');
    store.sweep(clock.now() + 60_000);
    expect(store.view().get(T1)).toMatchObject({ state: 'unknown' });
    expect(store.view().get(T1)?.override).toBeUndefined();
    expect(changes).toHaveLength(2);
  });
});

describe('MemoryHealthStore subscribers', () => {
  it('unsubscribes, and one failing listener does not stop the others', () => {
    const { clock, store } = setup();
    const seen: number[] = [];
    store.subscribe(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = store.subscribe((c) => seen.push(c.view.version));
    store.publish(verdict(T1, clock.now()));
    unsubscribe();
    store.publish(verdict(T1, clock.now(), { state: 'down', reason: 'x' }));
    expect(seen).toEqual([1]);
    expect(store.view().version).toBe(2);
  });

  it('hands out frozen views and health records', () => {
    const { clock, store } = setup();
    store.publish(verdict(T1, clock.now()));
    const view = store.view();
    expect(Object.isFrozen(view)).toBe(true);
    expect(Object.isFrozen(view.get(T1))).toBe(true);
  });
});

describe('MemoryHealthStore with batchVerdicts', () => {
  function batched() {
    const clock = manualClock(1_000_000);
    const store = new MemoryHealthStore({ clock, sweepIntervalMs: 0, batchVerdicts: true });
    const changes: HealthChange[] = [];
    store.subscribe((c) => changes.push(c));
    return { clock, store, changes };
  }
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it("applies a turn's verdicts together on the next turn: one view, one notification", async () => {
    const { clock, store, changes } = batched();
    store.publish(verdict(T1, clock.now()));
    store.publish(verdict(T2, clock.now(), { state: 'down', reason: 'timeout after 1000ms' }));
    store.publish(verdict(T1, clock.now(), { state: 'down', reason: 'HTTP 503' }));
    expect(changes).toHaveLength(0);
    expect(store.view().version).toBe(0);
    await nextTurn();
    expect(changes).toHaveLength(1);
    expect([...(changes[0]?.changed ?? [])].sort()).toEqual([T1, T2].sort());
    expect(store.view().version).toBe(1);
    // The latest verdict of the turn decides.
    expect(store.view().get(T1)?.state).toBe('down');
    expect(store.view().get(T2)?.reason).toBe('timeout after 1000ms');
    await nextTurn();
    expect(changes).toHaveLength(1);
  });

  it('flush() applies pending verdicts at once, and overrides and sweeps apply them first', () => {
    const { clock, store, changes } = batched();
    store.publish(verdict(T1, clock.now()));
    store.flush();
    expect(changes.map((c) => c.changed)).toEqual([[T1]]);
    store.publish(verdict(T2, clock.now()));
    store.setOverride(T1, 'drain');
    // The verdict made before the override is notified before it.
    expect(changes.map((c) => c.changed)).toEqual([[T1], [T2], [T1]]);
    store.publish(verdict(T2, clock.now(), { state: 'down', reason: 'x' }));
    store.sweep();
    expect(changes.map((c) => c.changed)).toEqual([[T1], [T2], [T1], [T2]]);
    store.flush();
    expect(changes).toHaveLength(4);
  });

  it('drops verdicts not applied yet on close()', async () => {
    const { clock, store, changes } = batched();
    store.publish(verdict(T1, clock.now()));
    store.close();
    await nextTurn();
    expect(changes).toHaveLength(0);
    expect(store.view().get(T1)).toBeUndefined();
  });
});
