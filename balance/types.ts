/**
 * Selection policies turn a pool and the current health into an AnswerPlan once per health or
 * zone change; each query then only calls plan.pick(), which returns an index into plan.variants.
 * Each variant is a list of member indices in answer order, so the DNS side can encode every
 * variant in advance and answer with a copy.
 */
import type { Random } from '../lib/random.js';
import type { Pool } from '../model/zone.js';
import type { HealthView } from '../model/health.js';
import type { SiteRouting } from './site-routing.js';

export type { SiteRouting, SiteState, RouteOutcome } from './site-routing.js';
import type { SkewLedger } from './skew-ledger.js';

export interface PickContext {
  /** Per-pool query counter, incremented by the caller for every answer. */
  readonly seq: number;
  readonly random: Random;
  /**
   * The client key for sticky selection: the EDNS Client Subnet address if present, else the
   * resolver's address, already masked to the pool's prefix (e.g. `198.51.100.0/24`).
   */
  readonly clientKey: string;
  /**
   * For plans with `routing` (pools with `map=`): the route of the client (SiteRouting.ruleRoute
   * of the map rule it matched). The caller checks that the route answers before it picks.
   */
  readonly route?: number;
  /** The resolver's source address (skew correction keys its demand table on it). */
  readonly resolver?: string;
  /** Epoch milliseconds of the query (skew correction); Date.now() when absent. */
  readonly nowMs?: number;
}

export type AnswerPlan =
  | {
      readonly kind: 'answer';
      /** Member indices (into pool.members) per variant, in answer order. Never empty lists. */
      readonly variants: readonly (readonly number[])[];
      pick(ctx: PickContext): number;
      /** True when pick() depends on the client key (sticky): answers must carry an ECS scope. */
      readonly clientDependent: boolean;
      /** True when every member was down and the all-down rule chose these. */
      readonly allDown: boolean;
      /**
       * Expected long-run fraction of answers that use each variant (same length as variants, sums
       * to 1). For sticky plans it assumes client keys spread evenly. Plans built by buildPlan
       * always set it; describePlan() treats a missing one as uniform.
       */
      readonly shares?: readonly number[];
      /** Pools with `map=`: which variants each client route may use (balance/sites.ts). */
      readonly routing?: SiteRouting;
      /**
       * Seconds, per variant: the TTL the answer carries (skew correction's adaptive TTL). Absent:
       * every variant carries the pool's TTL.
       */
      readonly ttls?: readonly number[];
      /** True when pick() needs ctx.resolver and ctx.nowMs (skew correction). */
      readonly resolverDependent?: boolean;
    }
  /** All down with `all-down=nodata`: NOERROR, no records. */
  | { readonly kind: 'nodata'; readonly allDown: true }
  /** All down with `all-down=servfail`. */
  | { readonly kind: 'servfail'; readonly allDown: true }
  /** All down with `all-down=cname:TARGET`: a CNAME to the fallback host. */
  | { readonly kind: 'cname'; readonly allDown: true; readonly target: string };

/** What a plan may need beyond the pool and health: the skew ledger of a `skew=correct` pool. */
export interface PlanExtras {
  readonly skew?: SkewLedger;
}

export type PlanBuilder = (pool: Pool, health: HealthView, extras?: PlanExtras) => AnswerPlan;
