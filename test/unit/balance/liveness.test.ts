import { describe, expect, test } from 'vitest';
import { isLive, memberState, selectCandidates } from '../../../balance/liveness.js';
import { buildPlan } from '../../../balance/plan.js';
import type { AllDownMode } from '../../../model/zone.js';
import { makeHealth, makePool, octets } from './fixtures.js';

describe('liveness', () => {
  test('an unchecked member is always live, whatever the view says', () => {
    const pool = makePool({ unknown: 'down' }, [{ checked: false }]);
    const member = pool.members[0]!;
    expect(memberState(member, makeHealth({}))).toBe('unchecked');
    expect(isLive(member, makeHealth({}), 'down')).toBe(true);
  });

  test.each([
    ['up', 'up', true],
    ['up', 'down', true],
    ['down', 'up', false],
    ['down', 'down', false],
    ['unknown', 'up', true],
    ['unknown', 'down', false],
  ] as const)('state %s with unknown=%s -> live %s', (state, unknown, live) => {
    const pool = makePool({ unknown }, [{}]);
    expect(isLive(pool.members[0]!, makeHealth({ t10: state }), unknown)).toBe(live);
  });

  test('a target with no verdict yet counts as unknown', () => {
    const pool = makePool({}, [{}]);
    expect(memberState(pool.members[0]!, makeHealth({}))).toBe('unknown');
    expect(isLive(pool.members[0]!, makeHealth({}), 'up')).toBe(true);
    expect(isLive(pool.members[0]!, makeHealth({}), 'down')).toBe(false);
  });

  test('unknown=down leaves only the members known to be up', () => {
    const pool = makePool({ unknown: 'down' }, [{}, {}, {}]);
    const c = selectCandidates(pool, makeHealth({ t11: 'up' }));
    expect(c).toEqual({ kind: 'members', members: [1], allDown: false });
  });
});

describe('backup members', () => {
  const specs = [{}, {}, { backup: true }, { backup: true }];

  test('are not answered while a non-backup member is live', () => {
    const pool = makePool({}, specs);
    const c = selectCandidates(pool, makeHealth({ t10: 'down', t11: 'up', t12: 'up', t13: 'up' }));
    expect(c).toEqual({ kind: 'members', members: [1], allDown: false });
  });

  test('are answered (only the live ones) when every non-backup member is down', () => {
    const pool = makePool({}, specs);
    const c = selectCandidates(pool, makeHealth({ t10: 'down', t11: 'down', t12: 'down', t13: 'up' }));
    expect(c).toEqual({ kind: 'members', members: [3], allDown: false });
  });

  test('apply to every policy', () => {
    const health = makeHealth({ t10: 'down', t11: 'down', t12: 'up', t13: 'up' });
    for (const policy of ['round-robin', 'weighted', 'random', 'weighted-random', 'failover', 'sticky', 'fastest', 'least-loaded'] as const) {
      const plan = buildPlan(makePool({ policy }, specs), health);
      if (plan.kind !== 'answer') throw new Error(`${policy}: no answer`);
      expect(new Set(plan.variants.flat()), policy).toEqual(new Set([2, 3]));
    }
  });
});

describe('all down', () => {
  const allDown = makeHealth({ t10: 'down', t11: 'down', t12: 'down' });
  const withBackup = [{}, {}, { backup: true }];
  const planFor = (mode: AllDownMode, specs: Parameters<typeof makePool>[1]) => buildPlan(makePool({ allDown: mode }, specs), allDown);

  test('serve-all answers every non-backup member as if live, flagged allDown', () => {
    const plan = planFor('serve-all', withBackup);
    expect(plan.kind).toBe('answer');
    if (plan.kind !== 'answer') return;
    expect(plan.allDown).toBe(true);
    expect(new Set(plan.variants.flat())).toEqual(new Set([0, 1]));
  });

  test('serve-all over a pool of backups only answers the backups', () => {
    const plan = planFor('serve-all', [{ backup: true }, { backup: true }]);
    expect(plan.kind === 'answer' && new Set(plan.variants.flat())).toEqual(new Set([0, 1]));
  });

  test('serve-backup answers the backup members, flagged allDown', () => {
    const plan = planFor('serve-backup', withBackup);
    expect(plan.kind === 'answer' && plan.allDown).toBe(true);
    expect(plan.kind === 'answer' && plan.variants).toEqual([[2]]);
  });

  test('serve-backup without backups behaves as serve-all', () => {
    const plan = planFor('serve-backup', [{}, {}]);
    expect(plan.kind === 'answer' && plan.allDown).toBe(true);
    expect(plan.kind === 'answer' && new Set(plan.variants.flat())).toEqual(new Set([0, 1]));
  });

  test('nodata and servfail', () => {
    expect(planFor('nodata', withBackup)).toEqual({ kind: 'nodata', allDown: true });
    expect(planFor('servfail', withBackup)).toEqual({ kind: 'servfail', allDown: true });
  });

  test('a live backup is not "all down"', () => {
    const plan = buildPlan(makePool({ allDown: 'servfail' }, withBackup), makeHealth({ t10: 'down', t11: 'down', t12: 'up' }));
    expect(plan.kind === 'answer' && plan.allDown).toBe(false);
  });

  test('unknown=down with no verdicts yet is all down', () => {
    const pool = makePool({ unknown: 'down', allDown: 'nodata' }, [{}, {}]);
    expect(buildPlan(pool, makeHealth({})).kind).toBe('nodata');
    const failOpen = makePool({ unknown: 'down', allDown: 'serve-all' }, [{}, {}]);
    const plan = buildPlan(failOpen, makeHealth({}));
    expect(plan.kind === 'answer' && plan.allDown).toBe(true);
  });

  test('a pool with no members answers NODATA (SERVFAIL if it says so)', () => {
    expect(buildPlan(makePool({}, []), makeHealth({})).kind).toBe('nodata');
    expect(buildPlan(makePool({ allDown: 'servfail' }, []), makeHealth({})).kind).toBe('servfail');
  });

  test('serve-all keeps the policy (failover still answers the best group)', () => {
    const pool = makePool({ policy: 'failover' }, [{ priority: 2 }, { priority: 1 }, { priority: 1 }]);
    const plan = buildPlan(pool, allDown);
    if (plan.kind !== 'answer') throw new Error('no answer');
    expect(plan.variants.map((v) => octets(pool, v))).toEqual([
      [11, 12],
      [12, 11],
    ]);
  });
});
