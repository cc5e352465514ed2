/**
 * The demand estimator against resolvers that keep TTLs in whole seconds (unbound, BIND): their
 * entries expire on a one-second grid, so the gap after our answer is not T + Exp(λ). Each case
 * drives a real Observer with the query times such a resolver sends and checks the estimate.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../../lib/random.js';
import { DEFAULT_DEMAND_OPTIONS, estimateResolverDemand } from '../../../report/demand.js';
import { Observer } from '../../../report/observe.js';
import { mergeSnapshots } from '../../../report/snapshot.js';
import type { ResolverSnapshot } from '../../../report/snapshot.js';

const RAW = { ...DEFAULT_DEMAND_OPTIONS, clients: null };
const POOL = {
  key: 'www.example.test./A',
  name: 'www.example.test.',
  type: 1,
  ttl: 1,
  config: { policy: 'round-robin', answers: 1 as const },
  members: [{ address: '192.0.2.10', weight: 1 }],
};

const exp = (random: Random, rate: number): number => (-Math.log(1 - random.next()) / rate) * 1000;

interface ResolverModel {
  /** Client lookups per second behind the resolver. */
  readonly rate: number;
  readonly ttl: number;
  /** 'unbound': expires at floor(t) + ttl + 1 s; 'bind': floor(t) + ttl; 'exact': t + ttl (ms). */
  readonly cache: 'unbound' | 'bind' | 'exact';
  /** Where the resolver's whole seconds start on our clock (its clock offset), ms. */
  readonly phaseMs?: number;
  readonly cycles: number;
  readonly seed: number;
}

/** The times the resolver asks us: at the first client lookup after each expiry. */
function queryTimes(m: ResolverModel): number[] {
  const random = seededRandom(m.seed);
  const phase = m.phaseMs ?? 0;
  const start = 1_700_000_000_000 + phase;
  const out: number[] = [];
  let expiry = start + 123.4;
  for (let k = 0; k < m.cycles; k++) {
    const q = expiry + exp(random, m.rate);
    out.push(q);
    const whole = Math.floor((q - phase) / 1000) * 1000 + phase;
    expiry = m.cache === 'exact' ? q + m.ttl * 1000 : m.cache === 'unbound' ? whole + (m.ttl + 1) * 1000 : whole + m.ttl * 1000;
  }
  return out;
}

function observed(times: readonly number[], startMs = times[0]!): ResolverSnapshot {
  const observer = new Observer({ startMs });
  const at = observer.registerPool(POOL);
  for (const t of times) observer.record(at, [0], 0xc63364, t);
  return observer.toSnapshot(times[times.length - 1]!).pools[0]!.resolvers[0]!;
}

