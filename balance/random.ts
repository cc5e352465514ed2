/** `random`: a uniformly random rotation of the live members for every answer. */
import { uniformIndex, uniformShares, type Policy } from './policy.js';
import { rotations } from './rotations.js';

export const randomRotation: Policy = ({ members, maxAnswers }) => {
  const variants = rotations(members, maxAnswers);
  const n = variants.length;
  return { variants, pick: (ctx) => uniformIndex(ctx.random.next(), n), shares: uniformShares(n), clientDependent: false };
};
