/**
 * The health-aware PoolSelector: keeps one AnswerPlan per pool, built from the current health
 * view by balance/, and rebuilt only for the pools whose targets changed. The query path calls
 * select(), which is a map lookup and plan.pick(); it never waits on health.
 *
 * Both query paths pick through pickVariant(): the full path (select(), via respond.ts) and the
 * UDP fast path (fast-path.ts), which holds a pool's PoolState and answers with the variant's
 * pre-encoded bytes. The rotation counter lives in one object per pool key, shared by both paths
 * and carried across zone reloads, so the rotation stays continuous whichever path answers.
 */
import type { Logger } from '../lib/logger.js';
import { systemRandom, type Random } from '../lib/random.js';
import { runSliced, type SlicedRun } from '../lib/sliced.js';
import type { AnswerPlan, PickContext, PlanBuilder } from '../balance/types.js';
import type { HealthChange, HealthSource, HealthView } from '../model/health.js';
import { RRType, type Pool, type PoolIndex, type PoolMember, type Zone } from '../model/zone.js';
import type { ClientInfo, PoolSelector, Selection } from './pool-selector.js';
import { clientKeyFor } from './client-key.js';
import type { GeoLookup, SiteMap } from '../model/site-map.js';
import { SiteRouter } from './site-router.js';
import { SiteCounters, type SiteAnswerCell } from './site-counters.js';
import { SkewLedger } from '../balance/skew-ledger.js';
import type { PoolDemandTable } from '../model/demand.js';

/** The per-pool query counter plan.pick() reads; one object per pool key. */
export interface PoolCounter {
  seq: number;
}

/** What the selector holds for one pool: its current plan and what both query paths derive from it. */
export interface PoolState {
  readonly pool: Pool;
  readonly plan: AnswerPlan;
  /**
   * Selections per variant, made once per plan (on the first select(), so select() allocates
   * nothing after it): the fast path answers from the encoded variants and never needs them, and
   * a pool answered only there does not keep a member list per variant.
   */
  selections: readonly Selection[] | undefined;
  readonly counter: PoolCounter;
  /** Pools with `map=`: the answer counter of each route's serving site (undefined: none). */
  readonly routeCells?: readonly (SiteAnswerCell | undefined)[];
  /** Pools with `map=`: what a route with no site up answers (the all-down NODATA, SERVFAIL or CNAME). */
  readonly down?: Selection;
  /** Set when a rebuild replaced this state: whoever kept it must fetch the new one (stateOf). */
  replaced: boolean;
}

/**
 * Told about every pool answer on both paths (the skew report's counters hang here): the pool,
 * the answered variant (member indices in answer order, an AnswerPlan variant: never copied),
 * the resolver's address and its EDNS Client Subnet, if any, and the TTL the answer carried. Must
 * be cheap and must not throw.
 */
export interface AnswerObserver {
  onPoolAnswer(pool: Pool, members: readonly number[], clientAddress: string, ecs: ClientInfo['ecs'], nowMs: number, ttlSeconds: number): void;
}

export interface PlannedSelectorOptions {
  readonly health: HealthSource;
  readonly buildPlan: PlanBuilder;
  readonly logger: Logger;
  readonly random?: Random;
  readonly observer?: AnswerObserver;
  /** The GeoIP database for `;@map` country and continent rules (`rondo serve --geoip`). */
  readonly geo?: GeoLookup;
  /** Epoch milliseconds for observations and skew correction (default Date.now). */
  readonly now?: () => number;
}

export interface PlannedSelectorStats {
  /** Plans built since start (first use of a pool, and every rebuild after a health change). */
  planBuilds: number;
}

const NODATA: Selection = { kind: 'nodata' };
const SERVFAIL: Selection = { kind: 'servfail' };
/** Counters checked between two looks at the clock when sweeping after a reload (lib/sliced.ts bounds the turn). */
const COUNTER_SWEEP_STEP = 64;

/** What a mapped pool answers to a client none of whose sites is up, when the all-down rule gives no members. */
function downSelection(pool: Pool): Selection {
  const mode = pool.config.allDown;
  if (mode === 'cname' && pool.config.cnameTarget !== undefined) return { kind: 'cname', target: pool.config.cnameTarget };
  return mode === 'servfail' ? SERVFAIL : NODATA;
}
/** The sequence wraps before it leaves the small-integer range. */
const SEQ_WRAP = 0x7fffffff;

/** PickContext reused for every pick: the query path is synchronous, so one object is enough. */
interface MutablePickContext {
  seq: number;
  random: Random;
  clientKey: string;
  route: number;
  resolver: string;
  nowMs: number;
}

