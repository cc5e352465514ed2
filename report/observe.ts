/**
 * Observation counters, kept off the DNS answer's critical work. Per pool and member: answers in
 * which it came first and answers that included it. Per (pool, resolver key): queries, the gaps
 * between its repeated queries (count, min, sum, sum of squares, a 16-bucket log histogram; sum
 * and min once more measured from the whole second before the previous query) and what it was
 * given. No per-query log is written.
 *
 * `record()` is a few typed-array increments and one Map lookup; it allocates nothing once a
 * resolver is known (tables are struct-of-arrays that grow by doubling). Memory is bounded by
 * `maxResolvers` across all pools; `sweep()` (call it from a timer, about once a minute) ages out
 * idle resolvers and evicts the least recently seen above 90% of the cap, folding what they
 * contributed into a per-pool rest so totals stay whole.
 */
import { RRType } from '../model/zone.js';
import { DEFAULT_DEMAND_OPTIONS, estimateResolverDemand } from './demand.js';
import type { DemandOptions, GapStats } from './demand.js';
import type { ResolverKey } from './resolver-key.js';
import { formatResolverKey } from './resolver-key.js';
import { ANSWER_LOG_CAPACITY, GAP_BUCKETS, SNAPSHOT_VERSION, gapBucket } from './snapshot.js';
import type { ObservationSnapshot, PoolSnapshot, ResolverSnapshot } from './snapshot.js';

/** What the observer needs of a pool; a zones `Pool` fits. */
export interface ObservedPool {
  readonly key: string;
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly config: { readonly policy: string; readonly answers: number | 'all' };
  readonly members: readonly {
    readonly address: string;
    readonly weight: number;
    readonly backup?: boolean;
    readonly priority?: number;
    readonly site?: string;
  }[];
}

export interface ObserverOptions {
  /** Resolver entries kept across all pools. Default 200,000 (about 40 MB with 4-member pools). */
  readonly maxResolvers?: number;
  /** A resolver not seen for this long is folded into the rest by sweep(). Default 1 h. */
  readonly idleMs?: number;
  /** Estimator settings used when folding resolvers into the rest. */
  readonly demand?: DemandOptions;
  /** Epoch ms the counters start at (default Date.now()). */
  readonly startMs?: number;
  /** Answer-log entries across all pools (about 20 bytes each). Default 262,144; 0 turns the log off. */
  readonly answerLogBudget?: number;
}

export const DEFAULT_MAX_RESOLVERS = 200_000;
export const DEFAULT_IDLE_MS = 3_600_000;
/** Resolver rows a pool starts with on its first answer (doubling after): most pools of a large zone see few resolvers. */
const INITIAL_CAPACITY = 4;
const HIST_MAX = 0xffff;
/**
 * The answer log: the latest answers of a pool (when, to which resolver, which member came
 * first), so the report can replay what it actually answered through the client model
 * (report/replay.ts) instead of assuming independent draws. Per pool it starts at 8 entries and
 * doubles up to ANSWER_LOG_CAPACITY while the observer's budget (about 20 bytes an entry) lasts:
 * most pools of a large zone are asked rarely, and a first answer should not cost a kilobyte of
 * log (nor the budget run out on them before the busy pools grow theirs).
 */
export const ANSWER_LOG_FIRST = 8;
export const DEFAULT_ANSWER_LOG_BUDGET = 262_144;
/** Pools whose answer logs a snapshot carries by default (the busiest): the replay is not free. */
export const DEFAULT_LOG_POOLS = 4;
const NO_MEMBER = 0xffff;

// One row of numbers per (pool, resolver), so a record() touches one or two cache lines.
const Q = 0; // queries
const FIRST = 1; // first seen, epoch ms
const LAST = 2; // last seen, epoch ms
const GAPS = 3; // gap count
const GAP_MIN = 4;
const GAP_SUM = 5;
const GAP_SUM_SQ = 6;
// Gaps measured from the whole second (offset 0, and offset 500 ms) before the previous query:
// sum and minimum of each. Resolvers keep TTLs in whole seconds (demand.ts explains why it matters).
const GRID_SUM_0 = 7;
const GRID_MIN_0 = 8;
const GRID_SUM_500 = 9;
const GRID_MIN_500 = 10;
// The TTL each answer carried (a skew=correct pool gives each resolver its own): the last one
// given, the sum over gaps of the TTL in force when each gap began, and the smallest gap beyond
// it, plain and on the two grids.
const LAST_TTL = 11;
const HELD_SUM = 12;
const IDLE_MIN = 13;
const IDLE_MIN_0 = 14;
const IDLE_MIN_500 = 15;
const GIVEN = 16; // then one column per member: answers given, split over the members carried

