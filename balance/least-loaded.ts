/**
 * `least-loaded`: the candidates by load / weight ascending, where load is what the backend
 * reports through its check (`load-header` / `load-json`). A member whose load is unknown
 * (unchecked, no load reported yet, or a check that does not read load) goes after every member
 * with a known load: a backend that stops reporting must not attract all the traffic. A weight of
 * 0 (or less) sorts after every positive weight. Members within 10% of the least loaded take turns
 * first; loads of 0 tie only with 0.
 */
import type { Policy } from './policy.js';
import { rankedPlan } from './ranked.js';

export const LEAST_LOADED_TIE_RATIO = 0.1;

export const leastLoaded: Policy = ({ pool, health, members, maxAnswers }) =>
  rankedPlan(
    members,
    (index) => {
      const member = pool.members[index];
      if (member?.targetId === undefined) return undefined;
      const load = health.get(member.targetId)?.load;
      if (load === undefined) return undefined;
      return member.weight > 0 ? load / member.weight : Number.POSITIVE_INFINITY;
    },
    (best, value) => value <= best + Math.abs(best) * LEAST_LOADED_TIE_RATIO,
    maxAnswers,
  );