/** The state's selections, made from its plan on first use (PoolState.selections). */
function selectionsOf(state: PoolState): readonly Selection[] {
  if (state.selections) return state.selections;
  const { plan, pool } = state;
  const selections: Selection[] =
    plan.kind === 'nodata'
      ? [NODATA]
      : plan.kind === 'servfail'
        ? [SERVFAIL]
        : plan.kind === 'cname'
          ? [{ kind: 'cname', target: plan.target }]
          : plan.variants.map((variant, v) => {
              const members = variant.map((i) => pool.members[i]).filter((m): m is PoolMember => m !== undefined);
              const ttl = plan.ttls?.[v];
              return ttl === undefined ? { kind: 'answer' as const, members } : { kind: 'answer' as const, members, ttl };
            });
  state.selections = selections;
  return selections;
}

export class PlannedSelector implements PoolSelector {
  readonly stats: PlannedSelectorStats = { planBuilds: 0 };
  /** Answers per site and site state changes (pools with `map=`), for /metrics. */
  readonly sites = new SiteCounters();
  private readonly routers = new WeakMap<SiteMap, SiteRouter>();
  private readonly states = new WeakMap<Pool, PoolState>();
  /** Per pool key, so the rotation carries on across zone reloads. */
  private readonly counters = new Map<string, PoolCounter>();
  /**
   * Target id -> the pools of the served zones whose members probe it: the pool itself when only
   * one does (the usual case; no array per target), else a list.
   */
  private poolsByTarget = new Map<string, Pool | Pool[]>();
  /** pool name -> pools (A and AAAA), for member overrides. */
  private poolsByName = new Map<string, Pool[]>();
  /** Pools of compactly compiled zones, found on demand (by name for member overrides). */
  private lazyIndexes: readonly PoolIndex[] = [];
  private readonly allDownPools = new Set<string>();
  /** Per pool key, for `skew=correct` pools: what skew correction keeps across plan rebuilds. */
  private readonly ledgers = new Map<string, SkewLedger>();
  private readonly now: () => number;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly unsubscribe: () => void;
  private readonly ctx: MutablePickContext;
  private observer: AnswerObserver | undefined;
  private planListener: ((state: PoolState) => void) | undefined;

  constructor(private readonly options: PlannedSelectorOptions) {
    this.random = options.random ?? systemRandom;
    this.ctx = { seq: 0, random: this.random, clientKey: '', route: 0, resolver: '', nowMs: 0 };
    this.now = options.now ?? Date.now;
    this.observer = options.observer;
    this.log = options.logger.child({ component: 'balance' });
    this.unsubscribe = options.health.subscribe((change) => this.onHealthChange(change));
  }

  /** Tell the selector which pools are served now (after every zone load). */
  setPools(pools: Iterable<Pool>, alsoServed?: (key: string) => boolean): void {
    const byTarget = new Map<string, Pool | Pool[]>();
    const byName = new Map<string, Pool[]>();
    const keys = new Set<string>();
    for (const pool of pools) {
      keys.add(pool.key);
      const named = byName.get(pool.name);
      if (named) named.push(pool);
      else byName.set(pool.name, [pool]);
      for (const member of pool.members) {
        if (member.targetId === undefined) continue;
        const known = byTarget.get(member.targetId);
        if (known === undefined) byTarget.set(member.targetId, pool);
        else if (Array.isArray(known)) {
          if (!known.includes(pool)) known.push(pool);
        } else if (known !== pool) byTarget.set(member.targetId, [known, pool]);
      }
    }
    this.poolsByTarget = byTarget;
    this.poolsByName = byName;
    // Sites' first states, so the first change after a load is seen as one.
    const view = this.options.health.view();
    for (const list of byName.values()) for (const pool of list) if (pool.siteMap) this.sites.noteStates(pool, view, this.log);
    // Skew ledgers of pools no longer served go (a handful: only skew=correct pools have one).
    for (const key of this.ledgers.keys()) if (!keys.has(key) && !alsoServed?.(key)) this.ledgers.delete(key);
    // Counters of pools no longer served go; a pool that comes back starts its rotation again.
    this.counterSweep?.cancel();
    if (!alsoServed) {
      for (const key of this.counters.keys()) if (!keys.has(key)) this.counters.delete(key);
      return;
    }
    // Compactly compiled zones: a lookup per counter (one per pool ever asked for, 100,000 in a
    // large zone) runs in slices of a few milliseconds over later turns, so the reload itself stays
    // short. The Map is walked live (no copy of its keys); a newer setPools cancels this pass.
    const pending = this.counters.keys();
    this.counterSweep = runSliced(
      () => {
        for (let i = 0; i < COUNTER_SWEEP_STEP; i++) {
          const next = pending.next();
          if (next.done === true) return true;
          if (!keys.has(next.value) && !alsoServed(next.value)) this.counters.delete(next.value);
        }
        return false;
      },
      { onError: (err) => this.log.error({ err }, 'sweeping the rotation counters failed') },
    );
  }

