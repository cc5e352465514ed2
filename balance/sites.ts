/**
 * Sites (issue 12): a pool with `map=` answers each client from the first site of its map rule's
 * list that is up. A site is up while at least `site-threshold` (default 50%, as gdnsd's
 * `up_thresh`) of its members' weight is live. Within the chosen site the pool's policy, answers
 * and stickiness apply to that site's live members only (backups of the site when none of its
 * other members is live). When no site of a list is up, the pool's all-down rule applies over all
 * its members (`all-down=cname:TARGET` answers a CNAME instead).
 *
 * The plan concatenates one block of variants per serving unit (each site some route uses, and
 * the all-down block); a route is an offset into it, so the DNS side can still encode every variant
 * in advance. pick(ctx) reads ctx.route.
 */
import type { HealthView } from '../model/health.js';
import type { Pool } from '../model/zone.js';
import { allDownCandidates } from './all-down.js';
import { isLive } from './liveness.js';
import type { Policy, PolicyPlan } from './policy.js';
import type { RouteOutcome, SiteRouting, SiteState } from './site-routing.js';
import type { AnswerPlan, PickContext } from './types.js';

export const DEFAULT_SITE_THRESHOLD = 0.5;

/** Each site's state: the map's sites in map order, then sites only members name. */
export function siteStates(pool: Pool, health: HealthView): SiteState[] {
  const threshold = pool.config.siteThreshold ?? DEFAULT_SITE_THRESHOLD;
  const names = [...(pool.siteMap?.sites ?? [])];
  for (const m of pool.members) if (m.site !== undefined && !names.includes(m.site)) names.push(m.site);
  return names.map((name) => {
    let upWeight = 0;
    let totalWeight = 0;
    for (const m of pool.members) {
      if (m.site !== name) continue;
      totalWeight += m.weight;
      if (isLive(m, health, pool.config.unknown, pool.name)) upWeight += m.weight;
    }
    // A small epsilon keeps 50% of 3 from failing on floating point.
    const up = totalWeight > 0 && upWeight > 0 && upWeight + 1e-9 >= threshold * totalWeight;
    return { name, upWeight, totalWeight, threshold, up };
  });
}

/** The members a site answers with: its live primaries, else its live backups. */
function siteMembers(pool: Pool, health: HealthView, site: string): number[] {
  const primaries: number[] = [];
  const backups: number[] = [];
  pool.members.forEach((m, i) => {
    if (m.site !== site || !isLive(m, health, pool.config.unknown, pool.name)) return;
    (m.backup ? backups : primaries).push(i);
  });
  return primaries.length > 0 ? primaries : backups;
}

interface Block {
  readonly plan: PolicyPlan;
  readonly first: number;
}

export function buildSitePlan(pool: Pool, health: HealthView, policy: Policy, maxAnswers: number, downPlan: (mode: 'nodata' | 'servfail' | 'cname') => AnswerPlan): AnswerPlan {
  const map = pool.siteMap;
  if (!map) throw new Error(`buildSitePlan: pool ${pool.key} has no map`);
  const sites = siteStates(pool, health);
  const up = new Set(sites.filter((s) => s.up).map((s) => s.name));

  // Distinct site lists: one route each.
  const listKeys = new Map<string, number>();
  const lists: (readonly string[])[] = [];
  const ruleRoute = map.rules.map((rule) => {
    const key = rule.sites.join('>');
    let route = listKeys.get(key);
    if (route === undefined) {
      route = lists.length;
      listKeys.set(key, route);
      lists.push(rule.sites);
    }
    return route;
  });

  const variants: (readonly number[])[] = [];
  const blocks = new Map<string, Block>();
  const ALL_DOWN = '\u0000all-down';
  const blockFor = (key: string, members: readonly number[]): Block => {
    let block = blocks.get(key);
    if (!block) {
      const plan = policy({ pool, health, members, maxAnswers });
      block = { plan, first: variants.length };
      variants.push(...plan.variants);
      blocks.set(key, block);
    }
    return block;
  };
  const routes: RouteOutcome[] = [];
  const routeBlocks: (Block | undefined)[] = [];
  let anyAnswer = false;
  let everyAllDown = true;
  const fallback = allDownCandidates(pool);
  for (const list of lists) {
    const site = list.find((s) => up.has(s));
    if (site !== undefined) {
      const block = blockFor(site, siteMembers(pool, health, site));
      routes.push({ kind: 'site', site, first: block.first, count: block.plan.variants.length });
      routeBlocks.push(block);
      anyAnswer = true;
      everyAllDown = false;
    } else if (fallback.kind === 'members') {
      const block = blockFor(ALL_DOWN, fallback.members);
      routes.push({ kind: 'all-down', first: block.first, count: block.plan.variants.length });
      routeBlocks.push(block);
      anyAnswer = true;
    } else {
      routes.push({ kind: 'down' });
      routeBlocks.push(undefined);
    }
  }
  if (!anyAnswer) return downPlan(fallback.kind === 'members' ? 'nodata' : fallback.kind);

  // Expected shares: routes weighted evenly (the report has no client population to go by).
  const shares = new Array<number>(variants.length).fill(0);
  const answering = routeBlocks.filter((b): b is Block => b !== undefined);
  for (const block of answering) {
    block.plan.shares.forEach((share, i) => {
      shares[block.first + i]! += share / answering.length;
    });
  }
  const picks = routeBlocks.map((b) => b?.plan.pick);
  const firsts = routeBlocks.map((b) => b?.first ?? 0);
  const pick = (ctx: PickContext): number => {
    const route = ctx.route ?? 0;
    const p = picks[route];
    return p === undefined ? 0 : (firsts[route] ?? 0) + p(ctx);
  };
  const routing: SiteRouting = { map, ruleRoute, lists, routes, sites };
  let clientDependent = false;
  for (const b of answering) if (b.plan.clientDependent) clientDependent = true;
  return { kind: 'answer', variants, pick, shares, clientDependent, allDown: everyAllDown, routing };
}
