/**
 * The state skew correction keeps per pool (by pool key, so it outlives plan rebuilds and zone
 * reloads): the resolvers that ask, their normalised repeat-query gaps and estimated demand, the
 * TTL bucket each one gets, and the load every live cache entry still carries per member.
 *
 * The load model is the hidden load weight of Colajanni, Yu and Dias (1998): an answer given to
 * resolver r with TTL T_r commits about λ̂_r·T_r client requests to the members it names, spent
 * at λ̂_r per second until the entry expires. The ledger keeps, per member, A = Σ λ_e·expiry_e and
 * R = Σ λ_e over live entries, so the residual load still to come at time t is A − t·R, in O(1).
 * Entries leave through a ring of quarter-second expiry slots. An entry a resolver replaces early
 * (it asked again before the expiry: prefetch, or several caches behind one address) gives back
 * what it had not spent yet.
 *
 * Query path: observe() is one Map lookup (the source address string: no allocation once the
 * resolver is known) and a few typed-array updates; nothing else allocates. Off the query path:
 * gaps() (idle times after each expiry) for the estimator, setDemand() with the table report/ made from them, sweep().
 */
import type { NormalisedGaps, PoolDemandTable } from '../model/demand.js';
import type { Pool } from '../model/zone.js';

/** Resolvers tracked per pool; beyond it new resolvers get plain rotation. */
export const DEFAULT_MAX_RESOLVERS = 50_000;
/** Gap sums are halved when this many gaps are counted: the estimate follows recent demand. */
export const GAP_HALF_LIFE = 256;
/** TTL buckets (pre-encoded variant sets) at most. */
export const MAX_TTL_BUCKETS = 6;
/** Default shortest TTL (seconds) correction gives; resolvers floor lower values anyway. */
export const DEFAULT_TTL_MIN = 1;
/**
 * Entry size target for the adaptive TTL: a resolver's TTL is shortened until one cache entry
 * carries at most 1/ENTRY_SPLIT of one member's load over ENTRY_HORIZON_SECONDS (a report
 * window), so each window is made of many entries the correction can place. Sized against the
 * longest TTL instead, a TTL-30 pool left most resolvers 8-30 s entries, each a large part of a
 * member's 10 s window, and its CV stayed at plain rotation's (testbed, 2026-12-06).
 */
export const ENTRY_SPLIT = 6;
export const ENTRY_HORIZON_SECONDS = 10;
/**
 * The longest TTL a resolver gets before its demand is estimated (rotation or the closed loop's
 * pick meanwhile). Short, because nothing yet says how much one entry will carry: at 5 s the
 * testbed's busiest resolver (39% of clients) pinned a sixth of a pool's browsers to one member
 * in its first two entries, for a minute; and the shorter the TTL, the sooner gaps are seen.
 */
export const LEARNING_TTL_SECONDS = 1;
/** A resolver idle this long is forgotten by sweep(). */
export const IDLE_FORGET_MS = 600_000;
/**
 * Closing the loop (feedback()): the seconds of modelled load compared with the load the backends
 * report, which should be their recent request rate (or anything proportional to it) over about
 * this long. Shares are compared, so the unit does not matter.
 */
export const FEEDBACK_WINDOW_SECONDS = 5;
/** A backend-reported correction fades with this time constant (s) when no new report comes. */
export const FEEDBACK_HOLD_SECONDS = 15;
/**
 * Expiry slots per second. Entries leave the ledger at the end of their slot: with whole seconds a
 * 1 s entry was charged 1.5 s on average, half again too much for the busiest resolvers' TTLs.
 */
const RING_SLOTS_PER_SECOND = 4;
/** Seconds of modelled load kept per member for feedback() (a power of two above the window). */
const MODEL_RING = 16;

/** Integer TTLs from `max` down to `min` (0 allowed), geometric (each about 0.55× the next), ascending. */
export function ttlBuckets(min: number, max: number, also?: number): number[] {
  const lo = Math.max(0, Math.min(min, max));
  const set = new Set<number>([max, lo]);
  if (also !== undefined && also >= lo && also <= max) set.add(also);
  for (let t = max; set.size < MAX_TTL_BUCKETS; ) {
    t = Math.floor(t * 0.55);
    if (t <= lo) break;
    set.add(t);
  }
  return [...set].sort((a, b) => a - b);
}

/** Skew-correction figures for status and the report (see SkewLedger.stats()). */
export interface SkewLedgerStats {
  readonly tracked: number;
  /** Resolvers with a demand estimate (the others get plain rotation). */
  readonly estimated: number;
  /** Σ λ̂ over estimated resolvers: client requests per second the correction steers. */
  readonly steeredRate: number;
  /** Answers given by the correction / by plain rotation (unknown resolvers). */
  readonly corrected: number;
  readonly rotated: number;
  /** TTL buckets (seconds) and the estimated resolvers in each. */
  readonly buckets: readonly { readonly ttl: number; readonly resolvers: number }[];
  /** Feedback from backend-reported load (feedback()): rounds, seconds since the last, per member reported vs modelled. */
  readonly feedback: {
    readonly rounds: number;
    readonly ageSeconds: number | null;
    readonly reported: readonly (number | null)[];
    readonly modelled: readonly number[];
    /** RMS over finished windows of the CV of the load the backends reported per member. */
    readonly cv: readonly { readonly windowSeconds: number; readonly windows: number; readonly cvRms: number | null }[];
  };
  /** RMS over finished windows of the CV of the load the ledger charged per member. */
  readonly chargedCv: readonly { readonly windowSeconds: number; readonly windows: number; readonly cvRms: number | null }[];
}

