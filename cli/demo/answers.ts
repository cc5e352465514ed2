/**
 * One short line per pool saying what DNS answers now, from the plan the selector currently
 * uses: every address for pools that answer all members, each address's share for pools that
 * answer one at a time.
 */
import { describePlan } from '../../balance/describe.js';
import type { AnswerPlan } from '../../balance/types.js';
import type { Pool } from '../../model/zone.js';

export function describeAnswers(label: string, pool: Pool, plan: AnswerPlan): string {
  if (plan.kind === 'nodata') return `${label} → no records (all down, all-down=nodata)`;
  if (plan.kind === 'servfail') return `${label} → SERVFAIL (all down, all-down=servfail)`;
  if (plan.kind === 'cname') return `${label} → CNAME ${plan.target} (no site up, all-down=cname:)`;
  if (plan.routing) {
    // Issue 12: per site list, the site answering it and its members.
    const routing = plan.routing;
    const parts = routing.lists.map((list, route) => {
      const outcome = routing.routes[route];
      if (!outcome || outcome.kind === 'down') return `${list.join('>')}: all down`;
      const members = new Set<string>();
      for (let v = outcome.first; v < outcome.first + outcome.count; v++) for (const i of plan.variants[v] ?? []) members.add(pool.members[i]?.address ?? '?');
      return `${list.join('>')}: ${outcome.kind === 'site' ? outcome.site : 'all down, serve-all'} ${[...members].join(' ')}`;
    });
    return `${label} → ${parts.join(' | ')}`;
  }
  const shares = describePlan(pool, plan);
  const oneAtATime = pool.config.answers !== 'all' && shares.some((s) => s.first > 0 && s.first < 1);
  const answered = shares.filter((s) => (oneAtATime ? s.first : s.inclusion) > 0);
  const parts = oneAtATime ? answered.map((s) => `${s.address} ${Math.round(s.first * 100)}%`) : answered.map((s) => s.address);
  const failOpen = plan.allDown ? '  (all down: answering anyway, all-down=serve-all)' : '';
  return `${label} → ${parts.join(oneAtATime ? ', ' : ' ')}${failOpen}`;
}
