import { describe, expect, it } from 'vitest';
import { ANSWER_LOG_CAPACITY, Observer } from '../../../report/observe.js';
import type { ObservedPool } from '../../../report/observe.js';
import { resolverKeyFromAddress } from '../../../report/resolver-key.js';
import { mergeSnapshots } from '../../../report/snapshot.js';

function pool(addresses: string[], key = 'www.example.test./A'): ObservedPool {
  return {
    key,
    name: 'www.example.test.',
    type: 1,
    ttl: 5,
    config: { policy: 'round-robin', answers: 1 },
    members: addresses.map((address) => ({ address, weight: 1 })),
  };
}

const A = ['192.0.2.10', '192.0.2.11', '192.0.2.12'];
const R1 = resolverKeyFromAddress('198.51.100.1');
const R2 = resolverKeyFromAddress('203.0.113.1');

describe('the answer log', () => {
  it('goes with each resolver in the snapshot: when, and which member came first, oldest first', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A));
    o.record(p, [0, 1, 2], R1, 1000);
    o.record(p, [1, 2, 0], R2, 1500);
    o.record(p, [2, 0, 1], R1, 6000);
    const s = o.toSnapshot(7000);
    const byKey = new Map(s.pools[0]!.resolvers.map((r) => [r.key, r.answers]));
    expect(byKey.get('198.51.100.1')).toEqual({ atMs: [1000, 6000], member: [0, 2] });
    expect(byKey.get('203.0.113.1')).toEqual({ atMs: [1500], member: [1] });
  });

  it('keeps the newest answers once full, and none without a budget', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A));
    const n = ANSWER_LOG_CAPACITY + 100;
    for (let i = 0; i < n; i++) o.record(p, [i % 3], R1, i * 10);
    const log = o.toSnapshot(n * 10).pools[0]!.resolvers[0]!.answers!;
    expect(log.atMs).toHaveLength(ANSWER_LOG_CAPACITY);
    expect(log.atMs[0]).toBe(100 * 10);
    expect(log.atMs[log.atMs.length - 1]).toBe((n - 1) * 10);
    expect(log.member.slice(0, 3)).toEqual([100 % 3, 101 % 3, 102 % 3]);

    const off = new Observer({ startMs: 0, answerLogBudget: 0 });
    const q = off.registerPool(pool(A));
    off.record(q, [0], R1, 1000);
    expect(off.toSnapshot(2000).pools[0]!.resolvers[0]!.answers).toBeUndefined();
  });

  it('stays within the budget across pools, and only the busiest pools export theirs', () => {
    const o = new Observer({ startMs: 0, answerLogBudget: 64 * 3 });
    const indices = Array.from({ length: 5 }, (_, i) => o.registerPool(pool(A, `p${i}.example.test./A`)));
    for (const [i, p] of indices.entries()) for (let k = 0; k <= i; k++) o.record(p, [0], R1, 1000 + k);
    const withLog = (s: ReturnType<Observer['toSnapshot']>) => s.pools.filter((x) => x.resolvers[0]?.answers !== undefined).map((x) => x.key);
    // Three pools got a log (64 entries each); the other two have none.
    expect(withLog(o.toSnapshot(5000, { maxLogPools: 10 }))).toEqual(['p0.example.test./A', 'p1.example.test./A', 'p2.example.test./A']);
    expect(withLog(o.toSnapshot(5000, { maxLogPools: 1 }))).toEqual(['p2.example.test./A']);
  });

  it('follows members by address across a reload, and merges two servers by time', () => {
    const a = new Observer({ startMs: 0 });
    const p = a.registerPool(pool(A));
    a.record(p, [2], R1, 1000);
    a.registerPool(pool(['192.0.2.12', '192.0.2.10']));
    a.record(p, [1], R1, 2000);
    const sa = a.toSnapshot(3000);
    expect(sa.pools[0]!.resolvers[0]!.answers).toEqual({ atMs: [1000, 2000], member: [0, 1] });

    const b = new Observer({ startMs: 0 });
    const q = b.registerPool(pool(['192.0.2.10', '192.0.2.12']));
    b.record(q, [1], R1, 1500);
    const merged = mergeSnapshots(sa, b.toSnapshot(3000));
    const log = merged.pools[0]!.resolvers[0]!.answers!;
    const addresses = merged.pools[0]!.members.map((m) => m.address);
    expect(log.atMs).toEqual([1000, 1500, 2000]);
    expect(log.member.map((m) => addresses[m])).toEqual(['192.0.2.12', '192.0.2.12', '192.0.2.10']);
  });
});