const WINDOWS = [10, 60] as const;

/**
 * The squared CV of per-member load against target shares (targets need not sum to 1; members
 * with target 0 are left out), or undefined with fewer than two such members or no load.
 */
export function shareCvSquared(load: Float64Array, targets: Float64Array): number | undefined {
  let sum = 0;
  let n = 0;
  let targetSum = 0;
  for (let m = 0; m < load.length; m++) {
    if (!(targets[m]! > 0)) continue;
    sum += load[m]!;
    targetSum += targets[m]!;
    n++;
  }
  if (n < 2 || !(sum > 0)) return undefined;
  let variance = 0;
  for (let m = 0; m < load.length; m++) {
    const target = targets[m]! / targetSum;
    if (!(target > 0)) continue;
    const ratio = load[m]! / sum / target;
    variance += target * (ratio - 1) ** 2;
  }
  return variance;
}

export class SkewLedger {
  readonly poolKey: string;
  /** Members of the pool (per-member arrays follow pool.members by index). */
  size = 0;
  private addresses = '';
  /** TTL buckets (seconds, ascending); the last is the longest. */
  buckets: number[] = [1];
  /** The TTL unknown resolvers get (plain rotation): the pool's, bounded by ttl-max and LEARNING_TTL_SECONDS. */
  defaultBucket = 0;
  /** Mean λ̂ of the estimated resolvers: what the closed loop charges a resolver not estimated yet (0: none). */
  typicalRate = 0;
  /** Seconds: the TTL gaps are normalised to (the longest bucket). */
  referenceTtl = 1;
  readonly epochMs: number;

  // --- resolvers (struct of arrays, grows by doubling) ---
  readonly index = new Map<string, number>();
  private keys: (string | undefined)[] = [];
  private readonly free: number[] = [];
  private top = 0;
  private capacity = 0;
  private live = 0;
  private readonly maxResolvers: number;
  private queries = new Float64Array(0);
  private last = new Float64Array(0);
  /** TTL (s) given with the last answer. */
  private lastTtl = new Float64Array(0);
  private gapCount = new Float64Array(0);
  /** Re-asks before the entry expired, and the sum of all gaps (ms). */
  private early = new Float64Array(0);
  private span = new Float64Array(0);
  /** Prefetch re-asks (before expiry, past half the TTL): count, sum and minimum of gap − TTL. */
  private pfCount = new Float64Array(0);
  private pfSum = new Float64Array(0);
  private pfMin = new Float64Array(0);
  private gapMin = new Float64Array(0);
  private gapSum = new Float64Array(0);
  private gapSumSq = new Float64Array(0);
  private grid0Sum = new Float64Array(0);
  private grid0Min = new Float64Array(0);
  private grid500Sum = new Float64Array(0);
  private grid500Min = new Float64Array(0);
  /** λ̂ (requests/s) from the last table; 0 = unknown. */
  rate = new Float64Array(0);
  /** Index into buckets. */
  bucket = new Uint8Array(0);
  /** Seconds the resolver keeps answers beyond the TTL given (its floor or clamp). */
  extraHold = new Float64Array(0);
  /** The live single-member entry of this resolver, to give back on an early re-ask (−1: none). */
  private entryMember = new Int32Array(0);
  private entryRate = new Float64Array(0);
  private entryExpiry = new Float64Array(0);
  private entryRelease = new Float64Array(0);

  // --- members ---
  /** Σ λ·expiry and Σ λ of live entries, per member (seconds since epochMs). */
  sumRateExpiry = new Float64Array(0);
  sumRate = new Float64Array(0);
  /** Target weight per member as the current plan sets it (0 for members not answered). */
  targets = new Float64Array(0);
  /** Horizon loads per member, filled by horizonLoads() for the plan. */
  loads = new Float64Array(0);
  private ringMask = 0;
  private ringRateExpiry = new Float64Array(0);
  private ringRate = new Float64Array(0);
  /** The last expiry slot applied (slots of 1/RING_SLOTS_PER_SECOND s since the epoch). */
  private cursor = 0;
  // What horizonLoads() reads: the ring's sums over the slots (cursor, horizonSlot], kept as
  // entries are charged and given back and as the cursor and the horizon move, so a pick costs
  // O(members) instead of a pass over the horizon's 40 slots (258 ns of a 7.2 µs query, measured).
  private horizonSlot = 0;
  private horizonSeconds = Number.NaN;
  private nearExpiry = new Float64Array(0);
  private nearRateSum = new Float64Array(0);

