/**
 * Weights as the weighted policies use them: whole numbers, reduced by their gcd, and scaled down
 * proportionally when their sum would make the weighted cycle longer than MAX_CYCLE answers.
 */
import type { Pool } from '../model/zone.js';

/** Longest weighted cycle (answers before the pattern repeats) that a plan pre-computes. */
export const MAX_CYCLE = 10_000;

/** The members with a positive weight and those weights; all weighted 1 if none is positive. */
export function weightedMembers(pool: Pool, members: readonly number[]): { members: number[]; weights: number[] } {
  const kept: number[] = [];
  const weights: number[] = [];
  for (const index of members) {
    const w = pool.members[index]?.weight ?? 0;
    if (Number.isFinite(w) && w > 0) {
      kept.push(index);
      weights.push(w);
    }
  }
  // A pool whose every candidate has weight 0 still answers: zero weights then mean "equal".
  if (kept.length === 0) return { members: [...members], weights: members.map(() => 1) };
  return { members: kept, weights };
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Positive integer weights with the same proportions (exactly, unless their sum exceeds `max`):
 * fractions are rounded (never to 0), then divided by their gcd. If the sum is still above `max`,
 * each weight becomes max(1, round(w * max / sum)) — proportions then hold to within ±0.5/max
 * of the total per member, and a weight-1 member may get slightly more than its share.
 */
export function reduceWeights(weights: readonly number[], max: number = MAX_CYCLE): number[] {
  let ints = weights.map((w) => Math.max(1, Math.round(w)));
  ints = divideByGcd(ints);
  const sum = ints.reduce((a, b) => a + b, 0);
  if (sum > max) ints = divideByGcd(ints.map((w) => Math.max(1, Math.round((w * max) / sum))));
  return ints;
}

function divideByGcd(ints: number[]): number[] {
  const g = ints.reduce((a, b) => gcd(a, b), 0);
  return g > 1 ? ints.map((w) => w / g) : ints;
}
