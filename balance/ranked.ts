/**
 * Shared by `fastest` and `least-loaded`: order the candidates by a measure (smaller is better;
 * unknown after every known value, then in pool order), treat the members that tie with the best
 * as equals and rotate among them with the query counter, the others following in order. With no
 * tie there is a single variant. When no member has a known measure they all tie, which is plain
 * round robin.
 */
import { cycleIndex, uniformShares, type PolicyPlan } from './policy.js';

export function rankedPlan(
  members: readonly number[],
  measure: (index: number) => number | undefined,
  ties: (best: number, value: number) => boolean,
  maxAnswers: number,
): PolicyPlan {
  const known: { index: number; value: number }[] = [];
  const unknown: number[] = [];
  for (const index of members) {
    const value = measure(index);
    if (value === undefined || Number.isNaN(value)) unknown.push(index);
    else known.push({ index, value });
  }
  known.sort((a, b) => a.value - b.value || a.index - b.index);
  const ordered = [...known.map((k) => k.index), ...unknown];
  const best = known[0]?.value;
  const tied = best === undefined ? ordered.length : known.filter((k) => ties(best, k.value)).length;
  const rest = ordered.slice(tied);
  const size = Math.min(maxAnswers, ordered.length);
  const variants: number[][] = [];
  for (let r = 0; r < tied; r++) {
    const front: number[] = [];
    for (let j = 0; j < tied; j++) front.push(ordered[(r + j) % tied] as number);
    variants.push([...front, ...rest].slice(0, size));
  }
  const n = variants.length;
  return { variants, pick: (ctx) => cycleIndex(ctx.seq, n), shares: uniformShares(n), clientDependent: false };
}