  private readonly fresh = new Set<number>();
  /** The last demand table (for the report). */
  demand: PoolDemandTable | undefined;
  /** Share of an entry's load spent while it lives; the rest decays with mean tailSeconds. */
  followShare = 1;
  tailSeconds = 60;
  /** Per member: residual load of the tail part, as of tailAt. */
  tail = new Float64Array(0);
  private tailAt = 0;

  // --- accounting ---
  corrected = 0;
  rotated = 0;
  private lastChargeAt = 0;
  private readonly windowLoad: Float64Array[] = [];
  private readonly windowEnd: number[] = [];
  private readonly windowCvSq: number[] = [];
  private readonly windowCount: number[] = [];

  // --- feedback (backend-reported load) ---
  /** Modelled load per member per whole second (ring of MODEL_RING seconds × members). */
  private modelRing = new Float64Array(0);
  /** The last whole second integrated into modelRing. */
  private modelSecond = -1;
  private lastModelAt = 0;
  /** Per member: reported minus modelled rate, from the last feedback(). */
  bias = new Float64Array(0);
  /** Per member: reported rate minus its target share of all reported, from the last feedback(). */
  excess = new Float64Array(0);
  /** When the bias was set (seconds since the epoch); −Infinity: never. */
  biasAt = -Infinity;
  /** Feedback rounds applied, and the last round's reported and modelled rates (for stats). */
  feedbacks = 0;
  private lastReported = new Float64Array(0);
  private pendingLoads: Float64Array | undefined;
  private reportedAt = 0;
  private readonly reportedLoad: Float64Array[] = [];
  private readonly reportedEnd: number[] = [];
  private readonly reportedCvSq: number[] = [];
  private readonly reportedCount: number[] = [];
  private lastModelled = new Float64Array(0);

  constructor(poolKey: string, options: { readonly maxResolvers?: number; readonly nowMs?: number } = {}) {
    this.poolKey = poolKey;
    this.maxResolvers = options.maxResolvers ?? DEFAULT_MAX_RESOLVERS;
    this.epochMs = options.nowMs ?? Date.now();
  }

  /**
   * Fits the ledger to a pool (first use and every reload): TTL buckets from ttl-min/ttl-max and
   * the pool's TTL; a changed member list clears the per-member load (resolver stats stay).
   */
  configure(pool: Pool): void {
    const ttlMax = pool.config.ttlMax ?? pool.ttl;
    const ttlMin = Math.min(pool.config.ttlMin ?? DEFAULT_TTL_MIN, ttlMax);
    // A resolver not estimated yet gets a short TTL, so its demand is learnt from a few gaps in
    // seconds rather than minutes (at TTL 30 s the first estimates took ~100 s on the testbed).
    const fallback = Math.max(ttlMin, Math.min(pool.ttl, ttlMax, LEARNING_TTL_SECONDS));
    const buckets = ttlBuckets(ttlMin, Math.max(1, ttlMax), fallback);
    const changedBuckets = buckets.join(',') !== this.buckets.join(',');
    this.buckets = buckets;
    this.defaultBucket = Math.max(0, buckets.indexOf(fallback));
    this.referenceTtl = buckets[buckets.length - 1]!;
    if (changedBuckets) this.bucket.fill(this.defaultBucket);
    const addresses = pool.members.map((m) => m.address).join(' ');
    if (addresses === this.addresses && this.ringRate.length > 0 && this.ringMask + 1 >= (this.referenceTtl + 2) * RING_SLOTS_PER_SECOND) return;
    this.addresses = addresses;
    this.size = pool.members.length;
    let ring = 4;
    while (ring < (this.referenceTtl + 2) * RING_SLOTS_PER_SECOND) ring *= 2;
    this.ringMask = ring - 1;
    this.sumRateExpiry = new Float64Array(this.size);
    this.sumRate = new Float64Array(this.size);
    this.targets = new Float64Array(this.size);
    this.tail = new Float64Array(this.size);
    this.loads = new Float64Array(this.size);
    this.ringRateExpiry = new Float64Array(ring * this.size);
    this.ringRate = new Float64Array(ring * this.size);
    this.nearExpiry = new Float64Array(this.size);
    this.nearRateSum = new Float64Array(this.size);
    this.horizonSlot = this.cursor;
    this.horizonSeconds = Number.NaN;
    this.entryMember.fill(-1);
    this.modelRing = new Float64Array(MODEL_RING * this.size);
    this.modelSecond = -1;
    this.bias = new Float64Array(this.size);
    this.excess = new Float64Array(this.size);
    this.lastReported = new Float64Array(this.size).fill(Number.NaN);
    this.pendingLoads = undefined;
    this.lastModelled = new Float64Array(this.size);
    this.biasAt = -Infinity;
    this.windowLoad.length = 0;
    this.windowEnd.length = 0;
    this.reportedLoad.length = 0;
    this.reportedEnd.length = 0;
    for (let w = 0; w < WINDOWS.length; w++) {
      this.reportedLoad.push(new Float64Array(this.size));
      this.reportedEnd.push(0);
      this.reportedCvSq[w] = 0;
      this.reportedCount[w] = 0;
      this.windowLoad.push(new Float64Array(this.size));
      this.windowEnd.push(0);
      this.windowCvSq[w] = 0;
      this.windowCount[w] = 0;
    }
  }

