import { describe, expect, it } from 'vitest';
import { ANSWER_LOG_FIRST, Observer } from '../../../report/observe.js';
import type { ObservedPool } from '../../../report/observe.js';
import { resolverKeyFromAddress } from '../../../report/resolver-key.js';
import { ANSWER_LOG_CAPACITY, assertSnapshot, gapBucket, mergeAllSnapshots, mergeSnapshots } from '../../../report/snapshot.js';
import type { ObservationSnapshot } from '../../../report/snapshot.js';

function pool(addresses: string[], ttl = 30, key = 'www.example.test./A'): ObservedPool {
  return {
    key,
    name: 'www.example.test.',
    type: 1,
    ttl,
    config: { policy: 'round-robin', answers: 1 },
    members: addresses.map((address) => ({ address, weight: 1 })),
  };
}

const A = ['192.0.2.10', '192.0.2.11', '192.0.2.12'];
const R1 = resolverKeyFromAddress('198.51.100.1');
const R2 = resolverKeyFromAddress('203.0.113.1');

describe('Observer', () => {
  it('forgets pools no longer served in steps (retainer), as retainPools does at once', () => {
    const make = () => {
      const o = new Observer({ startMs: 0 });
      for (let i = 0; i < 10; i++) o.record(o.registerPool(pool(A, 30, `p${i}.example.test./A`)), [0], R1, 1000);
      return o;
    };
    const keep = { has: (key: string) => key.startsWith('p1') || key.startsWith('p3') };
    const whole = make();
    whole.retainPools(keep);
    const stepped = make();
    const step = stepped.retainer(keep);
    let calls = 1;
    while (!step(3)) calls++;
    expect(calls).toBe(4); // 10 pools, 3 a step
    const keys = (o: Observer) => o.toSnapshot(2000).pools.map((p) => p.key);
    expect(keys(stepped)).toEqual(['p1.example.test./A', 'p3.example.test./A']);
    expect(keys(stepped)).toEqual(keys(whole));
    expect(stepped.stats().tracked).toBe(whole.stats().tracked);
  });

  it('counts first and included members per answer', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A));
    o.record(p, [0, 1], R1, 1000);
    o.record(p, [1, 2], R1, 2000);
    o.record(p, [1], R2, 2500);
    const s = o.toSnapshot(3000).pools[0]!;
    expect(s.answersTotal).toBe(3);
    expect(s.first).toEqual([1, 2, 0]);
    expect(s.included).toEqual([1, 3, 1]);
  });

  it('keeps gap aggregates and what each resolver was given', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A));
    for (const [t, m] of [
      [0, 0],
      [31_000, 1],
      [63_000, 2],
      [96_000, 0],
    ] as const) {
      o.record(p, [m], R1, t);
    }
    o.record(p, [0, 1], R2, 5000);
    const s = o.toSnapshot(100_000).pools[0]!;
    const r1 = s.resolvers.find((r) => r.key === '198.51.100.1')!;
    expect(r1.queries).toBe(4);
    expect(r1.gapCount).toBe(3);
    expect(r1.gapMinMs).toBe(31_000);
    expect(r1.gapSumMs).toBe(96_000);
    expect(r1.gapSumSqMs).toBe(31_000 ** 2 + 32_000 ** 2 + 33_000 ** 2);
    expect(r1.given).toEqual([2, 1, 1]);
    // 31 s is in [16, 32) s; 32 s and 33 s are in [32, 64) s.
    expect(r1.hist[gapBucket(31_000)]).toBe(1);
    expect(r1.hist[gapBucket(33_000)]).toBe(2);
    expect(r1.hist.reduce((a, b) => a + b, 0)).toBe(3);
    const r2 = s.resolvers.find((r) => r.key === '203.0.113.1')!;
    expect(r2.gapCount).toBe(0);
    expect(r2.given).toEqual([0.5, 0.5, 0]);
  });

  it('keeps the TTL each answer carried: held time per gap and the idle after it (skew=correct TTLs)', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A, 5));
    // Given 1 s, 1 s, then 2 s: re-asks 40 ms, 10 ms and 30 ms after each expiry.
    o.record(p, [0], R1, 1_000, 1);
    o.record(p, [1], R1, 2_040, 1);
    o.record(p, [2], R1, 3_050, 2);
    o.record(p, [0], R1, 5_080);
    const r = o.toSnapshot(6_000).pools[0]!.resolvers[0]!;
    expect(r.heldSumMs).toBe(4_000);
    expect(r.idleMinMs?.[0]).toBe(10);
    // On the grid at 0, each gap is measured from the start of the previous query's second.
    expect(r.idleMinMs?.[1]).toBe(40);
    const merged = mergeSnapshots(o.toSnapshot(6_000), o.toSnapshot(6_000)).pools[0]!.resolvers[0]!;
    expect(merged.heldSumMs).toBe(8_000);
    expect(merged.idleMinMs).toEqual(r.idleMinMs);
  });

  it('puts gaps in log2 buckets from half a second', () => {
    expect(gapBucket(0)).toBe(0);
    expect(gapBucket(499)).toBe(0);
    expect(gapBucket(500)).toBe(1);
    expect(gapBucket(999)).toBe(1);
    expect(gapBucket(1000)).toBe(2);
    expect(gapBucket(30_000)).toBe(6);
    expect(gapBucket(1e12)).toBe(15);
  });

  it('counts queries over the cap into the rest and keeps totals whole', () => {
    const o = new Observer({ startMs: 0, maxResolvers: 2 });
    const p = o.registerPool(pool(A));
    for (let i = 0; i < 5; i++) o.record(p, [i % 3], resolverKeyFromAddress(`198.51.${i}.1`), 1000 * i);
    expect(o.stats().tracked).toBe(2);
    expect(o.stats().untrackedQueries).toBe(3);
    const s = o.toSnapshot(10_000).pools[0]!;
    expect(s.resolvers).toHaveLength(2);
    expect(s.rest.queries).toBe(3);
    expect(s.rest.load.reduce((a, b) => a + b, 0)).toBe(3);
    expect(s.answersTotal).toBe(5);
  });

  it('ages out resolvers idle for idleMs', () => {
    const o = new Observer({ startMs: 0, maxResolvers: 100, idleMs: 60_000 });
    const p = o.registerPool(pool(A));
    for (let i = 0; i < 10; i++) o.record(p, [0], resolverKeyFromAddress(`198.51.${i}.1`), i * 1000);
    o.sweep(65_000); // resolvers 0..4 were last seen more than 60 s ago
    expect(o.stats().tracked).toBe(5);
    const s = o.toSnapshot(65_000).pools[0]!;
    expect(s.rest.resolvers).toBe(5);
    expect(s.rest.load).toEqual([5, 0, 0]);
    expect(s.resolvers.map((r) => r.key).sort()).toEqual(['198.51.5.1', '198.51.6.1', '198.51.7.1', '198.51.8.1', '198.51.9.1']);
  });

  it('sweeps in steps of pools (sweeper) as sweep() does at once, the cap last', () => {
    const make = () => {
      const o = new Observer({ startMs: 0, maxResolvers: 20, idleMs: 60_000 });
      for (let k = 0; k < 5; k++) {
        const p = o.registerPool(pool(A, 30, `p${k}.example.test./A`));
        for (let i = 0; i < 4; i++) o.record(p, [i % 3], resolverKeyFromAddress(`198.51.${k * 10 + i}.1`), (k * 4 + i) * 1000);
      }
      return o;
    };
    const whole = make();
    whole.sweep(70_000); // idle: seen before 10 s (10 resolvers); then 10 left, under 90% of 20
    const stepped = make();
    const step = stepped.sweeper(70_000);
    let calls = 1;
    while (!step(2)) calls++;
    expect(calls).toBe(3); // 5 pools, 2 a step
    expect(stepped.stats().tracked).toBe(whole.stats().tracked);
    expect(stepped.toSnapshot(70_000)).toEqual(whole.toSnapshot(70_000));
  });

  it('evicts the least recently seen above 90% of the cap, and reuses their slots', () => {
    const o = new Observer({ startMs: 0, maxResolvers: 10, idleMs: 3_600_000 });
    const p = o.registerPool(pool(A));
    for (let i = 0; i < 10; i++) o.record(p, [i % 3], resolverKeyFromAddress(`198.51.${i}.1`), i * 1000);
    o.sweep(20_000);
    expect(o.stats().tracked).toBe(8);
    const s = o.toSnapshot(20_000).pools[0]!;
    expect(s.rest.resolvers).toBe(2);
    expect(s.rest.queries + s.resolvers.reduce((a, r) => a + r.queries, 0)).toBe(10);
    expect(s.resolvers.map((r) => r.key)).not.toContain('198.51.0.1');
    expect(s.resolvers.map((r) => r.key)).not.toContain('198.51.1.1');
    o.record(p, [2], resolverKeyFromAddress('198.51.200.1'), 21_000);
    o.record(p, [2], resolverKeyFromAddress('198.51.201.1'), 21_000);
    expect(o.stats().tracked).toBe(10);
    expect(o.stats().untrackedQueries).toBe(0);
  });

  it('keeps a pool index across reloads and moves counts by address', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A));
    o.record(p, [2], R1, 0);
    o.record(p, [2], R1, 30_000);
    const again = o.registerPool(pool(['192.0.2.12', '192.0.2.99']));
    expect(again).toBe(p);
    o.record(p, [0], R1, 61_000);
    const s = o.toSnapshot(70_000).pools[0]!;
    expect(s.members.map((m) => m.address)).toEqual(['192.0.2.12', '192.0.2.99']);
    expect(s.first).toEqual([3, 0]);
    const r = s.resolvers[0]!;
    expect(r.given).toEqual([3, 0]);
    expect(r.gapCount).toBe(2);
  });

  it('folds all but the busiest resolvers when the export is limited', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A));
    for (let i = 0; i < 3; i++) o.record(p, [0], R1, i * 30_000);
    o.record(p, [1], R2, 0);
    const s = o.toSnapshot(100_000, { maxResolversPerPool: 1 }).pools[0]!;
    expect(s.resolvers.map((r) => r.key)).toEqual(['198.51.100.1']);
    expect(s.rest).toEqual({ resolvers: 1, queries: 1, load: [0, 1, 0] });
  });

  it('snapshots survive JSON', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A));
    o.record(p, [0], R1, 0);
    const s = JSON.parse(JSON.stringify(o.toSnapshot(1000))) as unknown;
    expect(() => assertSnapshot(s)).not.toThrow();
    expect(() => assertSnapshot({ version: 99, pools: [] })).toThrow(expect.objectContaining({ code: 'REPORT_BAD_SNAPSHOT' }));
  });
});

