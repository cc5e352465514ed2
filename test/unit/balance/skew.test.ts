/**
 * Issue 11, skew=correct (balance/skew.ts, balance/skew-ledger.ts): TTL buckets, plain rotation
 * for unknown resolvers, adaptive TTL, residual-load assignment, early re-asks, liveness. Seeded.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import { LEARNING_TTL_SECONDS, SkewLedger, ttlBuckets } from '../../../balance/skew-ledger.js';
import type { AnswerPlan, PickContext } from '../../../balance/types.js';
import { seededRandom } from '../../../lib/random.js';
import type { PoolDemandTable } from '../../../model/demand.js';
import type { HealthView } from '../../../model/health.js';
import { makeHealth, makePool } from './fixtures.js';

type Answer = AnswerPlan & { kind: 'answer' };

const FOUR = [{}, {}, {}, {}];
const UP = makeHealth({ t10: 'up', t11: 'up', t12: 'up', t13: 'up' });

function setup(config: Parameters<typeof makePool>[0] = {}, health: HealthView = UP) {
  const pool = makePool({ skew: 'correct', answers: 1, ttl: 20, ...config }, FOUR);
  const ledger = new SkewLedger(pool.key, { nowMs: 0 });
  const plan = buildPlan(pool, health, { skew: ledger }) as Answer;
  expect(plan.kind).toBe('answer');
  return { pool, ledger, plan };
}

function context(seq: number, resolver: string, nowMs: number): PickContext {
  return { seq, random: seededRandom(seq), clientKey: '', resolver, nowMs };
}

function table(poolKey: string, rates: Record<string, number>, carry = { followShare: 1, tailSeconds: 60 }): PoolDemandTable {
  return { poolKey, atMs: 0, entries: Object.entries(rates).map(([key, ratePerSecond]) => ({ key, ratePerSecond, extraHoldSeconds: 0 })), carry };
}

/** RMS over the 10 s windows in [from, to) of the CV across the 4 members of `load` (per second × member). */
function windowCv(load: Float64Array, from: number, to: number): number {
  let sumSq = 0;
  let windows = 0;
  for (let w = from; w + 10 <= to; w += 10) {
    const per = [0, 0, 0, 0];
    for (let s = w; s < w + 10; s++) for (let m = 0; m < 4; m++) per[m]! += load[s * 4 + m]!;
    const mean = per.reduce((a, b) => a + b, 0) / 4;
    sumSq += per.reduce((a, b) => a + (b / mean - 1) ** 2, 0) / 4;
    windows++;
  }
  return Math.sqrt(sumSq / windows);
}

describe('ttlBuckets', () => {
  it.each([
    [1, 20],
    [1, 5],
    [2, 300],
    [5, 5],
    [7, 3],
    [0, 5],
  ])('between %s and %s s: ascending whole seconds, both ends, at most 6', (min, max) => {
    const b = ttlBuckets(min, max);
    expect(b.length).toBeLessThanOrEqual(6);
    expect(b).toEqual([...b].sort((x, y) => x - y));
    expect(new Set(b).size).toBe(b.length);
    for (const t of b) expect(Number.isInteger(t)).toBe(true);
    expect(b[b.length - 1]).toBe(max);
    expect(b[0]).toBe(Math.max(0, Math.min(min, max)));
  });
});

