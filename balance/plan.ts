/**
 * buildPlan: pool + health view -> AnswerPlan. Liveness and the all-down rule pick the candidate
 * members, the pool's policy turns them into variants and a pick function. Build it once per
 * (pool, health view) and call plan.pick(ctx) per query.
 */
import type { PolicyName } from '../model/zone.js';
import { failover } from './failover.js';
import { fastest } from './fastest.js';
import { leastLoaded } from './least-loaded.js';
import { selectCandidates } from './liveness.js';
import { buildSitePlan } from './sites.js';
import type { Policy } from './policy.js';
import { randomRotation } from './random.js';
import { roundRobin } from './round-robin.js';
import { skewCorrect } from './skew.js';
import { sticky } from './sticky.js';
import type { AnswerPlan, PlanBuilder } from './types.js';
import { weightedRandom } from './weighted-random.js';
import { weighted } from './weighted.js';

const POLICIES: Readonly<Record<PolicyName, Policy>> = {
  'round-robin': roundRobin,
  weighted,
  random: randomRotation,
  'weighted-random': weightedRandom,
  failover,
  sticky,
  fastest,
  'least-loaded': leastLoaded,
};

const NODATA: AnswerPlan = Object.freeze({ kind: 'nodata', allDown: true });
const SERVFAIL: AnswerPlan = Object.freeze({ kind: 'servfail', allDown: true });

/** The all-down answer that is not members: NODATA, SERVFAIL or the `cname:` fallback. */
function downPlan(pool: Parameters<PlanBuilder>[0], kind: 'nodata' | 'servfail' | 'cname'): AnswerPlan {
  if (kind === 'cname' && pool.config.cnameTarget !== undefined) return { kind: 'cname', allDown: true, target: pool.config.cnameTarget };
  return kind === 'servfail' ? SERVFAIL : NODATA;
}

export const buildPlan: PlanBuilder = (pool, health, extras) => {
  const { answers } = pool.config;
  const maxAnswers = answers === 'all' ? Number.POSITIVE_INFINITY : Math.max(1, answers);
  // The zone validator only admits known policy names; round robin is the safe reading otherwise.
  const policy = POLICIES[pool.config.policy] ?? roundRobin;
  // A mapped pool plans per site (the validator refuses skew=correct together with map=).
  if (pool.siteMap) return buildSitePlan(pool, health, policy, maxAnswers, (kind) => downPlan(pool, kind));
  const candidates = selectCandidates(pool, health);
  if (candidates.kind !== 'members') return downPlan(pool, candidates.kind);
  const input = { pool, health, members: candidates.members, maxAnswers };
  if (pool.config.skew === 'correct' && extras?.skew !== undefined) {
    const plan = skewCorrect(input, extras.skew);
    return {
      kind: 'answer',
      variants: plan.variants,
      pick: plan.pick,
      shares: plan.shares,
      ttls: plan.ttls,
      resolverDependent: true,
      clientDependent: false,
      allDown: candidates.allDown,
    };
  }
  const plan = policy(input);
  return {
    kind: 'answer',
    variants: plan.variants,
    pick: plan.pick,
    shares: plan.shares,
    clientDependent: plan.clientDependent,
    allDown: candidates.allDown,
  };
};
