import { describe, expect, test } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import type { AnswerPlan } from '../../../balance/types.js';
import { ctx, makeHealth, makePool, octets } from './fixtures.js';

function variants(plan: AnswerPlan, pool: ReturnType<typeof makePool>) {
  if (plan.kind !== 'answer') throw new Error(`expected an answer, got ${plan.kind}`);
  return plan.variants.map((v) => octets(pool, v));
}

describe('fastest', () => {
  const four = [{}, {}, {}, {}];

  test('orders live members by latency, unknown latency last, one variant', () => {
    const pool = makePool({ policy: 'fastest' }, [...four, { checked: false }]);
    const health = makeHealth({ t10: { state: 'up', latencyMs: 30 }, t11: 'up', t12: { state: 'up', latencyMs: 5 }, t13: { state: 'up', latencyMs: 12 } });
    expect(variants(buildPlan(pool, health), pool)).toEqual([[12, 13, 10, 11, 14]]);
  });

  test('members within 10% of the fastest take turns first', () => {
    const pool = makePool({ policy: 'fastest' }, four);
    const health = makeHealth({
      t10: { state: 'up', latencyMs: 54 },
      t11: { state: 'up', latencyMs: 50 },
      t12: { state: 'up', latencyMs: 55 },
      t13: { state: 'up', latencyMs: 80 },
    });
    const plan = buildPlan(pool, health);
    expect(variants(plan, pool)).toEqual([
      [11, 10, 12, 13],
      [10, 12, 11, 13],
      [12, 11, 10, 13],
    ]);
    expect(plan.kind === 'answer' && [0, 1, 2, 3].map((seq) => plan.pick(ctx(seq)))).toEqual([0, 1, 2, 0]);
  });

  test('below 10 ms the tie band is 1 ms', () => {
    const pool = makePool({ policy: 'fastest', answers: 1 }, [{}, {}, {}]);
    const health = makeHealth({ t10: { state: 'up', latencyMs: 0.4 }, t11: { state: 'up', latencyMs: 1.3 }, t12: { state: 'up', latencyMs: 1.5 } });
    expect(variants(buildPlan(pool, health), pool)).toEqual([[10], [11]]);
  });

  test('a down member is not answered even if it was fastest', () => {
    const pool = makePool({ policy: 'fastest', answers: 1 }, [{}, {}]);
    const health = makeHealth({ t10: { state: 'down', latencyMs: 1 }, t11: { state: 'up', latencyMs: 40 } });
    expect(variants(buildPlan(pool, health), pool)).toEqual([[11]]);
  });

  test('no latency known: plain rotation', () => {
    const pool = makePool({ policy: 'fastest' }, [{}, {}, {}]);
    expect(variants(buildPlan(pool, makeHealth({})), pool)).toEqual([
      [10, 11, 12],
      [11, 12, 10],
      [12, 10, 11],
    ]);
  });
});

describe('least-loaded', () => {
  test('orders by load / weight, one variant', () => {
    const pool = makePool({ policy: 'least-loaded' }, [{ weight: 1 }, { weight: 4 }, { weight: 2 }]);
    // ratios: 0.5, 0.25, 1
    const health = makeHealth({ t10: { state: 'up', load: 0.5 }, t11: { state: 'up', load: 1 }, t12: { state: 'up', load: 2 } });
    expect(variants(buildPlan(pool, health), pool)).toEqual([[11, 10, 12]]);
  });

  test('unknown load goes after every known load', () => {
    const pool = makePool({ policy: 'least-loaded', answers: 2 }, [{}, {}, { checked: false }]);
    const health = makeHealth({ t10: 'up', t11: { state: 'up', load: 90 } });
    expect(variants(buildPlan(pool, health), pool)).toEqual([[11, 10]]);
  });

  test('loads within 10% take turns; zero ties only with zero', () => {
    const pool = makePool({ policy: 'least-loaded', answers: 1 }, [{}, {}, {}, {}]);
    const near = makeHealth({ t10: { state: 'up', load: 10.5 }, t11: { state: 'up', load: 10 }, t12: { state: 'up', load: 12 }, t13: 'up' });
    expect(variants(buildPlan(pool, near), pool)).toEqual([[11], [10]]);
    const zero = makeHealth({ t10: { state: 'up', load: 0 }, t11: { state: 'up', load: 0.01 }, t12: { state: 'up', load: 0 } });
    expect(variants(buildPlan(pool, zero), pool)).toEqual([[10], [12]]);
  });

  test('weight 0 sorts after positive weights', () => {
    const pool = makePool({ policy: 'least-loaded' }, [{ weight: 0 }, { weight: 1 }]);
    const health = makeHealth({ t10: { state: 'up', load: 0 }, t11: { state: 'up', load: 5 } });
    expect(variants(buildPlan(pool, health), pool)).toEqual([[11, 10]]);
  });
});