describe('mergeSnapshots', () => {
  function server(seed: number, startMs: number): ObservationSnapshot {
    const o = new Observer({ startMs });
    const p = o.registerPool(pool(A));
    const q = o.registerPool(pool(['2001:db8::10', '2001:db8::11'], 20, 'www.example.test./AAAA'));
    for (let i = 0; i < 6; i++) {
      o.record(p, [(i + seed) % 3], i % 2 === 0 ? R1 : R2, startMs + i * 31_000 + seed);
      if (seed % 2 === 0) o.record(q, [i % 2], R1, startMs + i * 21_000);
    }
    return o.toSnapshot(startMs + 400_000 + seed);
  }

  function normalised(s: ObservationSnapshot): unknown {
    return {
      ...s,
      pools: [...s.pools]
        .sort((a, b) => a.key.localeCompare(b.key))
        .map((p) => ({ ...p, resolvers: [...p.resolvers].sort((a, b) => a.key.localeCompare(b.key)) })),
    };
  }

  it('adds counts, keeps minima and maxima, and is commutative and associative', () => {
    const a = server(1, 0);
    const b = server(2, 5000);
    const c = server(4, 1000);
    const ab = mergeSnapshots(a, b);
    expect(ab.sources).toBe(2);
    expect(ab.sinceMs).toBe(0);
    expect(ab.takenAtMs).toBe(b.takenAtMs);
    const pa = a.pools[0]!;
    const pb = b.pools[0]!;
    const m = ab.pools.find((p) => p.key === pa.key)!;
    expect(m.answersTotal).toBe(pa.answersTotal + pb.answersTotal);
    expect(m.first).toEqual(pa.first.map((v, i) => v + pb.first[i]!));
    const r = m.resolvers.find((x) => x.key === '198.51.100.1')!;
    const ra = pa.resolvers.find((x) => x.key === r.key)!;
    const rb = pb.resolvers.find((x) => x.key === r.key)!;
    expect(r.queries).toBe(ra.queries + rb.queries);
    expect(r.gapMinMs).toBe(Math.min(ra.gapMinMs, rb.gapMinMs));
    expect(r.firstMs).toBe(Math.min(ra.firstMs, rb.firstMs));
    expect(r.lastMs).toBe(Math.max(ra.lastMs, rb.lastMs));
    // A pool only b has comes through as it is.
    expect(ab.pools.find((p) => p.key.endsWith('AAAA'))).toEqual(b.pools.find((p) => p.key.endsWith('AAAA')));
    expect(normalised(mergeSnapshots(b, a))).toEqual(normalised(ab));
    expect(normalised(mergeSnapshots(mergeSnapshots(a, b), c))).toEqual(normalised(mergeSnapshots(a, mergeSnapshots(b, c))));
    expect(mergeAllSnapshots([a, b, c])?.sources).toBe(3);
    expect(mergeAllSnapshots([])).toBeUndefined();
  });

  it('aligns members by address when servers run different zone versions', () => {
    const o1 = new Observer({ startMs: 0 });
    o1.record(o1.registerPool(pool(['192.0.2.10', '192.0.2.11'])), [1], R1, 0);
    const o2 = new Observer({ startMs: 0 });
    o2.record(o2.registerPool(pool(['192.0.2.11', '192.0.2.12'])), [0], R1, 10);
    const m = mergeSnapshots(o1.toSnapshot(100), o2.toSnapshot(200)).pools[0]!;
    expect(m.members.map((x) => x.address)).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12']);
    expect(m.first).toEqual([0, 2, 0]);
    expect(m.resolvers[0]!.given).toEqual([0, 2, 0]);
  });
});