  /** The pass that forgets the counters of pools no longer served (after a reload), if one runs. */
  private counterSweep: SlicedRun | undefined;

  /** The skew ledger of a `skew=correct` pool (made on first use), else undefined. */
  ledgerFor(pool: Pool): SkewLedger | undefined {
    if (pool.config.skew !== 'correct') return undefined;
    let ledger = this.ledgers.get(pool.key);
    if (!ledger) {
      ledger = new SkewLedger(pool.key, { nowMs: this.now() });
      ledger.configure(pool);
      this.ledgers.set(pool.key, ledger);
    }
    return ledger;
  }

  /** The ledgers of the `skew=correct` pools answered so far, by pool key (for the demand loop and status). */
  skewLedgers(): ReadonlyMap<string, SkewLedger> {
    return this.ledgers;
  }

  /** Hands a pool its demand table (server/ makes it from the ledger's gaps through report/). */
  setDemand(table: PoolDemandTable): void {
    this.ledgers.get(table.poolKey)?.setDemand(table);
  }

  /**
   * Tell the selector which zones are served now (after every zone load). A compactly compiled
   * zone (with a poolIndex) costs only its pools with `map=` here (their sites' first states): the
   * others are found when asked, and a health change finds the decoded ones that probe its target
   * (`decodedWithTarget`), so a reload of a zone with a million checked targets does no work per
   * target on this thread.
   */
  setZones(zones: readonly Zone[]): void {
    const eager: Pool[] = [];
    const indexes: PoolIndex[] = [];
    for (const zone of zones) {
      if (zone.poolIndex) {
        indexes.push(zone.poolIndex);
        eager.push(...zone.poolIndex.mapped());
      } else eager.push(...zone.pools);
    }
    this.lazyIndexes = indexes;
    this.setPools(eager, (key) => indexes.some((index) => index.has(key)));
  }

  /** Sets (or with undefined removes) the observer told about every pool answer. */
  setObserver(observer: AnswerObserver | undefined): void {
    this.observer = observer;
  }

  /** Sets (or with undefined removes) the listener told about every plan built (DNSSEC signs its variants). */
  setPlanListener(listener: ((state: PoolState) => void) | undefined): void {
    this.planListener = listener;
  }

  select(pool: Pool, client: ClientInfo): Selection {
    const state = this.stateOf(pool);
    const plan = state.plan;
    if (plan.kind !== 'answer') return selectionsOf(state)[0] ?? SERVFAIL;
    if (plan.routing) return this.selectRouted(state, plan, client);
    if (!plan.clientDependent) {
      const index = this.pickVariant(state, '', client.address, client.ecs);
      return selectionsOf(state)[index] ?? SERVFAIL;
    }
    const { key, scope } = clientKeyFor(client, pool.config.stickyV4Prefix, pool.config.stickyV6Prefix);
    const index = this.pickVariant(state, key, client.address, client.ecs);
    const members = plan.variants[index]?.map((i) => pool.members[i]).filter((m): m is PoolMember => m !== undefined);
    if (!members || members.length === 0) return SERVFAIL;
    return client.ecs ? { kind: 'answer', members, ecsScope: scope } : { kind: 'answer', members };
  }

  /**
   * A pool with `map=`: the client's rule picks the route; the answer carries the scope of that
   * decision when the query had ECS (with a sticky policy, the longer of it and the sticky prefix).
   */
  private selectRouted(state: PoolState, plan: AnswerPlan & { kind: 'answer' }, client: ClientInfo): Selection {
    const routing = plan.routing!;
    const pool = state.pool;
    const decision = this.routerFor(routing.map).decide(client);
    const route = routing.ruleRoute[decision.rule] ?? 0;
    let scope = client.ecs ? decision.scope : undefined;
    if (routing.routes[route]?.kind === 'down') {
      const down = state.down ?? SERVFAIL;
      return scope === undefined || down.kind === 'servfail' ? down : { ...down, ecsScope: scope };
    }
    let key = '';
    if (plan.clientDependent) {
      const sticky = clientKeyFor(client, pool.config.stickyV4Prefix, pool.config.stickyV6Prefix);
      key = sticky.key;
      if (scope !== undefined) scope = Math.max(scope, sticky.scope);
    }
    const index = this.pickVariant(state, key, client.address, client.ecs, route);
    const selection = selectionsOf(state)[index] ?? SERVFAIL;
    return scope === undefined || selection.kind !== 'answer' ? selection : { ...selection, ecsScope: scope };
  }

