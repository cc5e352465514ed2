/**
 * Cost of plan.pick() per policy (the per-query part of selection), and of buildPlan() (done once
 * per pool and health change). Run: npx vitest bench --run bench/select.bench.ts
 */
import { bench, describe } from 'vitest';
import { buildPlan } from '../balance/plan.js';
import type { AnswerPlan, PickContext } from '../balance/types.js';
import type { HealthView, TargetHealth } from '../model/health.js';
import { seededRandom } from '../lib/random.js';
import { RRType, type PolicyName, type Pool } from '../model/zone.js';

const POLICIES: readonly PolicyName[] = ['round-robin', 'weighted', 'random', 'weighted-random', 'failover', 'sticky', 'fastest', 'least-loaded'];
const MEMBERS = 8;

function pool(policy: PolicyName, answers: number | 'all'): Pool {
  const members = Array.from({ length: MEMBERS }, (_, i) => {
    const address = `192.0.2.${10 + i}`;
    return {
      address,
      family: 4 as const,
      weight: 1 + ((i * 37) % 11),
      priority: i < 4 ? 1 : 2,
      backup: false,
      targetId: `t${i}`,
      record: {
        name: 'www.example.org.',
        display: 'www.example.org.',
        type: RRType.A,
        ttl: 20,
        rdata: { kind: 'A' as const, address },
        source: { file: 'bench.zone', line: i + 1, column: 1 },
      },
    };
  });
  return {
    key: 'www.example.org./A',
    name: 'www.example.org.',
    display: 'www.example.org.',
    type: RRType.A,
    config: { policy, answers, ttl: undefined, check: 'web', allDown: 'serve-all', unknown: 'up', quorum: 'majority', stickyV4Prefix: 24, stickyV6Prefix: 56 },
    members,
    ttl: 20,
  };
}

const healthMap = new Map<string, TargetHealth>(
  Array.from({ length: MEMBERS }, (_, i) => [`t${i}`, { state: 'up', latencyMs: 5 + i * 3, load: 10 + i, reason: 'bench', since: 0 }]),
);
const health: HealthView = { version: 1, get: (id) => healthMap.get(id) };

const random = seededRandom(1);
const keys = Array.from({ length: 256 }, (_, i) => `198.51.100.${i}/32`);
let seq = 0;
let sink = 0;
const context = { seq: 0, random, clientKey: '' };
function pickLoop(plan: AnswerPlan) {
  if (plan.kind !== 'answer') throw new Error('no answer');
  return () => {
    for (let i = 0; i < 1000; i++) {
      seq++;
      context.seq = seq;
      context.clientKey = keys[seq & 255] as string;
      sink += plan.pick(context as PickContext);
    }
  };
}

for (const answers of [1, 'all'] as const) {
  describe(`pick() x1000, ${MEMBERS} members, answers=${answers}`, () => {
    for (const policy of POLICIES) bench(policy, pickLoop(buildPlan(pool(policy, answers), health)));
  });
}

describe(`buildPlan(), ${MEMBERS} members`, () => {
  for (const policy of POLICIES) bench(`${policy} answers=1`, () => void buildPlan(pool(policy, 1), health));
  bench('weighted answers=3', () => void buildPlan(pool('weighted', 3), health));
});

export { sink };
