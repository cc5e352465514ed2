import { describe, expect, test } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import type { AnswerPlan } from '../../../balance/types.js';
import { ctx, makeHealth, makePool, octets } from './fixtures.js';

function answered(plan: AnswerPlan) {
  if (plan.kind !== 'answer') throw new Error(`expected an answer, got ${plan.kind}`);
  return plan;
}

describe('round-robin', () => {
  const four = [{}, {}, {}, {}];

  test('the first address cycles through every live member', () => {
    const pool = makePool({}, four);
    const plan = answered(buildPlan(pool, makeHealth({})));
    const firsts = Array.from({ length: 8 }, (_, seq) => octets(pool, plan.variants[plan.pick(ctx(seq))]!)[0]);
    expect(firsts).toEqual([10, 11, 12, 13, 10, 11, 12, 13]);
    expect(plan.clientDependent).toBe(false);
    expect(plan.allDown).toBe(false);
  });

  test('answers=2 of 4: variant i is members i, i+1 (mod 4)', () => {
    const pool = makePool({ answers: 2 }, four);
    const plan = answered(buildPlan(pool, makeHealth({})));
    expect(plan.variants.map((v) => octets(pool, v))).toEqual([
      [10, 11],
      [11, 12],
      [12, 13],
      [13, 10],
    ]);
  });

  test('answers=all lists every live member in rotated order', () => {
    const pool = makePool({}, four);
    const plan = answered(buildPlan(pool, makeHealth({ t11: 'down' })));
    expect(plan.variants.map((v) => octets(pool, v))).toEqual([
      [10, 12, 13],
      [12, 13, 10],
      [13, 10, 12],
    ]);
  });

  test('answers larger than the live count gives every live member', () => {
    const pool = makePool({ answers: 9 }, [{}, {}]);
    const plan = answered(buildPlan(pool, makeHealth({})));
    expect(plan.variants).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  test('pick stays in range for large and negative counters', () => {
    const plan = answered(buildPlan(makePool({}, [{}, {}, {}]), makeHealth({})));
    expect(plan.pick(ctx(2 ** 40 + 1))).toBe((2 ** 40 + 1) % 3);
    expect(plan.pick(ctx(-1))).toBe(2);
  });
});