  /** Seconds since the epoch. */
  seconds(nowMs: number): number {
    return (nowMs - this.epochMs) / 1000;
  }

  /**
   * Query path: the resolver `key` asked at `nowMs`. Records the idle time after the entry it
   * was given last expired (gap − that TTL; a re-ask before expiry counts as early) and returns
   * its slot, or −1 when the table is full (plain rotation then).
   */
  observe(key: string, nowMs: number): number {
    let slot = this.index.get(key);
    if (slot === undefined) {
      if (this.live >= this.maxResolvers) return -1;
      slot = this.allocate(key, nowMs);
    } else {
      const previous = this.last[slot]!;
      const gap = nowMs - previous;
      if (gap >= 0) {
        let n = this.gapCount[slot]!;
        if (n + this.early[slot]! + this.pfCount[slot]! >= GAP_HALF_LIFE) {
          this.gapCount[slot] = n = n / 2;
          this.early[slot]! /= 2;
          this.pfCount[slot]! /= 2;
          this.pfSum[slot]! /= 2;
          this.span[slot]! /= 2;
          this.gapSum[slot]! /= 2;
          this.gapSumSq[slot]! /= 2;
          this.grid0Sum[slot]! /= 2;
          this.grid500Sum[slot]! /= 2;
        }
        this.span[slot]! += gap;
        // Idle after the entry we gave expired; a re-ask before that (prefetch, or several caches
        // behind the address) is only counted.
        const g = gap - this.lastTtl[slot]! * 1000;
        if (g < 0) {
          if (2 * gap >= this.lastTtl[slot]! * 1000) {
            // A prefetch (late in the entry's life): its idle is measured from the earliest one.
            const p = this.pfCount[slot]!;
            if (p === 0 || g < this.pfMin[slot]!) this.pfMin[slot] = g;
            this.pfCount[slot] = p + 1;
            this.pfSum[slot]! += g;
          } else {
            this.early[slot]!++;
          }
        } else {
          const intoSecond = previous % 1000;
          const g0 = g + intoSecond;
          const g500 = g + (intoSecond < 500 ? intoSecond + 500 : intoSecond - 500);
          if (n === 0 || g < this.gapMin[slot]!) this.gapMin[slot] = g;
          if (n === 0 || g0 < this.grid0Min[slot]!) this.grid0Min[slot] = g0;
          if (n === 0 || g500 < this.grid500Min[slot]!) this.grid500Min[slot] = g500;
          this.gapCount[slot] = n + 1;
          this.gapSum[slot]! += g;
          this.gapSumSq[slot]! += g * g;
          this.grid0Sum[slot]! += g0;
          this.grid500Sum[slot]! += g500;
        }
      }
    }
    this.queries[slot]!++;
    this.last[slot] = nowMs;
    return slot;
  }

  /** Applies the expiry slots up to `t` (seconds since the epoch) and decays the tails. */
  advance(t: number): void {
    const dt = t - this.tailAt;
    // Decayed at most every 10 ms (exact for what was there; what was added since decays ≤ 10 ms early).
    if (dt > 0.01) {
      this.tailAt = t;
      const keep = Math.exp(-dt / this.tailSeconds);
      for (let m = 0; m < this.size; m++) this.tail[m]! *= keep;
    }
    const slot = Math.floor(t * RING_SLOTS_PER_SECOND);
    if (slot <= this.cursor) return;
    const size = this.size;
    if (slot - this.cursor > this.ringMask) {
      // Idle for longer than any entry lives: nothing is live any more.
      this.sumRateExpiry.fill(0);
      this.sumRate.fill(0);
      this.ringRateExpiry.fill(0);
      this.ringRate.fill(0);
      this.cursor = slot;
      this.emptyHorizon();
      return;
    }
    while (this.cursor < slot) {
      this.cursor++;
      const at = (this.cursor & this.ringMask) * size;
      const inHorizon = this.cursor <= this.horizonSlot;
      for (let m = 0; m < size; m++) {
        this.sumRateExpiry[m]! -= this.ringRateExpiry[at + m]!;
        this.sumRate[m]! -= this.ringRate[at + m]!;
        if (inHorizon) {
          this.nearExpiry[m]! -= this.ringRateExpiry[at + m]!;
          this.nearRateSum[m]! -= this.ringRate[at + m]!;
        }
        this.ringRateExpiry[at + m] = 0;
        this.ringRate[at + m] = 0;
      }
    }
    // Every slot of the horizon passed: start it again from nothing (no rounding left over).
    if (this.horizonSlot <= this.cursor) this.emptyHorizon();
  }

  private emptyHorizon(): void {
    this.horizonSlot = this.cursor;
    this.nearExpiry.fill(0);
    this.nearRateSum.fill(0);
  }

  /** Adds to (or, negative, takes from) ring slot `slot` (absolute), and the horizon's sums if it is in them. */
  private addToSlot(slot: number, m: number, rate: number, rateExpiry: number): void {
    const at = (slot & this.ringMask) * this.size + m;
    this.ringRateExpiry[at]! += rateExpiry;
    this.ringRate[at]! += rate;
    // In the horizon when its ring position is one of (cursor, horizonSlot]'s, as horizonLoads' pass read it.
    if (((slot - this.cursor - 1) & this.ringMask) < this.horizonSlot - this.cursor) {
      this.nearExpiry[m]! += rateExpiry;
      this.nearRateSum[m]! += rate;
    }
  }

