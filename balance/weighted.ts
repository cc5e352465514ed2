/**
 * `weighted`: smooth weighted round robin, walked with the per-pool query counter. Over every
 * W = sum(reduced weights) consecutive answers member i is first exactly w_i times, interleaved;
 * with `answers=N` each member's inclusion is exact as weighted-cycle.ts describes.
 */
import { cycleIndex, type Policy } from './policy.js';
import { buildWeightedCycle } from './weighted-cycle.js';
import { weightedMembers } from './weights.js';

export const weighted: Policy = ({ pool, members, maxAnswers }) => {
  const candidates = weightedMembers(pool, members);
  const cycle = buildWeightedCycle(candidates.members, candidates.weights, maxAnswers);
  const { sequence } = cycle;
  const length = sequence.length;
  return {
    variants: cycle.variants,
    pick: (ctx) => sequence[cycleIndex(ctx.seq, length)] ?? 0,
    shares: cycle.counts.map((c) => c / length),
    clientDependent: false,
  };
};