  /** The compiled router of a map (prefix tables, GeoIP, the source-address cache). */
  routerFor(map: SiteMap): SiteRouter {
    let router = this.routers.get(map);
    if (!router) {
      router = new SiteRouter(map, this.options.geo);
      this.routers.set(map, router);
    }
    return router;
  }

  /** The current state of a pool, building its plan on first use. */
  stateOf(pool: Pool): PoolState {
    return this.states.get(pool) ?? this.rebuild(pool, this.options.health.view());
  }

  /**
   * The one pick both query paths make for an `answer` plan: advances the pool's counter, picks a
   * variant and tells the observer. `clientKey` is '' unless the plan is client dependent.
   */
  pickVariant(state: PoolState, clientKey: string, clientAddress: string, ecs: ClientInfo['ecs'], route = 0): number {
    const plan = state.plan;
    if (plan.kind !== 'answer') return 0;
    const counter = state.counter;
    const seq = counter.seq;
    counter.seq = seq + 1 >= SEQ_WRAP ? 0 : seq + 1;
    const ctx = this.ctx;
    ctx.seq = seq;
    ctx.clientKey = clientKey;
    ctx.route = route;
    const cells = state.routeCells;
    if (cells !== undefined) {
      const cell = cells[route];
      if (cell !== undefined) cell.count++;
    }
    const observer = this.observer;
    const nowMs = observer !== undefined || plan.resolverDependent === true ? this.now() : 0;
    ctx.resolver = clientAddress;
    ctx.nowMs = nowMs;
    const index = plan.pick(ctx as PickContext);
    if (observer !== undefined) {
      const variant = plan.variants[index];
      if (variant !== undefined) observer.onPoolAnswer(state.pool, variant, clientAddress, ecs, nowMs, plan.ttls?.[index] ?? state.pool.ttl);
    }
    return index;
  }

  /** The plan currently used for a pool (status, reports and the fast path read it). */
  planFor(pool: Pool): AnswerPlan {
    return this.stateOf(pool).plan;
  }

  close(): void {
    this.counterSweep?.cancel();
    this.unsubscribe();
  }

  private onHealthChange(change: HealthChange): void {
    const affected = new Set<Pool>();
    for (const id of change.changed) {
      const pools = this.poolsByTarget.get(id);
      if (Array.isArray(pools)) for (const pool of pools) affected.add(pool);
      else if (pools !== undefined) affected.add(pools);
      // Only pools already planned need a rebuild: the others get the current view on first use.
      for (const index of this.lazyIndexes) for (const pool of index.decodedWithTarget(id)) if (this.states.has(pool)) affected.add(pool);
    }
    for (const m of change.changedMembers ?? []) {
      for (const pool of this.poolsByName.get(m.pool) ?? []) affected.add(pool);
      for (const index of this.lazyIndexes) {
        for (const type of [RRType.A, RRType.AAAA]) {
          const pool = index.find(m.pool, type);
          if (pool && this.states.has(pool)) affected.add(pool);
        }
      }
    }
    for (const pool of affected) this.rebuild(pool, change.view);
  }

  private counterFor(key: string): PoolCounter {
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { seq: 0 };
      this.counters.set(key, counter);
    }
    return counter;
  }

  private rebuild(pool: Pool, view: HealthView): PoolState {
    const skew = this.ledgerFor(pool);
    const plan = this.options.buildPlan(pool, view, skew ? { skew } : undefined);
    this.stats.planBuilds++;
    const previous = this.states.get(pool);
    const base = { pool, plan, selections: undefined, counter: this.counterFor(pool.key), replaced: false };
    const routing = plan.kind === 'answer' ? plan.routing : undefined;
    const state: PoolState = routing
      ? {
          ...base,
          routeCells: routing.routes.map((r) => (r.kind === 'site' ? this.sites.answers(pool, r.site) : r.kind === 'all-down' ? this.sites.answers(pool, '-') : undefined)),
          down: downSelection(pool),
        }
      : base;
    if (pool.siteMap) this.sites.noteStates(pool, view, this.log);
    this.states.set(pool, state);
    if (previous) previous.replaced = true;
    this.noteAllDown(pool, plan);
    this.planListener?.(state);
    return state;
  }

  private noteAllDown(pool: Pool, plan: AnswerPlan): void {
    const down = plan.allDown;
    if (down === this.allDownPools.has(pool.key)) return;
    if (down) {
      this.allDownPools.add(pool.key);
      this.log.warn({ pool: pool.key, mode: pool.config.allDown }, 'all members down, applying all-down rule');
    } else {
      this.allDownPools.delete(pool.key);
      this.log.info({ pool: pool.key }, 'pool has live members again');
    }
  }
}