  /** Residual load (client requests still to come from live entries) of member m at t. */
  residual(m: number, t: number): number {
    const v = this.sumRateExpiry[m]! - t * this.sumRate[m]!;
    return (v > 0 ? v : 0) + this.tail[m]!;
  }

  /**
   * The load each member will receive in the next `horizon` seconds from live entries, into
   * `out` (per member): each follow entry counts λ·min(remaining, horizon), the tail its decay
   * within the horizon. O(members): the slot sums are kept as entries come and go (addToSlot).
   * Balancing this (not the whole residual) keeps the next window even: a long, light entry weighs
   * no more than its share of the window.
   */
  horizonLoads(t: number, horizon: number, out: Float64Array): void {
    const size = this.size;
    // The last slot may hold entries expiring up to one slot after the horizon: counted whole.
    const last = Math.min(this.cursor + this.ringMask, Math.ceil((t + horizon) * RING_SLOTS_PER_SECOND));
    if (horizon !== this.horizonSeconds || last < this.horizonSlot) {
      // Another horizon, or time went back: sum the slots again.
      this.horizonSeconds = horizon;
      this.emptyHorizon();
    }
    while (this.horizonSlot < last) {
      this.horizonSlot++;
      const at = (this.horizonSlot & this.ringMask) * size;
      for (let m = 0; m < size; m++) {
        this.nearExpiry[m]! += this.ringRateExpiry[at + m]!;
        this.nearRateSum[m]! += this.ringRate[at + m]!;
      }
    }
    const tailShare = 1 - Math.exp(-horizon / this.tailSeconds);
    for (let m = 0; m < size; m++) {
      const nearRate = this.nearRateSum[m]!;
      const follow = this.nearExpiry[m]! - t * nearRate + (this.sumRate[m]! - nearRate) * horizon;
      out[m] = (follow > 0 ? follow : 0) + this.tail[m]! * tailShare;
    }
  }

  /** One member's horizon load (tests; the plan uses horizonLoads). */
  within(m: number, t: number, horizon: number): number {
    const out = new Float64Array(this.size);
    this.horizonLoads(t, horizon, out);
    return out[m]!;
  }

  /**
   * Charges an answer's load to member m: `rate` requests/s for `served` seconds (servedSeconds),
   * followShare of it spent until t + served, the rest added to the member's decaying tail.
   */
  charge(m: number, rate: number, t: number, served: number): void {
    this.tail[m]! += (1 - this.followShare) * rate * served;
    this.follow(m, this.followShare * rate, t, served);
  }

  /**
   * Seconds of client lookups an entry of a resolver with demand `rate` and hold `hold` serves: its
   * life plus the wait for the lookup that makes the resolver ask again (1 / the rate of lookups
   * that miss, the follow share of the demand). With a TTL of 0 that wait is all there is: one
   * answer per lookup, each charged as one lookup's load, so a stream of them spreads by deficit.
   */
  servedSeconds(rate: number, hold: number): number {
    const missing = rate * this.followShare;
    return hold + (missing > 0 ? 1 / missing : 0);
  }

  /** The part of an entry spent at `rate` per second until t + ttl. */
  private follow(m: number, rate: number, t: number, ttl: number): void {
    if (!(rate > 0)) return;
    const expiry = t + ttl;
    this.sumRateExpiry[m]! += rate * expiry;
    this.sumRate[m]! += rate;
    this.addToSlot(Math.ceil(expiry * RING_SLOTS_PER_SECOND), m, rate, rate * expiry);
  }

  /**
   * Remembers the single-member entry a resolver holds now (answers=1): its follow rate, until
   * when a new query means the resolver re-asked early (`releaseBefore`: the hold), and when its
   * charge ends (`expiry`).
   */
  holdEntry(slot: number, member: number, rate: number, releaseBefore: number, expiry: number): void {
    this.entryMember[slot] = member;
    this.entryRate[slot] = rate;
    this.entryRelease[slot] = releaseBefore;
    this.entryExpiry[slot] = expiry;
  }

  /**
   * Gives back what a resolver's previous entry had not spent if it asks again before the entry's
   * hold ended (prefetch, several caches behind one address). A query after the hold is the next
   * miss the entry was charged up to, and its charge stays: so consecutive answers to a busy
   * resolver with a TTL of 0 see each other and spread, where giving each one back sent the
   * resolver's whole stream to one member at a time.
   */
  releaseEntry(slot: number, t: number): void {
    const m = this.entryMember[slot]!;
    if (m < 0) return;
    this.entryMember[slot] = -1;
    const expiry = this.entryExpiry[slot]!;
    if (t >= this.entryRelease[slot]! || expiry <= t || m >= this.size) return;
    const rate = this.entryRate[slot]!;
    this.sumRateExpiry[m]! -= rate * expiry;
    this.sumRate[m]! -= rate;
    this.addToSlot(Math.ceil(expiry * RING_SLOTS_PER_SECOND), m, -rate, -rate * expiry);
  }