class PoolTable {
  info: ObservedPool;
  readonly size: number;
  readonly stride: number;
  answersTotal = 0;
  readonly first: Float64Array;
  readonly included: Float64Array;

  readonly index = new Map<ResolverKey, number>();
  keys: (ResolverKey | undefined)[] = [];
  capacity = 0;
  /** Next never-used slot. */
  top = 0;
  readonly free: number[] = [];
  live = 0;

  rows = new Float64Array(0);
  hist = new Uint16Array(0);

  restResolvers = 0;
  restQueries = 0;
  readonly restLoad: Float64Array;

  // The answer log, a ring: oldest entry at logNext once full.
  logAt = new Float64Array(0);
  logKey: (ResolverKey | undefined)[] = [];
  logMember = new Uint16Array(0);
  logNext = 0;
  logSize = 0;

  constructor(info: ObservedPool) {
    this.info = info;
    this.size = info.members.length;
    this.stride = GIVEN + this.size;
    this.first = new Float64Array(this.size);
    this.included = new Float64Array(this.size);
    this.restLoad = new Float64Array(this.size);
    // Resolver rows are allocated on the first answer, not here: a zone of 100,000 pools that are
    // mostly never asked must not cost 100,000 tables up front.
  }

  grow(capacity: number): void {
    const rows = new Float64Array(capacity * this.stride);
    rows.set(this.rows);
    const hist = new Uint16Array(capacity * GAP_BUCKETS);
    hist.set(this.hist);
    this.rows = rows;
    this.hist = hist;
    this.capacity = capacity;
  }

  allocate(key: ResolverKey, nowMs: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.top === this.capacity) this.grow(Math.max(INITIAL_CAPACITY, this.capacity * 2));
      slot = this.top++;
    }
    this.index.set(key, slot);
    this.keys[slot] = key;
    const row = slot * this.stride;
    this.rows.fill(0, row, row + this.stride);
    this.rows[row + FIRST] = nowMs;
    this.rows[row + LAST] = nowMs;
    this.hist.fill(0, slot * GAP_BUCKETS, (slot + 1) * GAP_BUCKETS);
    this.live++;
    return slot;
  }

  histOf(slot: number): Uint16Array {
    return this.hist.subarray(slot * GAP_BUCKETS, (slot + 1) * GAP_BUCKETS);
  }

  field(slot: number, column: number): number {
    return this.rows[slot * this.stride + column]!;
  }

  gapStats(slot: number): GapStats {
    return {
      queries: this.field(slot, Q),
      gapCount: this.field(slot, GAPS),
      gapMinMs: this.field(slot, GAP_MIN),
      gapSumMs: this.field(slot, GAP_SUM),
      gapSumSqMs: this.field(slot, GAP_SUM_SQ),
      hist: this.histOf(slot),
      gridSumMs: [this.field(slot, GRID_SUM_0), this.field(slot, GRID_SUM_500)],
      gridMinMs: [this.field(slot, GRID_MIN_0), this.field(slot, GRID_MIN_500)],
      heldSumMs: this.field(slot, HELD_SUM),
      idleMinMs: [this.field(slot, IDLE_MIN), this.field(slot, IDLE_MIN_0), this.field(slot, IDLE_MIN_500)],
    };
  }

  /** Folds one resolver into the rest (its estimated load is fixed now) and frees its slot. */
  evict(slot: number, demand: DemandOptions): void {
    const key = this.keys[slot];
    if (key === undefined) return;
    const d = estimateResolverDemand(this.gapStats(slot), this.info.ttl, demand);
    const row = slot * this.stride + GIVEN;
    for (let m = 0; m < this.size; m++) this.restLoad[m]! += this.rows[row + m]! * d.loadPerAnswer;
    this.restResolvers++;
    this.restQueries += this.field(slot, Q);
    this.index.delete(key);
    this.keys[slot] = undefined;
    this.free.push(slot);
    this.live--;
  }

  resolverSnapshot(slot: number): ResolverSnapshot {
    const row = slot * this.stride;
    return {
      key: formatResolverKey(this.keys[slot]!),
      queries: this.field(slot, Q),
      firstMs: this.field(slot, FIRST),
      lastMs: this.field(slot, LAST),
      gapCount: this.field(slot, GAPS),
      gapMinMs: this.field(slot, GAP_MIN),
      gapSumMs: this.field(slot, GAP_SUM),
      gapSumSqMs: this.field(slot, GAP_SUM_SQ),
      gridSumMs: [this.field(slot, GRID_SUM_0), this.field(slot, GRID_SUM_500)],
      gridMinMs: [this.field(slot, GRID_MIN_0), this.field(slot, GRID_MIN_500)],
      heldSumMs: this.field(slot, HELD_SUM),
      idleMinMs: [this.field(slot, IDLE_MIN), this.field(slot, IDLE_MIN_0), this.field(slot, IDLE_MIN_500)],
      hist: Array.from(this.histOf(slot)),
      given: Array.from(this.rows.subarray(row + GIVEN, row + GIVEN + this.size)),
    };
  }

  /** The answer log per resolver key, oldest first (members as indices; a member gone is skipped). */
  answerLogs(): Map<ResolverKey, { atMs: number[]; member: number[] }> {
    const out = new Map<ResolverKey, { atMs: number[]; member: number[] }>();
    const cap = this.logAt.length;
    const start = this.logSize === cap ? this.logNext : 0;
    for (let i = 0; i < this.logSize; i++) {
      const at = (start + i) % cap;
      const key = this.logKey[at];
      const member = this.logMember[at]!;
      if (key === undefined || member === NO_MEMBER) continue;
      let log = out.get(key);
      if (!log) out.set(key, (log = { atMs: [], member: [] }));
      log.atMs.push(this.logAt[at]!);
      log.member.push(member);
    }
    return out;
  }

  liveSlots(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.top; s++) if (this.keys[s] !== undefined) out.push(s);
    return out;
  }
}

