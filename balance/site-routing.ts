/** The shape of a mapped pool's plan (issue 12): types only, built by balance/sites.ts. */
import type { SiteMap } from '../model/site-map.js';

/** One site of a pool as the plan saw it. */
export interface SiteState {
  readonly name: string;
  /** Sum of the weights of the site's live members. */
  readonly upWeight: number;
  /** Sum of the weights of all the site's members (0: the pool has no member there). */
  readonly totalWeight: number;
  /** The pool's site-threshold, a fraction (0-1]. */
  readonly threshold: number;
  /** upWeight ≥ threshold × totalWeight, and totalWeight > 0. */
  readonly up: boolean;
}

/** What one route (a distinct ordered site list of the map) answers now. */
export type RouteOutcome =
  /** The first site of the list that is up: variants [first, first + count) of the plan. */
  | { readonly kind: 'site'; readonly site: string; readonly first: number; readonly count: number }
  /** No site of the list is up; the all-down rule serves these variants (serve-all, serve-backup). */
  | { readonly kind: 'all-down'; readonly first: number; readonly count: number }
  /** No site of the list is up; the all-down rule answers NODATA, SERVFAIL or the CNAME. */
  | { readonly kind: 'down' };

export interface SiteRouting {
  readonly map: SiteMap;
  /** Map rule index → route index. */
  readonly ruleRoute: readonly number[];
  /** Per route: its ordered site list. */
  readonly lists: readonly (readonly string[])[];
  /** Per route: what it answers now. */
  readonly routes: readonly RouteOutcome[];
  /** Every site of the map and of the pool's members, map order first. */
  readonly sites: readonly SiteState[];
}
