/** The estimator, the skew metrics, the closed form and the drain curve, against hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { predictCv, predictMemberCv, windowedHhi, zipfShares } from '../../../report/closed-form.js';
import { DEFAULT_CLIENT_MODEL, lagSurvival, normalCdf } from '../../../report/client-model.js';
import type { ClientClass, ClientModel } from '../../../report/client-model.js';
import { DEFAULT_DEMAND_OPTIONS, estimatePoolDemand, estimateResolverDemand, expiringShare } from '../../../report/demand.js';
import { classSurvival, drainCurve, drainGrid, estimateDrain, timeBelow, valueAt } from '../../../report/drain.js';
import { gini, hhi, nEff, skewMetrics } from '../../../report/skew.js';
import { GAP_BUCKETS, gapBucket } from '../../../report/snapshot.js';
import type { PoolSnapshot } from '../../../report/snapshot.js';
import { seededRandom } from '../../../lib/random.js';

function gaps(values: number[]) {
  const hist = new Array<number>(GAP_BUCKETS).fill(0);
  for (const v of values) hist[gapBucket(v)]!++;
  return {
    queries: values.length + 1,
    gapCount: values.length,
    gapMinMs: Math.min(...values),
    gapSumMs: values.reduce((a, b) => a + b, 0),
    gapSumSqMs: values.reduce((a, b) => a + b * b, 0),
    hist,
  };
}

/** The estimator without the client-mix correction: gaps as a plain Poisson stream of lookups. */
const RAW = { ...DEFAULT_DEMAND_OPTIONS, clients: null };

