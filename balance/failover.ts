/**
 * `failover`: priority groups (priority=1 first). Answers come only from the best group that has
 * a candidate, rotated within the group; the next group is used only when every member of the
 * groups above is down. Backups come after all groups because liveness.ts offers them only when
 * no non-backup member is live.
 */
import { cycleIndex, uniformShares, type Policy } from './policy.js';
import { rotations } from './rotations.js';

export const failover: Policy = ({ pool, members, maxAnswers }) => {
  const priorityOf = (index: number) => pool.members[index]?.priority ?? 1;
  const best = Math.min(...members.map(priorityOf));
  const group = members.filter((index) => priorityOf(index) === best);
  const variants = rotations(group, maxAnswers);
  const n = variants.length;
  return { variants, pick: (ctx) => cycleIndex(ctx.seq, n), shares: uniformShares(n), clientDependent: false };
};