  /** Sets the TTL the resolver's answer carries (for the next gap's normalisation). */
  gave(slot: number, ttl: number): void {
    if (slot >= 0) this.lastTtl[slot] = ttl;
  }

  /**
   * Accounting for stats(): integrates the charged rate per member since the last call into the
   * current 10 s and 60 s windows. O(members); called once per corrected answer.
   */
  account(t: number): void {
    const dt = t - this.lastChargeAt;
    // Every 50 ms at most: the charged rate only moves by what a few answers add.
    if (!(dt > 0.05)) return;
    this.lastChargeAt = t;
    this.integrateModel(t);
    for (let w = 0; w < WINDOWS.length; w++) {
      const load = this.windowLoad[w]!;
      const length = WINDOWS[w]!;
      if (t >= this.windowEnd[w]!) {
        if (this.windowEnd[w]! > 0) this.closeWindow(w);
        this.windowEnd[w] = (Math.floor(t / length) + 1) * length;
        load.fill(0);
      }
      for (let m = 0; m < this.size; m++) load[m]! += this.sumRate[m]! * dt;
    }
  }

  /** The modelled load rate of member m now: live entries plus the decaying tail. */
  modelRate(m: number): number {
    return this.sumRate[m]! + this.tail[m]! / this.tailSeconds;
  }

  /** Adds the modelled load since the last call to the per-second ring (feedback compares it). */
  private integrateModel(t: number): void {
    const size = this.size;
    let from = this.lastModelAt;
    this.lastModelAt = t;
    if (!(t > from)) return;
    // Idle longer than the ring: only the recent part matters.
    if (t - from > MODEL_RING) from = t - MODEL_RING;
    while (from < t) {
      const second = Math.floor(from);
      const until = Math.min(t, second + 1);
      const at = (second & (MODEL_RING - 1)) * size;
      if (second !== this.modelSecond) {
        // A new second: clear the slot (it held the load of MODEL_RING seconds ago and any skipped).
        for (let s = Math.max(this.modelSecond + 1, second - MODEL_RING + 1); s <= second; s++) {
          const a = (s & (MODEL_RING - 1)) * size;
          for (let m = 0; m < size; m++) this.modelRing[a + m] = 0;
        }
        this.modelSecond = second;
      }
      const dt = until - from;
      for (let m = 0; m < size; m++) this.modelRing[at + m]! += this.modelRate(m) * dt;
      from = until;
    }
  }

  /**
   * Plan build (on a health change, so on every new load report): keeps the members' reported
   * loads for the next pick, which compares them with the model at its own time (applyFeedback).
   */
  reportLoads(loads: Float64Array): void {
    if (loads.length !== this.size) return;
    this.pendingLoads = loads;
  }

  /** Query path, once per load report: applies the loads reportLoads() kept. */
  applyFeedback(t: number): void {
    const loads = this.pendingLoads;
    if (loads === undefined) return;
    this.pendingLoads = undefined;
    this.feedback(loads, t);
  }

  /**
   * Closes the loop on what the backends report (from applyFeedback, or directly). `loads` holds
   * each member's reported load in requests per second over about the last FEEDBACK_WINDOW_SECONDS (NaN where unknown or not a candidate). Each known member's report is
   * compared with the rate the model charged it over the same seconds, and pick() counts the
   * difference as load the model missed (clients that pinned longer, resolvers whose demand was
   * misjudged or not yet estimated, counting noise), fading over FEEDBACK_HOLD_SECONDS. Rates, not
   * shares: the model covers only the resolvers it has estimated, so its shares are not the
   * backends' (measured: comparing shares herded every entry onto one member). Returns false when
   * fewer than two members reported.
   */
  feedback(loads: Float64Array, t: number): boolean {
    const size = this.size;
    if (loads.length !== size || this.modelRing.length === 0) return false;
    this.integrateModel(t);
    const now = Math.floor(t);
    let known = 0;
    for (let m = 0; m < size; m++) {
      const l = loads[m]!;
      if (l >= 0 && Number.isFinite(l)) known++;
    }
    if (known < 2) return false;
    for (let m = 0; m < size; m++) {
      const l = loads[m]!;
      this.lastReported[m] = l;
      if (!(l >= 0) || !Number.isFinite(l)) {
        this.bias[m] = 0;
        continue;
      }
      let modelled = 0;
      let seconds = 0;
      for (let s = now - FEEDBACK_WINDOW_SECONDS; s < now; s++) {
        if (s < 0 || s <= this.modelSecond - MODEL_RING) continue;
        modelled += this.modelRing[(s & (MODEL_RING - 1)) * size + m]!;
        seconds++;
      }
      this.lastModelled[m] = seconds > 0 ? modelled / seconds : 0;
      this.bias[m] = l - this.lastModelled[m]!;
    }
    let reportedSum = 0;
    let targetSum = 0;
    for (let m = 0; m < size; m++) {
      const l = loads[m]!;
      if (!(l >= 0) || !Number.isFinite(l)) continue;
      reportedSum += l;
      targetSum += this.targets[m]!;
    }
    for (let m = 0; m < size; m++) {
      const l = loads[m]!;
      this.excess[m] = l >= 0 && Number.isFinite(l) && targetSum > 0 ? l - (this.targets[m]! / targetSum) * reportedSum : 0;
    }
    this.biasAt = t;
    this.feedbacks++;
    this.accountReported(loads, t);
    return true;
  }

