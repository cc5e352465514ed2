import { describe, expect, test } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import type { AnswerPlan } from '../../../balance/types.js';
import type { HealthView } from '../../../model/health.js';
import type { Pool } from '../../../model/zone.js';
import { ctx, makeHealth, makePool } from './fixtures.js';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `198.${51 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);

function answered(plan: AnswerPlan) {
  if (plan.kind !== 'answer') throw new Error(`expected an answer, got ${plan.kind}`);
  return plan;
}

/** The first member (pool index) each client key gets. */
function assignment(pool: Pool, health: HealthView): number[] {
  const plan = answered(buildPlan(pool, health));
  return KEYS.map((key, seq) => plan.variants[plan.pick(ctx(seq, undefined, key))]![0]!);
}

describe('sticky (weighted rendezvous hashing)', () => {
  const five = makePool({ policy: 'sticky' }, [{}, {}, {}, {}, {}]);

  test('a client key always gets the same member, whatever the counter or random source', () => {
    const plan = answered(buildPlan(five, makeHealth({})));
    expect(plan.clientDependent).toBe(true);
    const picks = new Set(Array.from({ length: 50 }, (_, seq) => plan.pick(ctx(seq, { next: () => (seq * 0.37) % 1 }, '203.0.113.0/24'))));
    expect(picks.size).toBe(1);
  });

  test('equal weights spread 10,000 keys evenly', () => {
    const counts = [0, 0, 0, 0, 0];
    for (const m of assignment(five, makeHealth({}))) counts[m]! += 1;
    for (const c of counts) expect(Math.abs(c / KEYS.length - 0.2)).toBeLessThan(0.02);
  });

  test('weights 1:2:3:4 spread keys in proportion', () => {
    const pool = makePool({ policy: 'sticky' }, [{ weight: 1 }, { weight: 2 }, { weight: 3 }, { weight: 4 }]);
    const counts = [0, 0, 0, 0];
    for (const m of assignment(pool, makeHealth({}))) counts[m]! += 1;
    counts.forEach((c, i) => expect(Math.abs(c / KEYS.length - (i + 1) / 10), `member ${i}`).toBeLessThan(0.02));
  });

  test('when a member dies only its clients move, spread over the others; when it returns they come back', () => {
    for (const pool of [five, makePool({ policy: 'sticky' }, [{ weight: 1 }, { weight: 2 }, { weight: 3 }, { weight: 4 }, { weight: 5 }])]) {
      const before = assignment(pool, makeHealth({}));
      const during = assignment(pool, makeHealth({ t12: 'down' }));
      let moved = 0;
      const movedTo = new Set<number>();
      before.forEach((m, i) => {
        if (m === 2) {
          moved++;
          movedTo.add(during[i]!);
        } else expect(during[i], `key ${KEYS[i]}`).toBe(m);
      });
      expect(moved).toBeGreaterThan(500);
      expect(movedTo).toEqual(new Set([0, 1, 3, 4]));
      expect(assignment(pool, makeHealth({ t12: 'up' }))).toEqual(before);
    }
  });

  test('adding a member takes keys only onto the new member', () => {
    const four = makePool({ policy: 'sticky' }, [{}, {}, {}, {}]);
    const before = assignment(four, makeHealth({}));
    const after = assignment(five, makeHealth({}));
    const changed = after.filter((m, i) => m !== before[i]);
    expect(changed.length).toBeGreaterThan(1000);
    expect(new Set(changed)).toEqual(new Set([4]));
  });

  test('the others follow the chosen member in rotation order, answers caps them', () => {
    const pool = makePool({ policy: 'sticky', answers: 2 }, [{}, {}, {}]);
    const plan = answered(buildPlan(pool, makeHealth({})));
    expect(plan.variants).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
    ]);
  });
});