describe('resolver demand estimate', () => {
  it('reads the effective TTL from the shortest gap and the rate from the rest', () => {
    // Gaps 31, 32, 33, 34 s: n = 4, mean 32.5 s, min 31 s → λ = (1 − 2/4) / 1.5 s = 1/3 per s.
    const d = estimateResolverDemand(gaps([31_000, 32_000, 33_000, 34_000]), 30, RAW);
    expect(d.ttlEffSeconds).toBe(31);
    expect(d.ratePerSecond).toBeCloseTo(1 / 3, 10);
    expect(d.loadPerAnswer).toBeCloseTo(32.5 / 3, 10);
    expect(d.flags).toEqual([]);
  });

  it('flags prefetch when gaps are shorter than the TTL', () => {
    const d = estimateResolverDemand(gaps([28_000, 29_000, 30_000]), 30, RAW);
    expect(d.ttlEffSeconds).toBe(28);
    expect(d.flags).toContain('prefetch');
  });

  it('flags a clamp when every gap is longer than the TTL', () => {
    // Gaps 300, 310, 320 s for a 30 s TTL: λ = (1/3) / 10 s; lookups per answer = λ · 310 s.
    const d = estimateResolverDemand(gaps([300_000, 310_000, 320_000]), 30, RAW);
    expect(d.ttlEffSeconds).toBe(300);
    expect(d.flags).toEqual(['extends-ttl']);
    expect(d.ratePerSecond).toBeCloseTo(1 / 30, 10);
    expect(d.loadPerAnswer).toBeCloseTo((1 / 30) * 310, 10);
  });

  it('counts one lookup per answer without enough gaps', () => {
    expect(estimateResolverDemand({ queries: 1, gapCount: 0, gapMinMs: 0, gapSumMs: 0, gapSumSqMs: 0 }, 30)).toEqual({
      ttlEffSeconds: null,
      ratePerSecond: null,
      loadPerAnswer: 1,
      flags: ['sparse'],
    });
    const two = estimateResolverDemand(gaps([31_000, 40_000]), 30, RAW);
    expect(two.loadPerAnswer).toBe(1);
    expect(two.flags).toContain('sparse');
  });

  it('treats many short gaps as several caches behind one key', () => {
    const d = estimateResolverDemand(gaps([3_000, 5_000, 9_000, 31_000, 4_000, 6_000]), 30, RAW);
    expect(d.flags).toContain('shared-key');
    expect(d.loadPerAnswer).toBe(1);
  });

  it('ignores a single short gap among regular ones', () => {
    const d = estimateResolverDemand(gaps([2_000, ...new Array<number>(30).fill(0).map((_, i) => 30_500 + i * 100)]), 30, RAW);
    expect(d.flags).not.toContain('shared-key');
    expect(d.ttlEffSeconds).toBe(30);
  });

  it('does not call a sparse cache shared for one short gap among two or three', () => {
    const d = estimateResolverDemand(gaps([1_000, 5_100]), 5, RAW);
    expect(d.flags).not.toContain('shared-key');
    expect(d.flags).toContain('sparse');
    expect(estimateResolverDemand(gaps([1_000, 1_200, 1_500, 5_100]), 5, RAW).flags).toContain('shared-key');
  });

  it('measures idle times after the TTL each answer carried when it was not the pool\'s (skew=correct)', () => {
    // Pool TTL 5 s, this resolver given 1 s each time: gaps 1,010-1,050 ms are expiries, not shared caches.
    const values = [1_010, 1_030, 1_020, 1_050, 1_010, 1_040];
    const stats = { ...gaps(values), heldSumMs: 6_000, idleMinMs: [10, 400, 600], gridSumMs: [9_000, 9_000] };
    const d = estimateResolverDemand(stats, 5, RAW);
    expect(d.flags).toEqual([]);
    // Idle after expiry: mean 26.7 ms, least 10 ms: λ = (1 − 2/6) / 16.7 ms.
    expect(d.ratePerSecond).toBeCloseTo(((1 - 2 / 6) * 1000) / (160 / 6 - 10), 6);
    expect(d.ttlEffSeconds).toBeCloseTo(1.01, 6);
    // The same gaps read against the pool TTL, as before the TTLs were kept: several caches.
    expect(estimateResolverDemand(gaps(values), 5, RAW).flags).toContain('shared-key');
  });

  it('caps the rate when the idle time is below timing noise', () => {
    const d = estimateResolverDemand(gaps([30_000, 30_001, 30_002, 30_003]), 30, RAW);
    expect(d.flags).toContain('saturated');
    expect(d.ratePerSecond).toBeCloseTo((0.5 * 1000) / 10, 10);
  });

  it('counts all of a resolver’s clients, not only those whose cache ran out with its entry', () => {
    // Default mix: stubs (47%) re-ask at expiry; browsers (45%) too once the TTL reaches their 60 s pin.
    expect(expiringShare(DEFAULT_CLIENT_MODEL, 30)).toBeCloseTo(0.47, 10);
    expect(expiringShare(DEFAULT_CLIENT_MODEL, 300)).toBeCloseTo(0.92, 10);
    const raw = estimateResolverDemand(gaps([31_000, 32_000, 33_000, 34_000]), 30, RAW);
    const corrected = estimateResolverDemand(gaps([31_000, 32_000, 33_000, 34_000]), 30);
    expect(corrected.ratePerSecond).toBeCloseTo(raw.ratePerSecond! / 0.47, 10);
    expect(corrected.loadPerAnswer).toBeCloseTo(raw.loadPerAnswer / 0.47, 10);
  });

  it('recovers the clamp and the client rate of a simulated resolver', () => {
    // Gap = T_eff + Exp(λ): T_eff 60 s (a clamp over our 20 s), λ 0.2 lookups/s.
    const random = seededRandom(7);
    const values: number[] = [];
    for (let i = 0; i < 2000; i++) values.push(60_000 - (Math.log(1 - random.next()) / 0.2) * 1000);
    const d = estimateResolverDemand(gaps(values), 20, RAW);
    expect(d.ttlEffSeconds).toBeGreaterThanOrEqual(60);
    expect(d.ttlEffSeconds).toBeLessThan(60.1);
    expect(d.ratePerSecond).toBeGreaterThan(0.2 * 0.93);
    expect(d.ratePerSecond).toBeLessThan(0.2 * 1.07);
    expect(d.flags).toEqual(['extends-ttl']);
  });

  it('adds up each member’s estimated load over resolvers and the rest', () => {
    const pool: PoolSnapshot = {
      key: 'k',
      name: 'www.example.test.',
      type: 'A',
      policy: 'round-robin',
      answers: 1,
      ttl: 30,
      members: [
        { address: '192.0.2.10', weight: 1, backup: false, priority: 1 },
        { address: '192.0.2.11', weight: 1, backup: false, priority: 1 },
      ],
      answersTotal: 7,
      first: [5, 2],
      included: [5, 2],
      resolvers: [
        { key: 'busy', firstMs: 0, lastMs: 0, ...gaps([31_000, 32_000, 33_000, 34_000]), queries: 5, given: [4, 1] },
        { key: 'quiet', firstMs: 0, lastMs: 0, queries: 1, gapCount: 0, gapMinMs: 0, gapSumMs: 0, gapSumSqMs: 0, hist: [], given: [0, 1] },
      ],
      rest: { resolvers: 3, queries: 1, load: [0, 2] },
    };
    const d = estimatePoolDemand(pool, RAW);
    // busy: 32.5/3 lookups per answer → [130/3, 32.5/3]; quiet: 1 per answer → [0, 1]; rest [0, 2].
    expect(d.loadByMember[0]).toBeCloseTo(130 / 3, 10);
    expect(d.loadByMember[1]).toBeCloseTo(32.5 / 3 + 3, 10);
    expect(d.totalLoad).toBeCloseTo(162.5 / 3 + 3, 10);
    expect(d.restLoad).toBe(2);
    expect(d.resolvers.map((r) => r.key)).toEqual(['busy', 'quiet']);
  });
});