describe('the answer log', () => {
  it('goes with each resolver in the snapshot: when, and which member came first, oldest first', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool(pool(A, 5));
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
    const p = o.registerPool(pool(A, 5));
    const n = ANSWER_LOG_CAPACITY + 100;
    for (let i = 0; i < n; i++) o.record(p, [i % 3], R1, i * 10);
    const log = o.toSnapshot(n * 10).pools[0]!.resolvers[0]!.answers!;
    expect(log.atMs).toHaveLength(ANSWER_LOG_CAPACITY);
    expect(log.atMs[0]).toBe(100 * 10);
    expect(log.atMs[log.atMs.length - 1]).toBe((n - 1) * 10);
    expect(log.member.slice(0, 3)).toEqual([100 % 3, 101 % 3, 102 % 3]);

    const off = new Observer({ startMs: 0, answerLogBudget: 0 });
    const q = off.registerPool(pool(A, 5));
    off.record(q, [0], R1, 1000);
    expect(off.toSnapshot(2000).pools[0]!.resolvers[0]!.answers).toBeUndefined();
  });

  it('stays within the budget across pools, and only the busiest pools export theirs', () => {
    const o = new Observer({ startMs: 0, answerLogBudget: ANSWER_LOG_FIRST * 3 });
    const indices = Array.from({ length: 5 }, (_, i) => o.registerPool(pool(A, 5, `p${i}.example.test./A`)));
    for (const [i, p] of indices.entries()) for (let k = 0; k <= i; k++) o.record(p, [0], R1, 1000 + k);
    const withLog = (s: ReturnType<Observer['toSnapshot']>) => s.pools.filter((x) => x.resolvers[0]?.answers !== undefined).map((x) => x.key);
    // Three pools got a log (ANSWER_LOG_FIRST entries each); the other two have none.
    expect(withLog(o.toSnapshot(5000, { maxLogPools: 10 }))).toEqual(['p0.example.test./A', 'p1.example.test./A', 'p2.example.test./A']);
    expect(withLog(o.toSnapshot(5000, { maxLogPools: 1 }))).toEqual(['p2.example.test./A']);
  });

  it('follows members by address across a reload, and merges two servers by time', () => {
    const a = new Observer({ startMs: 0 });
    const p = a.registerPool(pool(A, 5));
    a.record(p, [2], R1, 1000);
    a.registerPool(pool(['192.0.2.12', '192.0.2.10'], 5));
    a.record(p, [1], R1, 2000);
    const sa = a.toSnapshot(3000);
    expect(sa.pools[0]!.resolvers[0]!.answers).toEqual({ atMs: [1000, 2000], member: [0, 1] });

    const b = new Observer({ startMs: 0 });
    const q = b.registerPool(pool(['192.0.2.10', '192.0.2.12'], 5));
    b.record(q, [1], R1, 1500);
    const merged = mergeSnapshots(sa, b.toSnapshot(3000));
    const log = merged.pools[0]!.resolvers[0]!.answers!;
    const addresses = merged.pools[0]!.members.map((m) => m.address);
    expect(log.atMs).toEqual([1000, 1500, 2000]);
    expect(log.member.map((m) => addresses[m])).toEqual(['192.0.2.12', '192.0.2.12', '192.0.2.10']);
  });
});
