/**
 * `weighted-random`: each answer's first member is drawn with probability proportional to its
 * weight. With one record per answer the draw uses the exact configured weights (a cumulative
 * table and a binary search, O(log n)). With N records it enters the weighted cycle
 * (weighted-cycle.ts) at a uniformly random position, so the first record keeps the (reduced)
 * weight proportions and inclusion is proportional to weight as far as N records allow. That is
 * closer to the weights than drawing the others by sampling without replacement (whose inclusion
 * odds flatten heavy weights), and every variant stays few enough to pre-encode.
 */
import { uniformIndex, type Policy, type PolicyPlan } from './policy.js';
import { buildWeightedCycle } from './weighted-cycle.js';
import { weightedMembers } from './weights.js';

export const weightedRandom: Policy = ({ pool, members, maxAnswers }) => {
  const candidates = weightedMembers(pool, members);
  if (Math.min(maxAnswers, candidates.members.length) === 1) return singleDraw(candidates.members, candidates.weights);
  const cycle = buildWeightedCycle(candidates.members, candidates.weights, maxAnswers);
  const { sequence } = cycle;
  const length = sequence.length;
  return {
    variants: cycle.variants,
    pick: (ctx) => sequence[uniformIndex(ctx.random.next(), length)] ?? 0,
    shares: cycle.counts.map((c) => c / length),
    clientDependent: false,
  };
};

function singleDraw(members: readonly number[], weights: readonly number[]): PolicyPlan {
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => {
    total += w;
    cumulative[i] = total;
  });
  const last = weights.length - 1;
  return {
    variants: members.map((m) => [m]),
    pick: (ctx) => {
      const r = ctx.random.next() * total;
      // First i with cumulative[i] > r.
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((cumulative[mid] ?? 0) > r) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
    shares: weights.map((w) => w / total),
    clientDependent: false,
  };
}