export interface ObserverStats {
  readonly pools: number;
  /** Resolver entries held one by one, across pools. */
  readonly tracked: number;
  /** Queries not tracked one by one because the cap was reached. */
  readonly untrackedQueries: number;
  /** Bytes held by the typed arrays (the Map and keys come on top; see docs/report.md). */
  readonly tableBytes: number;
}

export interface PoolAnswerCounts {
  readonly key: string;
  readonly name: string;
  readonly type: 'A' | 'AAAA';
  readonly answersTotal: number;
  readonly members: readonly { readonly address: string; readonly first: number; readonly included: number }[];
}

export class Observer {
  private readonly pools: (PoolTable | undefined)[] = [];
  private readonly poolIndex = new Map<string, number>();
  private readonly maxResolvers: number;
  private readonly idleMs: number;
  private readonly demand: DemandOptions;
  private tracked = 0;
  private untracked = 0;
  private sinceMs: number;
  private readonly logBudget: number;
  private logEntries = 0;

  constructor(options: ObserverOptions = {}) {
    this.maxResolvers = options.maxResolvers ?? DEFAULT_MAX_RESOLVERS;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.demand = options.demand ?? DEFAULT_DEMAND_OPTIONS;
    this.sinceMs = options.startMs ?? Date.now();
    this.logBudget = options.answerLogBudget ?? DEFAULT_ANSWER_LOG_BUDGET;
  }

  /**
   * Registers a pool (on load and on every reload) and returns the index record() takes. The
   * index of a key never changes. When the member list changes, counts follow members by address.
   */
  registerPool(pool: ObservedPool): number {
    const at = this.poolIndex.get(pool.key);
    if (at === undefined) {
      const index = this.pools.length;
      this.pools.push(new PoolTable(pool));
      this.poolIndex.set(pool.key, index);
      return index;
    }
    const old = this.pools[at];
    if (old && sameAddresses(old.info, pool)) {
      old.info = pool;
      return at;
    }
    const next = new PoolTable(pool);
    if (old) this.carryOver(old, next);
    this.pools[at] = next;
    return at;
  }

  /** Forgets pools no longer served; their indices stay reserved. */
  retainPools(keys: { has(key: string): boolean }): void {
    const step = this.retainer(keys);
    while (!step(Number.POSITIVE_INFINITY));
  }

  /**
   * retainPools in steps, for a caller that spreads it over event-loop turns (a large zone has
   * 100,000 pools): each call of the returned function checks up to `max` pools and returns true
   * once every pool was checked. Pools registered meanwhile are checked too.
   */
  retainer(keys: { has(key: string): boolean }): (max: number) => boolean {
    const entries = this.poolIndex.entries();
    return (max) => {
      for (let i = 0; i < max; i++) {
        const next = entries.next();
        if (next.done === true) return true;
        const [key, index] = next.value;
        const table = this.pools[index];
        if (table && !keys.has(key)) {
          this.tracked -= table.live;
          this.logEntries -= table.logAt.length;
          this.pools[index] = undefined;
        }
      }
      return false;
    };
  }