  /** How much of the bias still holds at t (it fades without new reports). */
  biasWeight(t: number): number {
    const age = t - this.biasAt;
    return age >= 0 && age < 4 * FEEDBACK_HOLD_SECONDS ? Math.exp(-age / FEEDBACK_HOLD_SECONDS) : 0;
  }

  private closeWindow(w: number): void {
    const variance = shareCvSquared(this.windowLoad[w]!, this.targets);
    if (variance === undefined) return;
    this.windowCvSq[w]! += variance;
    this.windowCount[w]!++;
  }

  /**
   * The load the backends reported, per 10 s and 60 s window: each feedback round adds its
   * reported rates for the time since the previous round, so a window holds what the backends
   * counted in it (as their trailing averages smooth it); closed windows feed the CV in stats().
   */
  private accountReported(loads: Float64Array, t: number): void {
    const from = this.reportedAt;
    this.reportedAt = t;
    const dt = Math.min(t - from, FEEDBACK_WINDOW_SECONDS);
    for (let w = 0; w < WINDOWS.length; w++) {
      const load = this.reportedLoad[w]!;
      const length = WINDOWS[w]!;
      if (t >= this.reportedEnd[w]!) {
        if (this.reportedEnd[w]! > 0) {
          const variance = shareCvSquared(load, this.targets);
          if (variance !== undefined) {
            this.reportedCvSq[w]! += variance;
            this.reportedCount[w]!++;
          }
        }
        this.reportedEnd[w] = (Math.floor(t / length) + 1) * length;
        load.fill(0);
        continue;
      }
      if (!(dt > 0)) continue;
      for (let m = 0; m < this.size; m++) {
        const l = loads[m]!;
        if (l >= 0 && Number.isFinite(l)) load[m]! += l * dt;
      }
    }
  }

  setTargets(targets: Float64Array<ArrayBuffer>): void {
    this.targets = targets;
  }

  /** Off the query path: every tracked resolver's idle-time statistics, for the estimator. */
  gaps(): NormalisedGaps[] {
    const out: NormalisedGaps[] = [];
    for (let s = 0; s < this.top; s++) {
      const key = this.keys[s];
      if (key === undefined) continue;
      out.push({
        key,
        queries: this.queries[s]!,
        gapCount: this.gapCount[s]!,
        early: this.early[s]!,
        spanMs: this.span[s]!,
        prefetch: [this.pfCount[s]!, this.pfSum[s]!, this.pfMin[s]!],
        gapMinMs: this.gapMin[s]!,
        gapSumMs: this.gapSum[s]!,
        gapSumSqMs: this.gapSumSq[s]!,
        gridSumMs: [this.grid0Sum[s]!, this.grid500Sum[s]!],
        gridMinMs: [this.grid0Min[s]!, this.grid500Min[s]!],
      });
    }
    return out;
  }

  /**
   * Off the query path: takes a demand table (report/ made it from gaps()) and gives each
   * resolver its TTL bucket: T_r = min(ttl-max, 10 s · λ_ref / λ̂_r), λ_ref = Σλ̂ / (members · ENTRY_SPLIT),
   * rounded down to a bucket (adaptive TTL: a busier resolver's entries carry no more load).
   */
  setDemand(table: PoolDemandTable, members = this.size): void {
    this.demand = table;
    const carry = table.carry;
    if (carry.followShare >= 0 && carry.followShare <= 1) this.followShare = carry.followShare;
    if (carry.tailSeconds > 0) this.tailSeconds = carry.tailSeconds;
    // A resolver missing from the table (too few gaps since) keeps what it had.
    const fresh = this.fresh;
    fresh.clear();
    for (const e of table.entries) {
      const slot = this.index.get(e.key);
      if (slot === undefined || !(e.ratePerSecond > 0) || !Number.isFinite(e.ratePerSecond)) continue;
      if (!(this.rate[slot]! > 0)) fresh.add(slot);
      this.rate[slot] = e.ratePerSecond;
      this.extraHold[slot] = e.extraHoldSeconds > 0 && Number.isFinite(e.extraHoldSeconds) ? e.extraHoldSeconds : 0;
    }
    let total = 0;
    let estimated = 0;
    for (let s = 0; s < this.top; s++) {
      if (this.keys[s] === undefined || !(this.rate[s]! > 0)) continue;
      total += this.rate[s]!;
      estimated++;
    }
    this.typicalRate = estimated > 0 ? total / estimated : 0;
    const ref = total / (Math.max(1, members) * ENTRY_SPLIT);
    const longest = this.referenceTtl;
    const buckets = this.buckets;
    for (let s = 0; s < this.top; s++) {
      const r = this.rate[s]!;
      if (this.keys[s] === undefined || !(r > 0)) continue;
      const want = Math.min(longest, (ENTRY_HORIZON_SECONDS * ref) / r);
      let b = 0;
      while (b + 1 < buckets.length && buckets[b + 1]! <= want + 1e-9) b++;
      const current = this.bucket[s]!;
      if (b === current) continue;
      // Hysteresis (not for a first estimate): move only when the wish is well past the bucket's edges.
      if (!fresh.has(s) && b > current && want < buckets[current + 1]! * 1.25 && b < buckets.length - 1) continue;
      if (!fresh.has(s) && b < current && want > buckets[current]! * 0.75) continue;
      this.bucket[s] = b;
    }
  }