describe('skew metrics', () => {
  it('computes max/min, overload, CV and Gini on share ÷ target', () => {
    const m = skewMetrics('answers', [0.4, 0.2, 0.2, 0.2], [1, 1, 1, 1])!;
    expect(m.maxMinRatio).toBeCloseTo(2, 10);
    expect(m.overloadFactor).toBeCloseTo(1.6, 10);
    expect(m.cv).toBeCloseTo(Math.sqrt(0.12), 10);
    expect(m.gini).toBeCloseTo(0.15, 10);
  });

  it('measures weighted pools against their weights', () => {
    const m = skewMetrics('measured', [30, 70], [3, 5])!;
    // targets 0.375 / 0.625, ratios 0.8 / 1.12: CV² = 0.375·0.04 + 0.625·0.0144 = 0.024.
    expect(m.cv).toBeCloseTo(Math.sqrt(0.024), 10);
    expect(m.overloadFactor).toBeCloseTo(1.12, 10);
    expect(skewMetrics('answers', [0.5, 0.5, 0], [1, 1, 0])!.cv).toBe(0);
  });

  it('has no ratio when a member got nothing, and no metrics without data', () => {
    expect(skewMetrics('answers', [1, 0], [1, 1])!.maxMinRatio).toBeNull();
    expect(skewMetrics('answers', [0, 0], [1, 1])).toBeNull();
  });

  it('counts independent units with 1/HHI', () => {
    expect(hhi([1, 1, 1, 1])).toBeCloseTo(0.25, 10);
    expect(nEff([2, 2])).toBeCloseTo(2, 10);
    expect(nEff([0, 0])).toBeNull();
    expect(gini([1, 1, 1])).toBe(0);
  });
});

describe('closed form', () => {
  it('matches hand-computed cases', () => {
    const two = [
      { share: 0.5, ttlSeconds: 30 },
      { share: 0.5, ttlSeconds: 30 },
    ];
    // Σ s²/(1 + W/T) = 2 · 0.25 / 2 = 0.25; CV² = (B − 1) · 0.25 with B = 4.
    expect(windowedHhi(two, 30)).toBeCloseTo(0.25, 10);
    expect(predictCv([1, 1, 1, 1], two, 30)).toBeCloseTo(Math.sqrt(0.75), 10);
    expect(predictMemberCv(0.25, two, 30)).toBeCloseTo(Math.sqrt(0.75), 10);
    const mixed = [
      { share: 0.6, ttlSeconds: 60 },
      { share: 0.4, ttlSeconds: 20 },
    ];
    expect(predictCv([1, 1], mixed, 60)).toBeCloseTo(Math.sqrt(0.36 / 2 + 0.16 / 4), 10);
    // A unit with no TTL only normalises.
    expect(windowedHhi([{ share: 1, ttlSeconds: 30 }, { share: 1, ttlSeconds: 0 }], 30)).toBeCloseTo(0.125, 10);
    expect(predictCv([1], two, 30)).toBe(0);
  });

  it('reproduces the research note’s Zipf figures', () => {
    const r1000 = zipfShares(1000, 1);
    expect(r1000[0]).toBeCloseTo(0.1336, 3);
    expect(nEff(r1000)).toBeCloseTo(34.1, 0);
    expect(nEff(zipfShares(10_000, 0.8))).toBeGreaterThan(304);
    expect(nEff(zipfShares(10_000, 0.8))).toBeLessThan(336);
    expect(nEff(zipfShares(100, 1.2))).toBeCloseTo(9, 0);
  });

  it('gives the note’s prototype CVs for R=1000, α=1, TTL 30 s, four backends (resolvers only)', () => {
    const units = zipfShares(1000, 1).map((share) => ({ share, ttlSeconds: 30 }));
    const targets = [1, 1, 1, 1];
    expect(predictCv(targets, units, 10)).toBeCloseTo(0.257, 2);
    expect(predictCv(targets, units, 60)).toBeCloseTo(0.172, 2);
  });
});