  indexOf(poolKey: string): number | undefined {
    return this.poolIndex.get(poolKey);
  }

  /**
   * Records one answer: `members` are the answered member indices in answer order (an
   * AnswerPlan variant), `resolver` the key from resolver-key.ts, `nowMs` epoch milliseconds,
   * `ttlSeconds` the TTL the answer carried (default: the pool's; skew=correct chooses others).
   */
  record(poolIndex: number, members: readonly number[], resolver: ResolverKey, nowMs: number, ttlSeconds?: number): void {
    const p = this.pools[poolIndex];
    const k = members.length;
    if (p === undefined || k === 0) return;
    p.answersTotal++;
    p.first[members[0]!]!++;
    for (let i = 0; i < k; i++) p.included[members[i]!]!++;
    let slot = p.index.get(resolver);
    if (slot === undefined) {
      if (this.tracked >= this.maxResolvers) {
        // Over the cap: count it, as one client request per answer (the estimator's lower bound).
        this.untracked++;
        p.restQueries++;
        const share = 1 / k;
        for (let i = 0; i < k; i++) p.restLoad[members[i]!]! += share;
        return;
      }
      slot = p.allocate(resolver, nowMs);
      this.tracked++;
    } else {
      const row = slot * p.stride;
      const rows = p.rows;
      const last = rows[row + LAST]!;
      const gap = nowMs - last;
      if (gap >= 0) {
        const n = rows[row + GAPS]!;
        if (n === 0 || gap < rows[row + GAP_MIN]!) rows[row + GAP_MIN] = gap;
        rows[row + GAPS] = n + 1;
        rows[row + GAP_SUM]! += gap;
        rows[row + GAP_SUM_SQ]! += gap * gap;
        const intoSecond = last % 1000;
        const grid0 = gap + intoSecond;
        const grid500 = gap + (intoSecond < 500 ? intoSecond + 500 : intoSecond - 500);
        if (n === 0 || grid0 < rows[row + GRID_MIN_0]!) rows[row + GRID_MIN_0] = grid0;
        if (n === 0 || grid500 < rows[row + GRID_MIN_500]!) rows[row + GRID_MIN_500] = grid500;
        rows[row + GRID_SUM_0]! += grid0;
        rows[row + GRID_SUM_500]! += grid500;
        const held = rows[row + LAST_TTL]!;
        rows[row + HELD_SUM]! += held;
        if (n === 0 || gap - held < rows[row + IDLE_MIN]!) rows[row + IDLE_MIN] = gap - held;
        if (n === 0 || grid0 - held < rows[row + IDLE_MIN_0]!) rows[row + IDLE_MIN_0] = grid0 - held;
        if (n === 0 || grid500 - held < rows[row + IDLE_MIN_500]!) rows[row + IDLE_MIN_500] = grid500 - held;
        const at = slot * GAP_BUCKETS + gapBucket(gap);
        if (p.hist[at] === HIST_MAX) {
          // Keep the shape, forget old counts: halve every bucket of this resolver.
          for (let b = slot * GAP_BUCKETS; b < (slot + 1) * GAP_BUCKETS; b++) p.hist[b] = p.hist[b]! >>> 1;
        }
        p.hist[at]!++;
      }
    }
    const row = slot * p.stride;
    const rows = p.rows;
    rows[row + Q]!++;
    rows[row + LAST] = nowMs;
    rows[row + LAST_TTL] = (ttlSeconds ?? p.info.ttl) * 1000;
    const share = 1 / k;
    for (let i = 0; i < k; i++) rows[row + GIVEN + members[i]!]! += share;
    if (p.logSize === p.logAt.length && p.logAt.length < ANSWER_LOG_CAPACITY) this.growLog(p);
    if (p.logAt.length > 0) {
      const at = p.logNext;
      p.logAt[at] = nowMs;
      p.logKey[at] = resolver;
      p.logMember[at] = members[0]!;
      p.logNext = at + 1 === p.logAt.length ? 0 : at + 1;
      if (p.logSize < p.logAt.length) p.logSize++;
    }
  }

