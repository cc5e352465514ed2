/**
 * `fastest`: the candidates by their target's smoothed probe latency, fastest first; members with
 * no latency (unchecked, or no measurement yet) go last. Members within 10% or 1 ms (whichever is
 * larger) of the fastest count as equally fast and take turns first, so probe jitter does not
 * flip every answer to one member.
 */
import type { Policy } from './policy.js';
import { rankedPlan } from './ranked.js';

/** Latency tolerance: relative and absolute (milliseconds); the larger applies. */
export const FASTEST_TIE_RATIO = 0.1;
export const FASTEST_TIE_MS = 1;

export const fastest: Policy = ({ pool, health, members, maxAnswers }) =>
  rankedPlan(
    members,
    (index) => {
      const targetId = pool.members[index]?.targetId;
      return targetId === undefined ? undefined : health.get(targetId)?.latencyMs;
    },
    (best, value) => value <= best + Math.max(best * FASTEST_TIE_RATIO, FASTEST_TIE_MS),
    maxAnswers,
  );
