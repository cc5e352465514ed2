/**
 * The weighted cycle shared by `weighted` (walked in order) and `weighted-random` (entered at a
 * random position): W = sum(reduced weights) answers. Answer p puts the SWRR pick p first, so
 * member i is first in exactly w_i of the W answers. With N records per answer (N > 1) the other
 * N-1 members are chosen so that, over the cycle, member i is included in exactly
 *
 *   c_i = N * w_i                       when N * w_i <= W for every member, else
 *   c_i = W (every answer) for the members whose weight is too large to be proportional, and the
 *         remaining slots shared in proportion to weight among the others (rounded to whole
 *         answers per cycle, largest remainder first).
 *
 * Weights are reduced first (reduceWeights: gcd, then proportional scaling past MAX_CYCLE answers,
 * or past MAX_CYCLE_CELLS when the others must be chosen).
 *
 * The others are filled row by row, most urgent first: a member that must be taken now to still
 * reach its count (no slack left) goes first, then the one with the largest share of its count
 * still to place relative to the answers left where it may go (it may not go where it is already
 * first), then the one that comes first soonest in the SWRR sequence. The others are written in
 * rotation order after the first (pool order, wrapping), so a (first, set) pair is one variant.
 * The unit tests check that every count is exact.
 *
 * Variants: k with one record or with every member per answer; otherwise at most
 * min(W, k * C(k-1, N-1)) — a few hundred for 8 members. Build cost O(W * k * min(N, log k)).
 */
import { rotations } from './rotations.js';
import { swrrSequence } from './swrr.js';
import { MAX_CYCLE, reduceWeights } from './weights.js';

export interface WeightedCycle {
  /** Member indices (into pool.members) per variant, in answer order. */
  readonly variants: readonly (readonly number[])[];
  /** The variant of each answer of the cycle; length W. */
  readonly sequence: Uint16Array | Uint32Array;
  /** How many answers of the cycle use each variant. */
  readonly counts: readonly number[];
  /** The whole-number weights the cycle was built from (see reduceWeights); they sum to W. */
  readonly weights: readonly number[];
}

/**
 * Bound on W * k when the others must be chosen (1 < N < k), which is what building costs; past
 * it the weights are scaled down further (k = 64 members: W <= 6,250).
 */
export const MAX_CYCLE_CELLS = 400_000;

/**
 * @param members indices into pool.members
 * @param rawWeights positive weights, one per member
 * @param count records per answer, at least 1
 */
export function buildWeightedCycle(members: readonly number[], rawWeights: readonly number[], count: number): WeightedCycle {
  const key = `${count}|${members.join(',')}|${rawWeights.join(',')}`;
  const known = cycles.get(key);
  if (known) return known;
  const cycle = freezeCycle(computeWeightedCycle(members, rawWeights, count));
  if (cycles.size >= CYCLES_KEPT) cycles.delete(cycles.keys().next().value as string);
  cycles.set(key, cycle);
  return cycle;
}

/**
 * Cycles already built, by members, weights and answer count: pools with the same weights share
 * one. A zone of 100,000 weighted pools repeats a few patterns; a build took 30-40 µs of each
 * pool's first answer (10 members, answers=2), a lookup takes about 1 µs. Oldest out first.
 */
const cycles = new Map<string, WeightedCycle>();
const CYCLES_KEPT = 1024;

/** Shared between pools, so read-only (a plan that changed one would change them all). */
function freezeCycle(cycle: WeightedCycle): WeightedCycle {
  for (const v of cycle.variants) Object.freeze(v);
  Object.freeze(cycle.variants);
  Object.freeze(cycle.counts);
  Object.freeze(cycle.weights);
  return Object.freeze(cycle);
}

function computeWeightedCycle(members: readonly number[], rawWeights: readonly number[], count: number): WeightedCycle {
  const k = members.length;
  const n = Math.min(count, k);
  const choosing = n > 1 && n < k;
  const weights = reduceWeights(rawWeights, choosing ? Math.min(MAX_CYCLE, Math.floor(MAX_CYCLE_CELLS / k)) : MAX_CYCLE);
  const order = swrrSequence(weights);
  if (!choosing) {
    // One record, or every member in every answer: variant i starts with member i (then the
    // others in rotation order), so the SWRR sequence itself indexes the variants.
    return {
      variants: rotations(members, n),
      sequence: k <= 0x10000 ? Uint16Array.from(order) : order,
      counts: weights,
      weights,
    };
  }
  const rows = fillRows(order, weights, n);

  const ids = new Map<string, number>();
  const variants: number[][] = [];
  const counts: number[] = [];
  const sequence = new Uint32Array(rows.length);
  rows.forEach((row, p) => {
    const variant = row.map((local) => members[local] as number);
    const key = variant.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      id = variants.length;
      ids.set(key, id);
      variants.push(variant);
      counts.push(0);
    }
    counts[id] = (counts[id] ?? 0) + 1;
    sequence[p] = id;
  });
  return { variants, sequence: variants.length <= 0x10000 ? Uint16Array.from(sequence) : sequence, counts, weights };
}