  /** Doubles a full answer log while the budget allows (off the steady state: at most 7 times per pool). */
  private growLog(p: PoolTable): void {
    const cap = p.logAt.length;
    const next = cap === 0 ? ANSWER_LOG_FIRST : cap * 2;
    if (this.logEntries + next - cap > this.logBudget) return;
    const at = new Float64Array(next);
    const member = new Uint16Array(next);
    const keys = new Array<ResolverKey | undefined>(next);
    for (let i = 0; i < p.logSize; i++) {
      const from = (p.logNext + i) % cap;
      at[i] = p.logAt[from]!;
      member[i] = p.logMember[from]!;
      keys[i] = p.logKey[from];
    }
    p.logAt = at;
    p.logMember = member;
    p.logKey = keys;
    p.logNext = p.logSize;
    this.logEntries += next - cap;
  }

  /** Ages out resolvers idle for idleMs, then evicts the least recently seen above 90% of the cap. */
  sweep(nowMs: number): void {
    const step = this.sweeper(nowMs);
    while (!step(Number.POSITIVE_INFINITY));
  }

  /**
   * sweep() in steps, for a caller that spreads it over event-loop turns (a large zone's observer
   * holds a table per pool asked for, up to 100,000): each call of the returned function looks at
   * the resolvers of up to `maxPools` pools for idleness and returns true when done; the last call
   * also enforces the cap (a sort of the resolvers' last-seen times, only above 90% of the cap).
   */
  sweeper(nowMs: number): (maxPools: number) => boolean {
    const idleBefore = nowMs - this.idleMs;
    let next = 0;
    return (maxPools) => {
      const end = Math.min(this.pools.length, next + maxPools);
      for (; next < end; next++) {
        const p = this.pools[next];
        if (!p) continue;
        for (let s = 0; s < p.top; s++) {
          if (p.keys[s] !== undefined && p.field(s, LAST) < idleBefore) {
            p.evict(s, this.demand);
            this.tracked--;
          }
        }
      }
      if (next < this.pools.length) return false;
      this.enforceCap();
      return true;
    };
  }

  /** Above 90% of maxResolvers, evicts the least recently seen down to 80%. */
  private enforceCap(): void {
    const high = Math.floor(this.maxResolvers * 0.9);
    if (this.tracked <= high) return;
    const low = Math.floor(this.maxResolvers * 0.8);
    const seen = new Float64Array(this.tracked);
    let n = 0;
    for (const p of this.pools) if (p) for (let s = 0; s < p.top; s++) if (p.keys[s] !== undefined) seen[n++] = p.field(s, LAST);
    seen.sort();
    const cutoff = seen[n - low] ?? Infinity;
    for (const p of this.pools) {
      if (!p) continue;
      for (let s = 0; s < p.top && this.tracked > low; s++) {
        if (p.keys[s] !== undefined && p.field(s, LAST) < cutoff) {
          p.evict(s, this.demand);
          this.tracked--;
        }
      }
    }
  }

  /** Clears every count (pools stay registered). */
  reset(nowMs: number): void {
    for (let i = 0; i < this.pools.length; i++) {
      const p = this.pools[i];
      if (p) this.pools[i] = new PoolTable(p.info);
    }
    this.tracked = 0;
    this.logEntries = 0;
    this.untracked = 0;
    this.sinceMs = nowMs;
  }

  stats(): ObserverStats {
    let pools = 0;
    let tableBytes = 0;
    for (const p of this.pools) {
      if (!p) continue;
      pools++;
      tableBytes += p.rows.byteLength + p.hist.byteLength + p.first.byteLength + p.included.byteLength + p.restLoad.byteLength + p.logAt.byteLength + p.logMember.byteLength + 8 * p.logKey.length;
    }
    return { pools, tracked: this.tracked, untrackedQueries: this.untracked, tableBytes };
  }

  /** Per pool, answers per member (first, included): cheap, for metrics scraped often. */
  answerCounts(): PoolAnswerCounts[] {
    const out: PoolAnswerCounts[] = [];
    for (const p of this.pools) {
      if (!p) continue;
      out.push({
        key: p.info.key,
        name: p.info.name,
        type: p.info.type === RRType.AAAA ? 'AAAA' : 'A',
        answersTotal: p.answersTotal,
        members: p.info.members.map((m, i) => ({ address: m.address, first: p.first[i] ?? 0, included: p.included[i] ?? 0 })),
      });
    }
    return out;
  }

