/**
 * The share of answers each member should get under a plan, for the skew report to set beside
 * what was actually answered: `first` is the fraction of answers that list the member first,
 * `inclusion` the fraction that contain it at all. From plan.shares (uniform when absent).
 */
import type { Pool } from '../model/zone.js';
import type { AnswerPlan } from './types.js';

export interface MemberShare {
  /** Index into pool.members. */
  readonly index: number;
  readonly address: string;
  readonly first: number;
  readonly inclusion: number;
}

export function describePlan(pool: Pool, plan: AnswerPlan): MemberShare[] {
  const first = new Array<number>(pool.members.length).fill(0);
  const inclusion = new Array<number>(pool.members.length).fill(0);
  if (plan.kind === 'answer') {
    const { variants } = plan;
    variants.forEach((variant, v) => {
      const share = plan.shares?.[v] ?? 1 / variants.length;
      const head = variant[0];
      if (head !== undefined) first[head] = (first[head] ?? 0) + share;
      for (const m of variant) inclusion[m] = (inclusion[m] ?? 0) + share;
    });
  }
  return pool.members.map((member, index) => ({
    index,
    address: member.address,
    first: first[index] ?? 0,
    inclusion: inclusion[index] ?? 0,
  }));
}
