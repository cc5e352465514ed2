import { describe, expect, test } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import { swrrSequence } from '../../../balance/swrr.js';
import type { AnswerPlan } from '../../../balance/types.js';
import { buildWeightedCycle, inclusionTargets, MAX_CYCLE_CELLS } from '../../../balance/weighted-cycle.js';
import { MAX_CYCLE, reduceWeights } from '../../../balance/weights.js';
import { seededRandom } from '../../../lib/random.js';
import { ctx, makeHealth, makePool, octets } from './fixtures.js';

function answered(plan: AnswerPlan) {
  if (plan.kind !== 'answer') throw new Error(`expected an answer, got ${plan.kind}`);
  return plan;
}

/** The first member (last octet) of answers seq = from .. from+count-1. */
function firsts(plan: ReturnType<typeof answered>, pool: ReturnType<typeof makePool>, from: number, count: number): number[] {
  return Array.from({ length: count }, (_, j) => octets(pool, plan.variants[plan.pick(ctx(from + j))]!)[0]!);
}

function longestRun(values: readonly number[], value: number): number {
  let best = 0;
  let run = 0;
  for (const v of values) {
    run = v === value ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

describe('weighted (smooth weighted round robin)', () => {
  const pool = makePool({ policy: 'weighted', answers: 1 }, [{ weight: 3 }, { weight: 5 }]);
  const plan = answered(buildPlan(pool, makeHealth({})));

  test('nginx sequence for weights 3 and 5', () => {
    expect(firsts(plan, pool, 0, 8)).toEqual([11, 10, 11, 10, 11, 11, 10, 11]);
  });

  test('every window of 8 consecutive answers has A first 3 times and B 5 times', () => {
    const seen = firsts(plan, pool, 0, 100);
    for (let start = 0; start + 8 <= seen.length; start++) {
      const window = seen.slice(start, start + 8);
      expect(window.filter((m) => m === 10), `window at ${start}`).toHaveLength(3);
      expect(window.filter((m) => m === 11), `window at ${start}`).toHaveLength(5);
    }
  });

  test('interleaved: never A A A or B B B B B in a row (runs at most 1 and 2)', () => {
    const seen = firsts(plan, pool, 0, 100);
    expect(longestRun(seen, 10)).toBe(1);
    expect(longestRun(seen, 11)).toBe(2);
  });

  test('with one record per answer, the record is the SWRR pick', () => {
    expect(plan.variants.every((v) => v.length === 1)).toBe(true);
    expect(plan.variants).toHaveLength(2);
  });

  test('weights are reduced by their gcd: 30 and 50 cycle like 3 and 5', () => {
    const big = makePool({ policy: 'weighted', answers: 1 }, [{ weight: 30 }, { weight: 50 }]);
    const bigPlan = answered(buildPlan(big, makeHealth({})));
    expect(firsts(bigPlan, big, 0, 16)).toEqual(firsts(plan, pool, 0, 16));
  });

  test('three members stay interleaved and exact per cycle', () => {
    const three = makePool({ policy: 'weighted', answers: 1 }, [{ weight: 5 }, { weight: 1 }, { weight: 1 }]);
    const p = answered(buildPlan(three, makeHealth({})));
    expect(firsts(p, three, 0, 7)).toEqual([10, 10, 11, 10, 12, 10, 10]);
  });

  test('a dead member drops out and the others keep their proportions', () => {
    const three = makePool({ policy: 'weighted', answers: 1 }, [{ weight: 3 }, { weight: 2 }, { weight: 1 }]);
    const p = answered(buildPlan(three, makeHealth({ t11: 'down' })));
    const seen = firsts(p, three, 0, 8);
    expect(seen.filter((m) => m === 10)).toHaveLength(6);
    expect(seen.filter((m) => m === 12)).toHaveLength(2);
    expect(seen).not.toContain(11);
  });

  test('weight 0 is never answered unless every candidate weighs 0', () => {
    const zero = makePool({ policy: 'weighted', answers: 1 }, [{ weight: 0 }, { weight: 2 }]);
    expect(answered(buildPlan(zero, makeHealth({}))).variants).toEqual([[1]]);
    const allZero = makePool({ policy: 'weighted', answers: 1 }, [{ weight: 0 }, { weight: 0 }]);
    expect(answered(buildPlan(allZero, makeHealth({}))).variants).toEqual([[0], [1]]);
  });
});

describe('weighted with several records per answer: inclusion proportional to weight', () => {
  /** Inclusion count of each local member over one cycle. */
  function inclusion(weights: number[], n: number) {
    const members = weights.map((_, i) => i);
    const cycle = buildWeightedCycle(members, weights, n);
    const counts = new Array<number>(weights.length).fill(0);
    const first = new Array<number>(weights.length).fill(0);
    const malformed = cycle.variants.filter((v) => v.length !== Math.min(n, weights.length) || new Set(v).size !== v.length);
    expect(malformed).toEqual([]);
    for (const id of cycle.sequence) {
      const variant = cycle.variants[id]!;
      first[variant[0]!]! += 1;
      for (const m of variant) counts[m]! += 1;
    }
    return { cycle, counts, first };
  }

  test('1,2,3,4 with answers=2: member i is in exactly 2*w_i of every 10 answers', () => {
    const { counts, first, cycle } = inclusion([1, 2, 3, 4], 2);
    expect(cycle.sequence).toHaveLength(10);
    expect(first).toEqual([1, 2, 3, 4]);
    expect(counts).toEqual([2, 4, 6, 8]);
  });

  test('a weight above total/N is capped at every answer, the rest shared by weight', () => {
    // 2/4 of 2 slots would be 100% for C: C is in every answer, A and B share the other slot.
    const { counts } = inclusion([1, 1, 2], 2);
    expect(counts).toEqual([2, 2, 4]);
    // 6 of 8 with 2 slots: capped; 1 and 1 share one slot over 8 answers.
    expect(inclusionTargets([6, 1, 1], 2)).toEqual([8, 4, 4]);
    expect(inclusion([6, 1, 1], 2).counts).toEqual([8, 4, 4]);
  });

  test('exact over 400 seeded random pools, every N (the fill never runs short)', () => {
    const random = seededRandom(20261121);
    let checked = 0;
    for (let t = 0; t < 400; t++) {
      const k = 2 + Math.floor(random.next() * 9);
      const weights = Array.from({ length: k }, () => 1 + Math.floor(random.next() * (random.next() < 0.3 ? 40 : 6)));
      for (let n = 2; n < k; n++) {
        const { cycle, counts, first } = inclusion(weights, n);
        const targets = inclusionTargets(cycle.weights, n);
        if (first.some((f, i) => f !== cycle.weights[i]) || counts.some((c, i) => c !== targets[i])) {
          expect({ weights, n, first, counts }).toEqual({ weights, n, first: cycle.weights, counts: targets });
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  test('exact when N is large enough to sort (40 members, answers=20)', () => {
    const random = seededRandom(5);
    const weights = Array.from({ length: 40 }, () => 1 + Math.floor(random.next() * 20));
    const { cycle, counts } = inclusion(weights, 20);
    expect(counts).toEqual(inclusionTargets(cycle.weights, 20));
  });

  test('through buildPlan: shares give inclusion n*w/W and the plan walks the cycle', () => {
    const pool = makePool({ policy: 'weighted', answers: 2 }, [{ weight: 1 }, { weight: 2 }, { weight: 3 }, { weight: 4 }]);
    const plan = answered(buildPlan(pool, makeHealth({})));
    const counts = [0, 0, 0, 0];
    for (let seq = 0; seq < 1000; seq++) for (const m of plan.variants[plan.pick(ctx(seq))]!) counts[m]! += 1;
    expect(counts).toEqual([200, 400, 600, 800]);
    expect(plan.shares?.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  test('answers >= live members: every answer has all members, SWRR pick first, n variants', () => {
    const { cycle, first } = inclusion([3, 5], 2);
    expect(cycle.variants).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(Array.from(cycle.sequence)).toEqual([1, 0, 1, 0, 1, 1, 0, 1]);
    expect(first).toEqual([3, 5]);
  });
});

describe('weight reduction', () => {
  test('gcd, and rounding of fractional weights (never to 0)', () => {
    expect(reduceWeights([30, 50])).toEqual([3, 5]);
    expect(reduceWeights([0.2, 2.6])).toEqual([1, 3]);
  });

  test('a sum above MAX_CYCLE is scaled proportionally', () => {
    const weights = Array.from({ length: 60 }, (_, i) => 200 + i);
    const reduced = reduceWeights(weights);
    const sum = reduced.reduce((a, b) => a + b, 0);
    expect(sum).toBeLessThanOrEqual(MAX_CYCLE + weights.length);
    const rawSum = weights.reduce((a, b) => a + b, 0);
    reduced.forEach((w, i) => expect(Math.abs(w / sum - weights[i]! / rawSum)).toBeLessThan(1 / MAX_CYCLE));
    expect(swrrSequence(reduced)).toHaveLength(sum);
  });

  test('choosing several of many members caps the cycle at MAX_CYCLE_CELLS / k', () => {
    const weights = Array.from({ length: 100 }, (_, i) => 100 + i);
    const cycle = buildWeightedCycle(weights.map((_, i) => i), weights, 3);
    expect(cycle.sequence.length).toBeLessThanOrEqual(MAX_CYCLE_CELLS / 100 + 100);
  });
});

describe('weighted cycles shared between pools', () => {
  test('the same members, weights and answer count give the same read-only cycle; any difference a new one', () => {
    const a = buildWeightedCycle([0, 1, 2, 3], [1, 2, 3, 4], 2);
    expect(buildWeightedCycle([0, 1, 2, 3], [1, 2, 3, 4], 2)).toBe(a);
    expect(buildWeightedCycle([0, 1, 2, 3], [1, 2, 3, 5], 2)).not.toBe(a);
    expect(buildWeightedCycle([0, 1, 2, 4], [1, 2, 3, 4], 2)).not.toBe(a);
    expect(buildWeightedCycle([0, 1, 2, 3], [1, 2, 3, 4], 3)).not.toBe(a);
    // Shared by every pool with these weights: a plan must not be able to change it for the others.
    expect(() => (a.variants[0] as number[]).push(9)).toThrow(TypeError);
    expect(() => (a.counts as number[]).push(9)).toThrow(TypeError);
  });
});
