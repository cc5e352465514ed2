import { describe, expect, test } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import type { AnswerPlan } from '../../../balance/types.js';
import { makeHealth, makePool, octets } from './fixtures.js';

function variants(plan: AnswerPlan, pool: ReturnType<typeof makePool>) {
  if (plan.kind !== 'answer') throw new Error(`expected an answer, got ${plan.kind}`);
  return plan.variants.map((v) => octets(pool, v));
}

describe('failover', () => {
  // .10 and .11 in group 1, .12 and .13 in group 2, .14 a backup.
  const pool = makePool({ policy: 'failover' }, [{ priority: 1 }, { priority: 1 }, { priority: 2 }, { priority: 2 }, { backup: true }]);

  test('answers from the best group only, rotating within it', () => {
    expect(variants(buildPlan(pool, makeHealth({})), pool)).toEqual([
      [10, 11],
      [11, 10],
    ]);
  });

  test('stays on the best group while any member of it is live', () => {
    expect(variants(buildPlan(pool, makeHealth({ t10: 'down' })), pool)).toEqual([[11]]);
  });

  test('moves to the next group only when the whole group above is down', () => {
    expect(variants(buildPlan(pool, makeHealth({ t10: 'down', t11: 'down' })), pool)).toEqual([
      [12, 13],
      [13, 12],
    ]);
  });

  test('the backup comes after every group', () => {
    const health = makeHealth({ t10: 'down', t11: 'down', t12: 'down', t13: 'down' });
    expect(variants(buildPlan(pool, health), pool)).toEqual([[14]]);
  });

  test('comes back to the best group as soon as one of it is up', () => {
    expect(variants(buildPlan(pool, makeHealth({ t10: 'down', t11: 'up', t12: 'up' })), pool)).toEqual([[11]]);
  });

  test('answers caps the records within the group', () => {
    const three = makePool({ policy: 'failover', answers: 2 }, [{ priority: 1 }, { priority: 1 }, { priority: 1 }, { priority: 2 }]);
    expect(variants(buildPlan(three, makeHealth({})), three)).toEqual([
      [10, 11],
      [11, 12],
      [12, 10],
    ]);
  });

  test('priorities need not start at 1 or be contiguous', () => {
    const sparse = makePool({ policy: 'failover' }, [{ priority: 7 }, { priority: 3 }]);
    expect(variants(buildPlan(sparse, makeHealth({})), sparse)).toEqual([[11]]);
  });
});