/** Inclusion count per member over a cycle of W answers of n records (see the file comment). */
export function inclusionTargets(weights: readonly number[], n: number): number[] {
  const k = weights.length;
  const total = weights.reduce((a, b) => a + b, 0);
  const capped = new Array<boolean>(k).fill(false);
  let slots = n;
  let rest = total;
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < k; i++) {
      const w = weights[i] ?? 0;
      if (!capped[i] && slots * w >= rest) {
        capped[i] = true;
        slots -= 1;
        rest -= w;
        changed = true;
      }
    }
  }
  const targets = weights.map((w, i) => (capped[i] ? total : Math.floor((slots * total * w) / rest)));
  let missing = n * total - targets.reduce((a, b) => a + b, 0);
  // Largest remainder: hand the rounding leftovers to the members that lost the most.
  const byRemainder = weights
    .map((w, i) => ({ i, remainder: capped[i] ? -1 : (slots * total * w) % rest }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing <= 0) break;
    targets[i] = (targets[i] ?? 0) + 1;
    missing -= 1;
  }
  return targets;
}

/** Rows of local member indices: row p starts with order[p], then n-1 other members. */
function fillRows(order: Uint32Array, weights: readonly number[], n: number): number[][] {
  const k = weights.length;
  const total = order.length;
  const targets = inclusionTargets(weights, n);
  /** Inclusions still to place outside the member's own first positions. */
  const need = Int32Array.from(targets, (t, i) => t - (weights[i] ?? 0));
  /** First positions of each member at rows >= p. */
  const firstsLeft = Int32Array.from(weights);

  // nextFirst[i]: the next row (>= p, may run past the cycle end) where member i is first;
  // gap[p]: distance from row p to the next row with the same first member (cyclic).
  const nextFirst = new Int32Array(k);
  const gap = new Int32Array(total);
  const seen = new Int32Array(k).fill(-1);
  for (let q = 2 * total - 1; q >= 0; q--) {
    const m = order[q % total] ?? 0;
    if (q < total) {
      gap[q] = (seen[m] ?? q) - q;
      nextFirst[m] = q;
    }
    seen[m] = q;
  }

  // Urgency of each member at the current row: 2 + share if it has no slack left (it must be
  // taken now), else the share of its count still to place among the rows where it may go.
  // Equal fractions give equal doubles, so ties are exact and fall to the SWRR order.
  const urgency = new Float64Array(k);
  const moreUrgent = (a: number, b: number): boolean => {
    const ua = urgency[a] ?? 0;
    const ub = urgency[b] ?? 0;
    if (ua !== ub) return ua > ub;
    const nextA = nextFirst[a] ?? 0;
    const nextB = nextFirst[b] ?? 0;
    return nextA !== nextB ? nextA < nextB : a < b;
  };
  const byUrgency = (a: number, b: number) => (moreUrgent(a, b) ? -1 : 1);

  const rows: number[][] = [];
  const top: number[] = [];
  const inRow = new Uint8Array(k);
  for (let p = 0; p < total; p++) {
    const first = order[p] ?? 0;
    const rowsLeft = total - p;
    top.length = 0;
    for (let i = 0; i < k; i++) {
      const needed = need[i] ?? 0;
      if (i === first || needed <= 0) continue;
      const avail = rowsLeft - (firstsLeft[i] ?? 0);
      urgency[i] = (avail <= needed ? 2 : 0) + needed / avail;
      top.push(i);
      // Small n: keep only the n-1 most urgent (insertion); large n: sort once below.
      if (n <= 16) {
        let at = top.length - 1;
        while (at > 0 && moreUrgent(i, top[at - 1] ?? 0)) {
          top[at] = top[at - 1] ?? 0;
          at--;
        }
        top[at] = i;
        if (top.length > n - 1) top.length = n - 1;
      }
    }
    if (n > 16) {
      top.sort(byUrgency);
      if (top.length > n - 1) top.length = n - 1;
    }
    inRow.fill(0);
    inRow[first] = 1;
    for (const i of top) {
      inRow[i] = 1;
      need[i] = (need[i] ?? 0) - 1;
    }
    // Only reachable if the fill ran out of members with counts left to place (the tests show it
    // does not): over-include the next members so the answer still has n records.
    for (let d = 1, extra = n - 1 - top.length; extra > 0 && d < k; d++) {
      const i = (first + d) % k;
      if (inRow[i] === 0) {
        inRow[i] = 1;
        extra--;
      }
    }
    // Rotation order after the first: the set decides inclusion, and a fixed order per set keeps
    // the number of distinct variants (and so of pre-encoded answers) down.
    const row = [first];
    for (let d = 1; d < k; d++) {
      const i = (first + d) % k;
      if (inRow[i] === 1) row.push(i);
    }
    rows.push(row);

    firstsLeft[first] = (firstsLeft[first] ?? 0) - 1;
    nextFirst[first] = p + (gap[p] ?? total);
  }
  return rows;
}
