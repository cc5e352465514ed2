import { describe, expect, test } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import type { AnswerPlan } from '../../../balance/types.js';
import { seededRandom, type Random } from '../../../lib/random.js';
import { ctx, makeHealth, makePool } from './fixtures.js';

const PICKS = 10_000;
/** Four standard deviations of a share near 0.5 over 10k picks is 0.02. */
const TOLERANCE = 0.02;

function answered(plan: AnswerPlan) {
  if (plan.kind !== 'answer') throw new Error(`expected an answer, got ${plan.kind}`);
  return plan;
}

/** Fraction of picks in which each member came first and was included at all. */
function tally(plan: ReturnType<typeof answered>, members: number, random: Random) {
  const first = new Array<number>(members).fill(0);
  const included = new Array<number>(members).fill(0);
  for (let seq = 0; seq < PICKS; seq++) {
    const variant = plan.variants[plan.pick(ctx(seq, random))]!;
    first[variant[0]!]! += 1 / PICKS;
    for (const m of variant) included[m]! += 1 / PICKS;
  }
  return { first, included };
}

function expectShares(actual: readonly number[], expected: readonly number[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((share, i) => expect(Math.abs(share - expected[i]!), `member ${i}: ${share} vs ${expected[i]}`).toBeLessThan(TOLERANCE));
}

describe('random', () => {
  test('a uniformly random rotation: each member first ~1/n of the time', () => {
    const pool = makePool({ policy: 'random' }, [{}, {}, {}, {}]);
    const plan = answered(buildPlan(pool, makeHealth({})));
    expect(plan.variants).toHaveLength(4);
    const { first, included } = tally(plan, 4, seededRandom(42));
    expectShares(first, [0.25, 0.25, 0.25, 0.25]);
    expectShares(included, [1, 1, 1, 1]);
  });

  test('does not follow the query counter', () => {
    const plan = answered(buildPlan(makePool({ policy: 'random' }, [{}, {}, {}, {}]), makeHealth({})));
    const random = seededRandom(7);
    const picks = Array.from({ length: 40 }, () => plan.pick(ctx(0, random)));
    expect(new Set(picks).size).toBe(4);
  });

  test('a source that returns 1 still gives a valid index', () => {
    const plan = answered(buildPlan(makePool({ policy: 'random' }, [{}, {}, {}]), makeHealth({})));
    expect(plan.pick(ctx(0, { next: () => 1 }))).toBe(2);
  });
});

describe('weighted-random', () => {
  const weights = [{ weight: 1 }, { weight: 3 }, { weight: 6 }];

  test('answers=1: first (the only record) with probability proportional to weight', () => {
    const pool = makePool({ policy: 'weighted-random', answers: 1 }, weights);
    const plan = answered(buildPlan(pool, makeHealth({})));
    expect(plan.variants).toEqual([[0], [1], [2]]);
    expect(plan.shares).toEqual([0.1, 0.3, 0.6]);
    const { first } = tally(plan, 3, seededRandom(1));
    expectShares(first, [0.1, 0.3, 0.6]);
  });

  test('answers=1 keeps exact proportions of large weights (no cycle scaling)', () => {
    const pool = makePool({ policy: 'weighted-random', answers: 1 }, [{ weight: 9_999 }, { weight: 20_001 }]);
    const plan = answered(buildPlan(pool, makeHealth({})));
    expect(plan.shares).toEqual([9_999 / 30_000, 20_001 / 30_000]);
    // The cumulative table's boundary: r just below 9999/30000 picks the first member.
    expect(plan.pick(ctx(0, { next: () => 0.3332 }))).toBe(0);
    expect(plan.pick(ctx(0, { next: () => 0.3334 }))).toBe(1);
  });

  test('answers=2: first proportional to weight, inclusion proportional to weight (capped at 1)', () => {
    const pool = makePool({ policy: 'weighted-random', answers: 2 }, [{ weight: 1 }, { weight: 2 }, { weight: 3 }, { weight: 4 }]);
    const plan = answered(buildPlan(pool, makeHealth({})));
    const { first, included } = tally(plan, 4, seededRandom(99));
    expectShares(first, [0.1, 0.2, 0.3, 0.4]);
    expectShares(included, [0.2, 0.4, 0.6, 0.8]);
  });

  test('answers=2 with a dominant weight: it is in every answer, the others share the rest', () => {
    const pool = makePool({ policy: 'weighted-random', answers: 2 }, [{ weight: 6 }, { weight: 1 }, { weight: 1 }]);
    const plan = answered(buildPlan(pool, makeHealth({})));
    const { first, included } = tally(plan, 3, seededRandom(3));
    expectShares(first, [0.75, 0.125, 0.125]);
    expectShares(included, [1, 0.5, 0.5]);
  });

  test('the same seed gives the same picks', () => {
    const pool = makePool({ policy: 'weighted-random', answers: 1 }, weights);
    const plan = answered(buildPlan(pool, makeHealth({})));
    const run = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 20 }, () => plan.pick(ctx(0, random)));
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});