describe('skew=correct plan', () => {
  it('pre-encodes every rotation once per TTL bucket, with the TTL per variant', () => {
    const { plan, ledger } = setup();
    expect(ledger.buckets).toEqual(ttlBuckets(1, 20, LEARNING_TTL_SECONDS));
    expect(plan.variants.length).toBe(4 * ledger.buckets.length);
    expect(plan.ttls).toEqual(ledger.buckets.flatMap((t) => [t, t, t, t]));
    expect(plan.resolverDependent).toBe(true);
    expect(plan.clientDependent).toBe(false);
    expect(plan.shares?.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('answers unknown resolvers by plain rotation with a short learning TTL (at least ttl-min)', () => {
    const { plan, ledger } = setup();
    const picks = Array.from({ length: 8 }, (_, i) => plan.pick(context(i, `192.0.2.${100 + i}`, i * 10)));
    expect(picks.map((v) => plan.variants[v]![0])).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(picks.every((v) => plan.ttls![v] === 1)).toBe(true);
    const pool = makePool({ skew: 'correct', answers: 1, ttl: 20, ttlMin: 3 }, FOUR);
    const floored = buildPlan(pool, UP, { skew: new SkewLedger(pool.key, { nowMs: 0 }) }) as Answer;
    expect(floored.ttls![floored.pick(context(0, '192.0.2.100', 0))]).toBe(3);
    expect(ledger.rotated).toBe(8);
    expect(ledger.corrected).toBe(0);
  });

  it('gives a busy resolver a shorter TTL than a quiet one, within ttl-min and ttl-max', () => {
    const { plan, ledger, pool } = setup({ ttlMin: 2, ttlMax: 20 });
    plan.pick(context(0, 'busy', 0));
    plan.pick(context(1, 'quiet', 0));
    ledger.setDemand(table(pool.key, { busy: 500, quiet: 5 }));
    const busy = plan.ttls![plan.pick(context(2, 'busy', 100))]!;
    const quiet = plan.ttls![plan.pick(context(3, 'quiet', 100))]!;
    expect(busy).toBeLessThan(quiet);
    expect(busy).toBeGreaterThanOrEqual(2);
    expect(quiet).toBeLessThanOrEqual(20);
    expect(quiet).toBe(20);
  });

  it('sends the next resolvers away from the member a heavy entry went to, until it expires', () => {
    const { plan, ledger, pool } = setup({ ttlMin: 5, ttlMax: 5 });
    const keys = ['heavy', 'a', 'b', 'c', 'd', 'e'];
    keys.forEach((k, i) => plan.pick(context(i, k, 0)));
    ledger.setDemand(table(pool.key, { heavy: 100, a: 10, b: 10, c: 10, d: 10, e: 10 }));
    const heavy = plan.variants[plan.pick(context(10, 'heavy', 1000))]![0];
    // Light resolvers fill the other three members first; none lands on the heavy member's.
    const light = ['a', 'b', 'c', 'd', 'e'].map((k, i) => plan.variants[plan.pick(context(11 + i, k, 3000 + i))]![0]);
    expect(light).not.toContain(heavy);
    expect(new Set(light).size).toBe(3);
    // After the heavy entry expired (5 s), its member is the emptiest again.
    const later = plan.variants[plan.pick(context(20, 'a', 7000))]![0];
    expect(later).toBe(heavy);
  });

  it('gives back what an entry had not spent when the resolver asks again early', () => {
    const { plan, ledger, pool } = setup({ ttlMin: 10, ttlMax: 10 });
    plan.pick(context(0, 'r', 0));
    ledger.setDemand(table(pool.key, { r: 50 }));
    const m = plan.variants[plan.pick(context(1, 'r', 1000))]![0]!;
    const t = ledger.seconds(1000);
    // 50/s for the 10 s TTL, plus the lookup that will make it ask again (1/50 s more).
    expect(ledger.residual(m, t)).toBeCloseTo(501, 6);
    // Asked again 2 s later (prefetch, or several caches behind the address): only one entry counts.
    const m2 = plan.variants[plan.pick(context(2, 'r', 3000))]![0]!;
    let total = 0;
    for (let i = 0; i < 4; i++) total += ledger.residual(i, ledger.seconds(3000));
    expect(total).toBeCloseTo(501, 6);
    expect(ledger.residual(m2, ledger.seconds(3000))).toBeCloseTo(501, 6);
  });

  it('charges a resolver with a TTL floor for what it really holds', () => {
    const { plan, ledger, pool } = setup({ ttlMin: 1, ttlMax: 20 });
    plan.pick(context(0, 'knot', 0));
    ledger.setDemand({ ...table(pool.key, { knot: 40 }), entries: [{ key: 'knot', ratePerSecond: 40, extraHoldSeconds: 4 }] });
    const v = plan.pick(context(1, 'knot', 1000));
    const given = plan.ttls![v]!;
    const m = plan.variants[v]![0]!;
    expect(ledger.residual(m, ledger.seconds(1000))).toBeCloseTo(40 * (given + 4) + 1, 6);
  });

  it('with a TTL of 0, spreads a busy resolver\'s stream of answers instead of sending it all to one member', () => {
    const { plan, ledger, pool } = setup({ ttlMin: 0, ttlMax: 5 });
    plan.pick(context(0, 'busy', 0));
    plan.pick(context(1, 'quiet', 0));
    ledger.setDemand(table(pool.key, { busy: 200, quiet: 1 }));
    const seen = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const v = plan.pick(context(10 + i, 'busy', 2000 + i * 5));
      expect(plan.ttls![v]).toBe(0);
      const m = plan.variants[v]![0]!;
      seen.set(m, (seen.get(m) ?? 0) + 1);
    }
    expect(seen.size).toBe(4);
    for (const n of seen.values()) expect(n).toBeGreaterThan(60);
  });

  it('never answers a member that is down or drained', () => {
    const health = makeHealth({ t10: 'down', t11: 'up', t12: 'up', t13: 'up' });
    const drained: HealthView = { ...health, member: (_pool, address) => (address === '192.0.2.12' ? 'drain' : undefined) };
    const { plan, ledger, pool } = setup({}, drained);
    const keys = Array.from({ length: 50 }, (_, i) => `198.51.100.${i}`);
    keys.forEach((k, i) => plan.pick(context(i, k, 0)));
    ledger.setDemand(table(pool.key, Object.fromEntries(keys.map((k, i) => [k, 1 + (i % 7) * 20]))));
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) for (const m of plan.variants[plan.pick(context(i, keys[i % 50]!, 1000 + i * 37))]!) seen.add(m);
    expect([...seen].sort()).toEqual([1, 3]);
  });

  it('follows weights with policy=weighted', () => {
    const pool = makePool({ policy: 'weighted', skew: 'correct', answers: 1, ttl: 10, ttlMin: 10 }, [{ weight: 3 }, { weight: 1 }]);
    const ledger = new SkewLedger(pool.key, { nowMs: 0 });
    const plan = buildPlan(pool, makeHealth({ t10: 'up', t11: 'up' }), { skew: ledger }) as Answer;
    const keys = Array.from({ length: 40 }, (_, i) => `r${i}`);
    keys.forEach((k, i) => plan.pick(context(i, k, 0)));
    ledger.setDemand(table(pool.key, Object.fromEntries(keys.map((k) => [k, 10]))));
    const load = [0, 0];
    for (let i = 0; i < 4000; i++) load[plan.variants[plan.pick(context(i, keys[i % 40]!, 1000 + i * 50))]![0]!]! += 1;
    expect(load[0]! / (load[0]! + load[1]!)).toBeCloseTo(0.75, 1);
  });
});

/**
 * A seeded toy world: resolvers with Zipf demand that ask again the moment their entry expires
 * (busy caches), clients that follow their resolver's answer for its TTL. The counted load per
 * member per 10 s window is far more even with correction than with plain rotation.
 */
describe('skew=correct against rotation (seeded)', () => {
  function run(correct: boolean, seed: number): number {
    const random = seededRandom(seed);
    const rates = Array.from({ length: 12 }, (_, r) => 600 / (r + 1));
    const pool = { ...makePool(correct ? { skew: 'correct', answers: 1, ttl: 10, ttlMin: 1 } : { answers: 1, ttl: 10 }, FOUR), ttl: 10 };
    const ledger = new SkewLedger(pool.key, { nowMs: 0 });
    const plan = buildPlan(pool, UP, correct ? { skew: ledger } : undefined) as Answer;
    const horizon = 600;
    const load = new Float64Array(horizon * 4);
    const next = rates.map(() => random.next() * 10);
    let seq = 0;
    if (correct) {
      // The estimate is ±20% off, as a real one would be.
      for (let r = 0; r < rates.length; r++) plan.pick(context(seq++, `r${r}`, 0));
      ledger.setDemand(table(pool.key, Object.fromEntries(rates.map((x, r) => [`r${r}`, x * (0.8 + 0.4 * random.next())]))));
    }
    for (let step = 0; step < 100_000; step++) {
      let r = 0;
      for (let i = 1; i < rates.length; i++) if (next[i]! < next[r]!) r = i;
      const t = next[r]!;
      if (t >= horizon) break;
      const v = plan.pick(context(seq++, `r${r}`, t * 1000));
      const ttl = plan.ttls?.[v] ?? 10;
      const m = plan.variants[v]![0]!;
      for (let s = Math.floor(t); s < Math.min(horizon, Math.floor(t + ttl)); s++) load[s * 4 + m]! += rates[r]!;
      next[r] = t + ttl + random.next() * 0.05;
    }
    return windowCv(load, 60, horizon);
  }

  it.each([1, 2, 3, 4, 5])('seed %s: CV per 10 s window at least 30 percent below rotation’s', (seed) => {
    const off = run(false, seed);
    const on = run(true, seed);
    expect(off).toBeGreaterThan(0.1);
    expect(on, `seed ${seed}: ${on} vs ${off}`).toBeLessThan(off * 0.7);
  });
});

describe('skew=correct closing the loop on reported load (load-header / load-json)', () => {
  function withLoads(loads: readonly number[]): HealthView {
    return makeHealth(Object.fromEntries(loads.map((load, i) => [`t${10 + i}`, { state: 'up' as const, load }])));
  }

  it('keeps new entries off a member the backends report busier than the model has it', () => {
    const pool = makePool({ skew: 'correct', answers: 1, ttl: 5, ttlMin: 5 }, FOUR);
    const ledger = new SkewLedger(pool.key, { nowMs: 0 });
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const open = buildPlan(pool, UP, { skew: ledger }) as Answer;
    keys.forEach((k, i) => open.pick(context(i, k, 0)));
    ledger.setDemand(table(pool.key, Object.fromEntries(keys.map((k) => [k, 10]))));
    // Member 0 carries 120 requests/s the model never charged (clients pinned to it); the others nothing yet.
    const plan = buildPlan(pool, withLoads([120, 0, 0, 0]), { skew: ledger }) as Answer;
    const picked = keys.map((k, i) => plan.variants[plan.pick(context(10 + i, k, 6000 + i))]![0]);
    expect(picked).not.toContain(0);
    const stats = ledger.stats();
    expect(stats.feedback.rounds).toBe(1);
    expect(stats.feedback.reported).toEqual([120, 0, 0, 0]);
  });

  it('places a resolver not estimated yet by the reported load, charged as a typical one', () => {
    const pool = makePool({ skew: 'correct', answers: 1, ttl: 5 }, FOUR);
    const ledger = new SkewLedger(pool.key, { nowMs: 0 });
    const open = buildPlan(pool, UP, { skew: ledger }) as Answer;
    open.pick(context(0, 'known', 0));
    ledger.setDemand(table(pool.key, { known: 10 }));
    expect(ledger.typicalRate).toBe(10);
    // Member 0 and 1 carry load nobody charged; three new resolvers go to 2 and 3, not in rotation.
    const plan = buildPlan(pool, withLoads([100, 100, 0, 0]), { skew: ledger }) as Answer;
    const picked = ['n1', 'n2', 'n3'].map((k, i) => plan.variants[plan.pick(context(i, k, 6000 + i))]!);
    expect(picked.map((v) => v[0]).sort()).toEqual([2, 2, 3]);
    const ttls = ['n1', 'n2', 'n3'].map((k, i) => plan.ttls![plan.pick(context(10 + i, k, 6010 + i))]);
    expect(ttls).toEqual([LEARNING_TTL_SECONDS, LEARNING_TTL_SECONDS, LEARNING_TTL_SECONDS]);
    expect(ledger.rotated).toBe(1); // only 'known', before any report
    expect(ledger.corrected).toBe(6);
  });

  it('stays open loop without load reports, and a report fades when none follow', () => {
    const { plan, ledger, pool } = setup({ ttlMin: 5, ttlMax: 5 });
    plan.pick(context(0, 'a', 0));
    ledger.setDemand(table(pool.key, { a: 10 }));
    plan.pick(context(1, 'a', 6000));
    expect(ledger.stats().feedback.rounds).toBe(0);
    expect(ledger.biasWeight(6)).toBe(0);
    ledger.reportLoads(new Float64Array([50, 0, 0, 0]));
    ledger.applyFeedback(7);
    expect(ledger.biasWeight(7)).toBe(1);
    expect(ledger.biasWeight(7 + 120)).toBe(0);
  });

  it('ignores a report with fewer than two members known', () => {
    const { ledger } = setup();
    expect(ledger.feedback(new Float64Array([50, Number.NaN, Number.NaN, Number.NaN]), 1)).toBe(false);
    expect(ledger.stats().feedback.rounds).toBe(0);
  });

  // A seeded closed loop: 12 resolvers (Zipf), each answer's load split between a part that follows
  // the entry and clients that pin the member for 60 s; backends report their rate over the last 5 s
  // every second; the estimates are ±30% off. Feedback must lower the CV per 10 s window.
  function closedLoop(feedback: boolean, seed: number): number {
    const random = seededRandom(seed);
    const rates = Array.from({ length: 12 }, (_, r) => 300 / (r + 1));
    const pool = makePool({ skew: 'correct', answers: 1, ttl: 5, ttlMin: 1 }, FOUR);
    const ledger = new SkewLedger(pool.key, { nowMs: 0 });
    let plan = buildPlan(pool, UP, { skew: ledger }) as Answer;
    const horizon = 400;
    const load = new Float64Array((horizon + 120) * 4);
    const next = rates.map(() => random.next() * 5);
    let seq = 0;
    for (let r = 0; r < rates.length; r++) plan.pick(context(seq++, `r${r}`, 0));
    ledger.setDemand(
      table(pool.key, Object.fromEntries(rates.map((x, r) => [`r${r}`, x * (0.7 + 0.6 * random.next())])), { followShare: 0.4, tailSeconds: 60 }),
    );
    let reportAt = 1;
    for (let step = 0; step < 200_000; step++) {
      let r = 0;
      for (let i = 1; i < rates.length; i++) if (next[i]! < next[r]!) r = i;
      const t = next[r]!;
      if (t >= horizon) break;
      while (feedback && reportAt <= t) {
        const reported = [0, 1, 2, 3].map((m) => {
          let sum = 0;
          for (let s = Math.max(0, reportAt - 5); s < reportAt; s++) sum += load[s * 4 + m]!;
          return sum / 5;
        });
        plan = buildPlan(pool, withLoads(reported), { skew: ledger }) as Answer;
        reportAt++;
      }
      const v = plan.pick(context(seq++, `r${r}`, t * 1000));
      const ttl = plan.ttls?.[v] ?? 5;
      const m = plan.variants[v]![0]!;
      // 40% follows the entry; the rest is pinned for 60 s by the clients that looked up during it.
      for (let s = Math.floor(t); s < Math.floor(t + ttl); s++) load[s * 4 + m]! += 0.4 * rates[r]!;
      const pinned = 0.6 * rates[r]! * ttl * (0.5 + random.next());
      for (let s = Math.floor(t); s < Math.floor(t) + 60; s++) load[s * 4 + m]! += pinned / 60;
      next[r] = t + ttl + random.next() * 0.05;
    }
    return windowCv(load, 100, horizon);
  }

  it.each([1, 2, 3])('seed %s: feedback lowers the CV per 10 s window against the open loop', (seed) => {
    const open = closedLoop(false, seed);
    const closed = closedLoop(true, seed);
    expect(closed, `seed ${seed}: ${closed} with feedback vs ${open} without`).toBeLessThan(open * 0.8);
  });
});

describe('skew=correct horizon loads', () => {
  it('keeps the horizon sums as entries come and go, equal to summing the slots again (seeded)', () => {
    const kept = setup().ledger;
    const rescanned = setup().ledger;
    const random = seededRandom(11);
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    const scratch = new Float64Array(4);
    let t = 100;
    let compared = 0;
    for (let step = 0; step < 5000; step++) {
      t += random.next() * 0.3;
      const m = Math.floor(random.next() * 4);
      const rate = 1 + random.next() * 50;
      const served = random.next() < 0.1 ? 0 : random.next() * 20;
      for (const ledger of [kept, rescanned]) {
        ledger.advance(t);
        ledger.charge(m, rate, t, served);
        if (step % 7 === 0) ledger.holdEntry(0, m, rate, t + 2, t + served);
        if (step % 7 === 3) ledger.releaseEntry(0, t);
      }
      if (step % 3 !== 0) continue;
      kept.horizonLoads(t, 10, a);
      // Another horizon first: the one asked for is then summed from the slots again.
      rescanned.horizonLoads(t, 11, scratch);
      rescanned.horizonLoads(t, 10, b);
      for (let k = 0; k < 4; k++) expect(a[k]).toBeCloseTo(b[k]!, 6);
      compared++;
    }
    expect(compared).toBeGreaterThan(1000);
    expect(Math.max(...a)).toBeGreaterThan(0);
  });
});