describe('resolvers that keep TTLs in whole seconds', () => {
  it.each([
    { rate: 80, label: 'busy' },
    { rate: 15, label: 'medium' },
    { rate: 1.5, label: 'quiet' },
  ])('recovers the client rate behind unbound ($label, $rate/s)', ({ rate }) => {
    const r = observed(queryTimes({ rate, ttl: 1, cache: 'unbound', cycles: 3000, seed: 11 }));
    const d = estimateResolverDemand(r, 1, RAW);
    expect(d.flags).not.toContain('shared-key');
    expect(d.flags).not.toContain('prefetch');
    expect(d.ratePerSecond!).toBeGreaterThan(rate * 0.93);
    expect(d.ratePerSecond!).toBeLessThan(rate * 1.07);
    // unbound holds an answer until the second after the TTL runs out: up to 2 s for a 1 s TTL.
    expect(d.ttlEffSeconds!).toBeGreaterThanOrEqual(2);
    expect(d.ttlEffSeconds!).toBeLessThan(2.1);
  });

  it('would read a busy unbound far too low from plain gaps alone', () => {
    // The failure the grid gaps fix: the mean gap is the whole-second TTL, whatever λ is.
    const r = observed(queryTimes({ rate: 80, ttl: 1, cache: 'unbound', cycles: 3000, seed: 12 }));
    const { gridSumMs: _s, gridMinMs: _m, ...plain } = r;
    const d = estimateResolverDemand(plain, 1, RAW);
    expect(d.ratePerSecond!).toBeLessThan(80 / 3);
  });

  it('copes with a resolver clock off by most of a second (the 500 ms grid)', () => {
    const r = observed(queryTimes({ rate: 40, ttl: 5, cache: 'unbound', phaseMs: 960, cycles: 3000, seed: 13 }));
    const d = estimateResolverDemand(r, 5, RAW);
    expect(d.ratePerSecond!).toBeGreaterThan(40 * 0.93);
    expect(d.ratePerSecond!).toBeLessThan(40 * 1.07);
  });

  it('does not take a 1 s TTL on a BIND-style grid for several caches behind one key', () => {
    // floor(t) + 1: plain gaps go down to almost nothing, yet it is one cache.
    const r = observed(queryTimes({ rate: 30, ttl: 1, cache: 'bind', cycles: 3000, seed: 14 }));
    const d = estimateResolverDemand(r, 1, RAW);
    expect(d.flags).not.toContain('shared-key');
    expect(d.ratePerSecond!).toBeGreaterThan(30 * 0.93);
    expect(d.ratePerSecond!).toBeLessThan(30 * 1.07);
  });

  it('still reads a resolver with exact (millisecond) expiry from its plain gaps', () => {
    for (const rate of [50, 2, 0.1]) {
      const r = observed(queryTimes({ rate, ttl: 30, cache: 'exact', cycles: 3000, seed: 15 }));
      const d = estimateResolverDemand(r, 30, RAW);
      expect(d.ttlEffSeconds!).toBeGreaterThanOrEqual(30);
      expect(d.ratePerSecond!).toBeGreaterThan(rate * 0.93);
      expect(d.ratePerSecond!).toBeLessThan(rate * 1.07);
    }
  });

  it('is unbiased for the rate with few gaps: the mean estimate over many short runs', () => {
    // 10 gaps per run: (1 − 1/n)/(mean − min) would read (n − 1)/(n − 2) = 12.5% high.
    const random = seededRandom(16);
    let sum = 0;
    const runs = 4000;
    for (let i = 0; i < runs; i++) {
      const times = queryTimes({ rate: 4, ttl: 30, cache: 'exact', cycles: 11, seed: Math.floor(random.next() * 2 ** 31) });
      sum += estimateResolverDemand(observed(times), 30, RAW).ratePerSecond!;
    }
    expect(sum / runs).toBeGreaterThan(4 * 0.96);
    expect(sum / runs).toBeLessThan(4 * 1.04);
  });

  it('keeps the grid sums when two servers’ snapshots merge, and drops them against an older one', () => {
    const a = new Observer({ startMs: 0 });
    const b = new Observer({ startMs: 0 });
    a.record(a.registerPool(POOL), [0], 1, 1_000);
    a.record(0, [0], 1, 3_250);
    b.record(b.registerPool(POOL), [0], 1, 10_400);
    b.record(0, [0], 1, 12_100);
    const merged = mergeSnapshots(a.toSnapshot(20_000), b.toSnapshot(20_000)).pools[0]!.resolvers[0]!;
    // Grid gaps: 3250 − 1000 = 2250 and 12100 − 10000 = 2100 (offset 0); 3250 − 500 = 2750, 12100 − 9500 = 2600 (offset 500).
    expect(merged.gridSumMs).toEqual([4350, 5350]);
    expect(merged.gridMinMs).toEqual([2100, 2600]);
    const older = a.toSnapshot(20_000);
    const stripped = { ...older, pools: older.pools.map((p) => ({ ...p, resolvers: p.resolvers.map(({ gridSumMs: _s, gridMinMs: _m, ...r }) => r) })) };
    const mixed = mergeSnapshots(stripped, b.toSnapshot(20_000)).pools[0]!.resolvers[0]!;
    expect(mixed.gridSumMs).toBeUndefined();
  });
});
