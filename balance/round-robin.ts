/**
 * `round-robin`: answer p is the live members rotated by p, so the first address cycles through
 * all of them and `answers=N` gives members p, p+1, ... p+N-1 (mod n).
 */
import { cycleIndex, uniformShares, type Policy } from './policy.js';
import { rotations } from './rotations.js';

export const roundRobin: Policy = ({ members, maxAnswers }) => {
  const variants = rotations(members, maxAnswers);
  const n = variants.length;
  return { variants, pick: (ctx) => cycleIndex(ctx.seq, n), shares: uniformShares(n), clientDependent: false };
};