  /**
   * A serialisable copy of the counters. `maxResolversPerPool` keeps the busiest resolvers (by
   * queries) one by one and folds the others into the rest, to keep what crosses Redis small.
   * `maxLogPools`: the busiest pools (by answers) whose answer logs go with their resolvers.
   */
  toSnapshot(nowMs: number, options: { readonly maxResolversPerPool?: number; readonly maxLogPools?: number } = {}): ObservationSnapshot {
    const limit = options.maxResolversPerPool ?? Infinity;
    const logged = new Set(
      this.pools
        .filter((p): p is PoolTable => p !== undefined && p.logSize > 0)
        .sort((a, b) => b.answersTotal - a.answersTotal)
        .slice(0, options.maxLogPools ?? DEFAULT_LOG_POOLS),
    );
    const pools: PoolSnapshot[] = [];
    for (const p of this.pools) {
      if (!p) continue;
      const logs = logged.has(p) ? p.answerLogs() : undefined;
      let slots = p.liveSlots();
      const restLoad = Array.from(p.restLoad);
      let restResolvers = p.restResolvers;
      let restQueries = p.restQueries;
      if (slots.length > limit) {
        slots.sort((a, b) => p.field(b, Q) - p.field(a, Q));
        for (const s of slots.slice(limit)) {
          const r = p.resolverSnapshot(s);
          const d = estimateResolverDemand(r, p.info.ttl, this.demand);
          for (let m = 0; m < p.size; m++) restLoad[m] = (restLoad[m] ?? 0) + (r.given[m] ?? 0) * d.loadPerAnswer;
          restResolvers++;
          restQueries += r.queries;
        }
        slots = slots.slice(0, limit);
      }
      pools.push({
        key: p.info.key,
        name: p.info.name,
        type: p.info.type === RRType.AAAA ? 'AAAA' : 'A',
        policy: p.info.config.policy,
        answers: p.info.config.answers,
        ttl: p.info.ttl,
        members: p.info.members.map((m) => ({
          address: m.address,
          weight: m.weight,
          backup: m.backup ?? false,
          priority: m.priority ?? 1,
          ...(m.site !== undefined ? { site: m.site } : {}),
        })),
        answersTotal: p.answersTotal,
        first: Array.from(p.first),
        included: Array.from(p.included),
        resolvers: slots.map((s) => {
          const r = p.resolverSnapshot(s);
          const log = logs?.get(p.keys[s]!);
          return log ? { ...r, answers: log } : r;
        }),
        rest: { resolvers: restResolvers, queries: restQueries, load: restLoad },
      });
    }
    return { version: SNAPSHOT_VERSION, sinceMs: this.sinceMs, takenAtMs: nowMs, sources: 1, pools };
  }

  private carryOver(old: PoolTable, next: PoolTable): void {
    const position = new Map(next.info.members.map((m, i) => [m.address, i]));
    const map = old.info.members.map((m) => position.get(m.address) ?? -1);
    next.answersTotal = old.answersTotal;
    next.restResolvers = old.restResolvers;
    next.restQueries = old.restQueries;
    for (let m = 0; m < old.size; m++) {
      const to = map[m]!;
      if (to < 0) continue;
      next.first[to] = old.first[m]!;
      next.included[to] = old.included[m]!;
      next.restLoad[to] = old.restLoad[m]!;
    }
    next.logAt = old.logAt;
    next.logKey = old.logKey;
    next.logMember = old.logMember;
    next.logNext = old.logNext;
    next.logSize = old.logSize;
    for (let i = 0; i < next.logMember.length; i++) {
      const m = next.logMember[i]!;
      if (m !== NO_MEMBER) next.logMember[i] = map[m] === undefined || map[m]! < 0 ? NO_MEMBER : map[m]!;
    }
    for (const s of old.liveSlots()) {
      const slot = next.allocate(old.keys[s]!, old.field(s, FIRST));
      const from = s * old.stride;
      const to = slot * next.stride;
      next.rows.set(old.rows.subarray(from, from + GIVEN), to);
      next.hist.set(old.histOf(s), slot * GAP_BUCKETS);
      for (let m = 0; m < old.size; m++) {
        const at = map[m]!;
        if (at >= 0) next.rows[to + GIVEN + at] = old.rows[from + GIVEN + m]!;
      }
    }
  }
}

function sameAddresses(a: ObservedPool, b: ObservedPool): boolean {
  if (a.members.length !== b.members.length) return false;
  for (let i = 0; i < a.members.length; i++) if (a.members[i]!.address !== b.members[i]!.address) return false;
  return true;
}