describe('drain estimate', () => {
  const only = (c: Partial<ClientClass>): ClientModel => ({
    ...DEFAULT_CLIENT_MODEL,
    classes: [{ name: 'x', share: 1, pinSeconds: 0, lagMedianSeconds: 0, lagSigma: 0, idleTimeoutSeconds: 90, ...c }],
  });

  it('follows the resolver entry for TTL-honouring stubs', () => {
    const stub = only({}).classes[0]!;
    expect(classSurvival(15, 30, stub, 'issue')).toBeCloseTo(0.5, 10);
    expect(classSurvival(30, 30, stub, 'issue')).toBe(0);
  });

  it('keeps browser answers 60 s from issue, or compounds from the lookup', () => {
    const browser = only({ pinSeconds: 60 }).classes[0]!;
    expect(classSurvival(30, 30, browser, 'issue')).toBeCloseTo(0.5, 10);
    // Pinned since before the removal (0.5) + re-looked-up from a stale resolver (15/60).
    expect(classSurvival(30, 30, browser, 'lookup')).toBeCloseTo(0.75, 10);
  });

  it('adds the sticky lag', () => {
    // A fixed 120 s lag (σ 0) after U(0, 30): P(S > 130) = P(U > 10) = 2/3.
    const sticky = only({ lagMedianSeconds: 120 }).classes[0]!;
    expect(classSurvival(130, 30, sticky, 'issue')).toBeCloseTo(2 / 3, 1);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 3);
    expect(lagSurvival(DEFAULT_CLIENT_MODEL.classes[2]!, 120)).toBeCloseTo(0.5, 6);
  });

  it('lets requests follow connections opened before the switch', () => {
    // Stubs, T = 30, mean connection life 60 s: at 30 s, ∫₀³⁰ (1/30) e^{−(30−s)/60} ds = 2(1 − e^{−1/2}).
    const times = drainGrid(30);
    const c = drainCurve([{ share: 1, ttlSeconds: 30 }], only({}), times);
    expect(valueAt(times, c.lookups, 30)).toBeCloseTo(0, 6);
    expect(valueAt(times, c.requests, 30)).toBeCloseTo(2 * (1 - Math.exp(-0.5)), 2);
    expect(timeBelow(times, c.lookups, 0.1)).toBeCloseTo(27, 0);
  });

  it('reproduces the research note’s drain figures with the default client mix', () => {
    const mix = (ttl: number) => [
      { share: 0.91, ttlSeconds: ttl },
      { share: 0.036, ttlSeconds: Math.max(ttl, 60) },
      { share: 0.036, ttlSeconds: Math.max(ttl, 300) },
      { share: 0.018, ttlSeconds: Math.max(ttl, 3600) },
    ];
    const at = (ttl: number, t: number) => {
      const times = drainGrid(ttl);
      return valueAt(times, drainCurve(mix(ttl), DEFAULT_CLIENT_MODEL, times).lookups, t);
    };
    // Calibration: TTL 20 s → 9.7% after 60 s, 2.0% after 15 min.
    expect(at(20, 60)).toBeCloseTo(0.097, 1);
    expect(Math.abs(at(20, 900) - 0.02)).toBeLessThan(0.005);
    const expected: [number, number[]][] = [
      [30, [0.34, 0.1, 0.037]],
      [60, [0.098, 0.078, 0.026]],
      [5, [0.53, 0.49, 0.18]],
    ];
    for (const [ttl, [one, two, ten]] of expected) {
      expect(Math.abs(at(ttl, ttl) - one!)).toBeLessThan(0.025);
      expect(Math.abs(at(ttl, 2 * ttl) - two!)).toBeLessThan(0.025);
      expect(Math.abs(at(ttl, 10 * ttl) - ten!)).toBeLessThan(0.01);
    }
  });

  it('builds a report with marks, per-member curves and drained times', () => {
    const d = estimateDrain(30, [{ share: 1, ttlSeconds: 30 }], DEFAULT_CLIENT_MODEL, [
      { label: '192.0.2.10', units: [{ share: 1, ttlSeconds: 300 }] },
    ]);
    expect(d.marks.map((m) => m.label)).toEqual(['1×TTL', '2×TTL', '10×TTL', '60 s', '5 min', '15 min', '1 h']);
    expect(d.curves.map((c) => c.label)).toEqual(['pool', '192.0.2.10']);
    const clamped = d.curves[1]!.points.find((p) => p.seconds >= 120)!;
    const pool = d.curves[0]!.points.find((p) => p.seconds >= 120)!;
    expect(clamped.lookups).toBeGreaterThan(pool.lookups);
    expect(d.drained90Seconds).not.toBeNull();
    expect(d.drained99Seconds! > d.drained90Seconds!).toBe(true);
  });
});
