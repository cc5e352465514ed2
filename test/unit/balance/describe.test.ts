import { describe, expect, test } from 'vitest';
import { describePlan } from '../../../balance/describe.js';
import { buildPlan } from '../../../balance/plan.js';
import { makeHealth, makePool } from './fixtures.js';

function shares(pool: ReturnType<typeof makePool>, health = makeHealth({})) {
  return describePlan(pool, buildPlan(pool, health)).map(({ first, inclusion }) => [round(first), round(inclusion)]);
}
const round = (x: number) => Math.round(x * 1e9) / 1e9;

describe('describePlan', () => {
  test('weighted 3:5, one record: first = inclusion = weight share', () => {
    expect(shares(makePool({ policy: 'weighted', answers: 1 }, [{ weight: 3 }, { weight: 5 }]))).toEqual([
      [0.375, 0.375],
      [0.625, 0.625],
    ]);
  });

  test('round robin, 2 of 4: first 1/4, inclusion 1/2; a down member gets 0', () => {
    expect(shares(makePool({ answers: 2 }, [{}, {}, {}, {}]))).toEqual([
      [0.25, 0.5],
      [0.25, 0.5],
      [0.25, 0.5],
      [0.25, 0.5],
    ]);
    expect(shares(makePool({ answers: 2 }, [{}, {}, {}]), makeHealth({ t12: 'down' }))).toEqual([
      [0.5, 1],
      [0.5, 1],
      [0, 0],
    ]);
  });

  test('weighted 1:2:3:4 with answers=2: inclusion 2w/W', () => {
    const pool = makePool({ policy: 'weighted', answers: 2 }, [{ weight: 1 }, { weight: 2 }, { weight: 3 }, { weight: 4 }]);
    expect(shares(pool)).toEqual([
      [0.1, 0.2],
      [0.2, 0.4],
      [0.3, 0.6],
      [0.4, 0.8],
    ]);
  });

  test('sticky: the weight share of evenly spread clients', () => {
    expect(shares(makePool({ policy: 'sticky', answers: 1 }, [{ weight: 1 }, { weight: 3 }]))).toEqual([
      [0.25, 0.25],
      [0.75, 0.75],
    ]);
  });

  test('nodata and servfail plans give every member 0', () => {
    const pool = makePool({ allDown: 'nodata' }, [{}, {}]);
    const described = describePlan(pool, buildPlan(pool, makeHealth({ t10: 'down', t11: 'down' })));
    expect(described).toEqual([
      { index: 0, address: '192.0.2.10', first: 0, inclusion: 0 },
      { index: 1, address: '192.0.2.11', first: 0, inclusion: 0 },
    ]);
  });

  test('a plan without shares counts its variants as equally likely', () => {
    const pool = makePool({}, [{}, {}]);
    const plan = { kind: 'answer' as const, variants: [[0], [1], [1]], pick: () => 0, clientDependent: false, allDown: false };
    expect(describePlan(pool, plan).map((m) => round(m.first))).toEqual([round(1 / 3), round(2 / 3)]);
  });
});