  /** Forgets resolvers not seen for IDLE_FORGET_MS. */
  sweep(nowMs: number): void {
    const before = nowMs - IDLE_FORGET_MS;
    for (let s = 0; s < this.top; s++) {
      const key = this.keys[s];
      if (key === undefined || this.last[s]! >= before) continue;
      this.index.delete(key);
      this.keys[s] = undefined;
      this.rate[s] = 0;
      this.entryMember[s] = -1;
      this.free.push(s);
      this.live--;
    }
  }

  /** `nowMs`: the time the feedback's age is counted to. */
  stats(nowMs = Date.now()): SkewLedgerStats {
    let estimated = 0;
    let steered = 0;
    const perBucket = this.buckets.map(() => 0);
    for (let s = 0; s < this.top; s++) {
      if (this.keys[s] === undefined || !(this.rate[s]! > 0)) continue;
      estimated++;
      steered += this.rate[s]!;
      perBucket[this.bucket[s]!] = (perBucket[this.bucket[s]!] ?? 0) + 1;
    }
    return {
      tracked: this.live,
      estimated,
      steeredRate: steered,
      corrected: this.corrected,
      rotated: this.rotated,
      buckets: this.buckets.map((ttl, i) => ({ ttl, resolvers: perBucket[i] ?? 0 })),
      feedback: {
        rounds: this.feedbacks,
        ageSeconds: Number.isFinite(this.biasAt) ? this.seconds(nowMs) - this.biasAt : null,
        reported: Array.from(this.lastReported, (v) => (Number.isFinite(v) ? v : null)),
        modelled: Array.from(this.lastModelled),
        cv: WINDOWS.map((windowSeconds, w) => {
          const n = this.reportedCount[w] ?? 0;
          return { windowSeconds, windows: n, cvRms: n > 0 ? Math.sqrt((this.reportedCvSq[w] ?? 0) / n) : null };
        }),
      },
      chargedCv: WINDOWS.map((windowSeconds, w) => {
        const n = this.windowCount[w] ?? 0;
        return { windowSeconds, windows: n, cvRms: n > 0 ? Math.sqrt((this.windowCvSq[w] ?? 0) / n) : null };
      }),
    };
  }

  private allocate(key: string, nowMs: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.top === this.capacity) this.grow(Math.max(64, this.capacity * 2));
      slot = this.top++;
    }
    this.index.set(key, slot);
    this.keys[slot] = key;
    this.queries[slot] = 0;
    this.last[slot] = nowMs;
    this.lastTtl[slot] = this.referenceTtl;
    this.gapCount[slot] = 0;
    this.early[slot] = 0;
    this.span[slot] = 0;
    this.pfCount[slot] = 0;
    this.pfSum[slot] = 0;
    this.pfMin[slot] = 0;
    this.gapMin[slot] = 0;
    this.gapSum[slot] = 0;
    this.gapSumSq[slot] = 0;
    this.grid0Sum[slot] = 0;
    this.grid0Min[slot] = 0;
    this.grid500Sum[slot] = 0;
    this.grid500Min[slot] = 0;
    this.rate[slot] = 0;
    this.extraHold[slot] = 0;
    this.bucket[slot] = this.defaultBucket;
    this.entryMember[slot] = -1;
    this.live++;
    return slot;
  }

  private grow(capacity: number): void {
    const f = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    this.queries = f(this.queries);
    this.last = f(this.last);
    this.lastTtl = f(this.lastTtl);
    this.gapCount = f(this.gapCount);
    this.early = f(this.early);
    this.span = f(this.span);
    this.pfCount = f(this.pfCount);
    this.pfSum = f(this.pfSum);
    this.pfMin = f(this.pfMin);
    this.gapMin = f(this.gapMin);
    this.gapSum = f(this.gapSum);
    this.gapSumSq = f(this.gapSumSq);
    this.grid0Sum = f(this.grid0Sum);
    this.grid0Min = f(this.grid0Min);
    this.grid500Sum = f(this.grid500Sum);
    this.grid500Min = f(this.grid500Min);
    this.rate = f(this.rate);
    this.extraHold = f(this.extraHold);
    this.entryRate = f(this.entryRate);
    this.entryExpiry = f(this.entryExpiry);
    this.entryRelease = f(this.entryRelease);
    const bucket = new Uint8Array(capacity);
    bucket.set(this.bucket);
    this.bucket = bucket;
    const member = new Int32Array(capacity).fill(-1);
    member.set(this.entryMember);
    this.entryMember = member;
    this.capacity = capacity;
  }
}
