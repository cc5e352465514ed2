/**
 * Resolver demand: what each resolver's repeat-query gaps say about the clients behind it.
 *
 * A busy resolver asks again as soon as its cached answer expires and a client asks, so a gap is
 * about T_eff + Exp(λ) (research note §6): the minimum gap reveals the effective TTL (a clamp when
 * longer than ours, prefetch when shorter), and λ̂ = (1 − 1/n) / (mean gap − min gap) — the
 * (1 − 1/n) removes the bias of taking T_eff from the minimum of n gaps. Over a long period each
 * answer serves λ·(mean gap) client requests, whatever the cache does in between, so a member's
 * estimated client load is Σ over resolvers of λ̂_r · mean gap_r · answers given to r for it.
 *
 * The clients that ask right after the resolver's entry expires are only those whose own cache
 * expired with it: stubs always, browsers only when the TTL is at least their 60 s pin. So λ̂ is
 * divided by that share of the client mix (client-model.ts) to count all the resolver's clients;
 * the simulator shows the correction halves the error on the busiest resolvers (docs/report.md).
 *
 * Whole seconds: real resolvers keep TTLs as whole seconds (unbound and BIND store the expiry as
 * `now + ttl` in `time_t`), so an entry expires on a one-second grid, not `ttl` after our answer:
 * unbound asks again at floor(t) + ttl + 1. For a busy resolver each gap is then about
 * ttl + 1 + X_{k+1} − X_k (X the idle after each expiry), the mean gap says nothing about λ and
 * the minimum gap undershoots by the largest X_k; measured with unbound at 80 requests/s the
 * gap estimator read 1/s. Measured from the start of the second of the previous query, the gap
 * is the whole-second TTL + X_{k+1} again, so the same estimator applies to that "grid gap". The
 * observer keeps grid gaps at two offsets (0 and 500 ms, so a resolver clock off by up to half a
 * second still fits one); the estimate takes whichever model — plain gaps or a grid — leaves the
 * least idle time, since the wrong model only adds spread (a clock-free resolver's grid gaps
 * carry a uniform [0, 1) s, a grid resolver's plain gaps the −X_k term).
 *
 * Bias: with S = n·(mean − min) ~ Gamma(n − 1, λ) for exponential idles, E[1/S] = λ/(n − 2), so
 * λ̂ = (1 − 2/n)/(mean − min) is unbiased for the rate (and the load), where (1 − 1/n) would be
 * unbiased for 1/λ and read the rate (n − 1)/(n − 2) high: +14% at 9 gaps.
 */
import type { ClientModel } from './client-model.js';
import { DEFAULT_CLIENT_MODEL, clientRate, connectionMean, connectionOf } from './client-model.js';
import type { ResolverFlag } from './model.js';
import type { PoolSnapshot } from './snapshot.js';
import { GAP_BUCKETS, gapBucketLowMs } from './snapshot.js';

export interface GapStats {
  readonly queries: number;
  readonly gapCount: number;
  readonly gapMinMs: number;
  readonly gapSumMs: number;
  readonly gapSumSqMs: number;
  /** GAP_BUCKETS counts; optional (without it, every short minimum counts as a shared key). */
  readonly hist?: ArrayLike<number>;
  /** Grid gaps (observe.ts): sum and minimum per grid offset; optional (older snapshots). */
  readonly gridSumMs?: ArrayLike<number>;
  readonly gridMinMs?: ArrayLike<number>;
  /** Sum over the gaps of the TTL given before each, and the smallest gap less that TTL: plain, grid 0, grid 500 (snapshot.ts). */
  readonly heldSumMs?: number;
  readonly idleMinMs?: ArrayLike<number>;
}

export interface DemandOptions {
  /**
   * Smallest idle time (mean gap − effective TTL) believed, in ms. Caps the rate estimate at
   * 1000/minIdleMs per second: below that, timing noise hides the rate. Default 10.
   */
  readonly minIdleMs: number;
  /** Gaps needed before a rate is estimated; fewer count as one lookup per answer. Default 3. */
  readonly minGaps: number;
  /** Share of gaps below half the TTL that marks a key as several caches (shared /24). Default 0.1. */
  readonly sharedKeyShare: number;
  /** The client mix that decides which clients re-ask when an entry expires; null: no correction. */
  readonly clients: ClientModel | null;
}

export const DEFAULT_DEMAND_OPTIONS: DemandOptions = { minIdleMs: 10, minGaps: 3, sharedKeyShare: 0.1, clients: DEFAULT_CLIENT_MODEL };

/**
 * Share of a resolver's client traffic whose own cache runs out when the resolver's entry does
 * (TTL `ttlSeconds`): classes without a lag and with a pin no longer than the TTL. At least 0.2.
 */
export function expiringShare(clients: ClientModel, ttlSeconds: number): number {
  let total = 0;
  let expiring = 0;
  for (const c of clients.classes) {
    total += c.share;
    if (!(c.lagMedianSeconds > 0) && c.pinSeconds <= ttlSeconds) expiring += c.share;
  }
  return total > 0 ? Math.max(0.2, expiring / total) : 1;
}

/**
 * Client requests per lookup that reaches the resolver, for clients whose pins run from their own
 * lookup (`pinFrom: 'lookup'`): each client's lookups are a renewal process (every request for a
 * stub; after its pin, lag or connection for the others), so the resolver's idle time after an
 * expiry is exponential with the total lookup rate Σ_c N_c ℓ_c, ℓ_c = 1/(holding_c + 1/ρ). The
 * request rate is then that rate × ρ / Σ_c φ_c ℓ_c. Measured behind real resolvers (bench/skew):
 * with the testbed's mix (browsers 45% pinning 60 s, stubs 40%, Java 7% pinning 30 s, long-lived
 * 8%), `expiringShare` read the rate from the stubs alone at TTL 5 and from stubs and browsers at
 * TTL 60 and more, though browsers' 60 s run from their own lookups, not from the resolver's.
 */
export function lookupShare(clients: ClientModel): number {
  const rho = clientRate(clients);
  if (!(rho > 0)) return 1;
  let total = 0;
  let lookups = 0;
  for (const c of clients.classes) {
    total += c.share;
    const lag = c.lagMedianSeconds > 0 ? c.lagMedianSeconds * Math.exp((c.lagSigma * c.lagSigma) / 2) : 0;
    let hold = Math.max(0, c.pinSeconds) + lag;
    if (hold === 0 && c.connectionSeconds !== undefined && c.connectionSeconds > 0) hold = connectionMean(connectionOf(clients, c));
    lookups += (c.share * (hold > 0 ? 1 / (hold + 1 / rho) : rho)) / rho;
  }
  return total > 0 ? Math.max(0.05, lookups / total) : 1;
}

export interface ResolverDemand {
  /** Effective TTL in seconds (null without gaps). */
  readonly ttlEffSeconds: number | null;
  /** Client requests per second behind this key (null when too few gaps). */
  readonly ratePerSecond: number | null;
  /** Client requests each of our answers serves (at least 1: the one that caused the query). */
  readonly loadPerAnswer: number;
  readonly flags: readonly ResolverFlag[];
  /** Mean gap between its queries (seconds): how long one cached answer lasts; null without gaps. */
  readonly meanGapSeconds?: number | null;
}

/** Share of the gaps that fall in buckets lying wholly below `limitMs`. */
function shareBelow(hist: ArrayLike<number>, limitMs: number): number {
  let below = 0;
  let total = 0;
  for (let b = 0; b < GAP_BUCKETS; b++) {
    const n = hist[b] ?? 0;
    total += n;
    const upper = b + 1 < GAP_BUCKETS ? gapBucketLowMs(b + 1) : Infinity;
    if (upper <= limitMs) below += n;
  }
  return total === 0 ? 0 : below / total;
}

/** The grid offset that leaves the least idle time (mean − min of its grid gaps), if recorded. */
function gridFit(stats: GapStats): { readonly idleMs: number; readonly minMs: number } | undefined {
  const sums = stats.gridSumMs;
  const mins = stats.gridMinMs;
  if (!sums || !mins || stats.gapCount === 0) return undefined;
  let best: { idleMs: number; minMs: number } | undefined;
  for (let i = 0; i < sums.length; i++) {
    const min = mins[i] ?? 0;
    const idle = (sums[i] ?? 0) / stats.gapCount - min;
    if (Number.isFinite(idle) && idle >= 0 && (best === undefined || idle < best.idleMs)) best = { idleMs: idle, minMs: min };
  }
  return best;
}

/** True when the answers this resolver was given carried other TTLs than the pool's (skew=correct). */
function ttlsVaried(stats: GapStats, servedMs: number): boolean {
  const held = stats.heldSumMs;
  if (held === undefined || stats.idleMinMs === undefined || stats.gapCount === 0) return false;
  const expected = stats.gapCount * servedMs;
  return Math.abs(held - expected) > 0.01 * expected + 1;
}

/**
 * The estimate for a resolver given varying TTLs (skew=correct's adaptive and learning TTLs): the
 * idle time is measured after each gap's own TTL, not after the pool's, as the correction's ledger
 * does (skew-demand.ts), on whichever measure (plain, or a whole-second grid) leaves the least
 * idle; its minimum is the resolver's floor or clamp (or, negative, its prefetch). Measured against
 * the pool TTL, the testbed's corrected pool read 1 s re-asks as several caches behind one key
 * (`shared-key`) and its request rate 12 times low.
 */
function demandFromHeldTtls(stats: GapStats, options: DemandOptions): ResolverDemand {
  const n = stats.gapCount;
  const heldMeanMs = stats.heldSumMs! / n;
  const mins = stats.idleMinMs!;
  const means = [stats.gapSumMs / n - heldMeanMs, ...Array.from(stats.gridSumMs ?? [], (sum) => sum / n - heldMeanMs)];
  let idleMs = Infinity;
  let floorMs = mins[0] ?? 0;
  for (let i = 0; i < means.length && i < mins.length; i++) {
    const idle = means[i]! - mins[i]!;
    if (Number.isFinite(idle) && idle >= 0 && idle < idleMs) {
      idleMs = idle;
      floorMs = mins[i]!;
    }
  }
  return demandFromIdle(stats, heldMeanMs, Math.max(0, heldMeanMs + floorMs), idleMs, [], options);
}

/**
 * The estimate once the effective TTL and the idle time are known: `referenceMs` is the TTL the
 * resolver was given (the pool's, or the mean of those it was given), which tells prefetch and
 * TTL extension apart; λ = (1 − 2/n) / idle, corrected for the client mix.
 */
function demandFromIdle(stats: GapStats, referenceMs: number, teffMs: number, idleMs: number, flags: ResolverFlag[], options: DemandOptions): ResolverDemand {
  if (teffMs < referenceMs - Math.max(500, 0.05 * referenceMs)) flags.push('prefetch');
  if (teffMs > referenceMs * 1.1 + 1000) flags.push('extends-ttl');
  if (stats.gapCount < options.minGaps || !Number.isFinite(idleMs)) {
    flags.push('sparse');
    return { ttlEffSeconds: teffMs / 1000, ratePerSecond: null, loadPerAnswer: 1, flags };
  }
  if (idleMs < options.minIdleMs) flags.push('saturated');
  const meanMs = stats.gapSumMs / stats.gapCount;
  const seen = ((1 - 2 / stats.gapCount) * 1000) / Math.max(idleMs, options.minIdleMs);
  const clients = options.clients;
  const rate = clients ? seen / (clients.pinFrom === 'lookup' ? lookupShare(clients) : expiringShare(clients, teffMs / 1000)) : seen;
  return { ttlEffSeconds: teffMs / 1000, ratePerSecond: rate, loadPerAnswer: Math.max(1, (rate * meanMs) / 1000), flags, meanGapSeconds: meanMs / 1000 };
}

/** Estimates one resolver's effective TTL, client rate and load per answer from its gaps. */
export function estimateResolverDemand(
  stats: GapStats,
  servedTtlSeconds: number,
  options: DemandOptions = DEFAULT_DEMAND_OPTIONS,
): ResolverDemand {
  if (stats.gapCount === 0) return { ttlEffSeconds: null, ratePerSecond: null, loadPerAnswer: 1, flags: ['sparse'] };
  const servedMs = servedTtlSeconds * 1000;
  const meanMs = stats.gapSumMs / stats.gapCount;
  const minMs = stats.gapMinMs;
  // TTL 0: nothing is cached, every client lookup reaches us.
  if (servedMs === 0) return { ttlEffSeconds: 0, ratePerSecond: 1000 / Math.max(meanMs, options.minIdleMs), loadPerAnswer: 1, flags: [] };
  if (ttlsVaried(stats, servedMs)) return demandFromHeldTtls(stats, options);
  const flags: ResolverFlag[] = [];
  const grid = gridFit(stats);
  // A grid whose minimum is near the TTL explains short plain gaps (a whole-second expiry soon
  // after the previous query's second began): no sign of a shared key then.
  const wholeSeconds = grid !== undefined && grid.minMs >= servedMs / 2;
  let teffMs = minMs;
  if (minMs < servedMs / 2 && !wholeSeconds) {
    // Gaps well under the TTL: either several caches share this key (a /24 of resolvers, a
    // resolver farm) or a one-off (restart, eviction). Only the first breaks the model.
    // A few short gaps are a one-off (on the testbed, one early re-ask among a sparse cache's two
    // or three gaps flagged a whole /24 row), so it takes minGaps of them.
    const short = stats.hist ? shareBelow(stats.hist, servedMs / 2) : 1;
    if (short > options.sharedKeyShare && short * stats.gapCount >= options.minGaps) {
      flags.push('shared-key');
      // Lower bound: every query we saw was at least one client lookup.
      return { ttlEffSeconds: minMs / 1000, ratePerSecond: 1000 / Math.max(meanMs, options.minIdleMs), loadPerAnswer: 1, flags };
    }
    teffMs = servedMs;
  }
  let idleMs = meanMs - teffMs;
  if (grid !== undefined && (grid.idleMs < idleMs || (wholeSeconds && minMs < servedMs / 2))) {
    idleMs = grid.idleMs;
    teffMs = grid.minMs;
  }
  return demandFromIdle(stats, servedMs, teffMs, idleMs, flags, options);
}

export interface ResolverLoad {
  readonly key: string;
  readonly queries: number;
  readonly demand: ResolverDemand;
  /** Estimated client requests behind this resolver's answers over the period. */
  readonly load: number;
  /** Per member (pool order): estimated client requests sent to it through this resolver. */
  readonly loadByMember: readonly number[];
}

export interface PoolDemand {
  /** Tracked resolvers, busiest (by estimated load) first. */
  readonly resolvers: readonly ResolverLoad[];
  /** Per member: estimated client requests, tracked resolvers plus the folded rest. */
  readonly loadByMember: readonly number[];
  readonly totalLoad: number;
  /** Part of totalLoad from resolvers no longer tracked one by one. */
  readonly restLoad: number;
}

/** Runs the estimator over every resolver of a pool. */
export function estimatePoolDemand(pool: PoolSnapshot, options: DemandOptions = DEFAULT_DEMAND_OPTIONS): PoolDemand {
  const size = pool.members.length;
  const loadByMember = new Array<number>(size).fill(0);
  let restLoad = 0;
  for (let m = 0; m < size; m++) {
    const v = pool.rest.load[m] ?? 0;
    loadByMember[m] = v;
    restLoad += v;
  }
  let totalLoad = restLoad;
  const resolvers: ResolverLoad[] = pool.resolvers.map((r) => {
    const demand = estimateResolverDemand(r, pool.ttl, options);
    const per = new Array<number>(size).fill(0);
    let load = 0;
    for (let m = 0; m < size; m++) {
      const v = (r.given[m] ?? 0) * demand.loadPerAnswer;
      per[m] = v;
      load += v;
      loadByMember[m] = (loadByMember[m] ?? 0) + v;
    }
    totalLoad += load;
    return { key: r.key, queries: r.queries, demand, load, loadByMember: per };
  });
  resolvers.sort((x, y) => y.load - x.load || (x.key < y.key ? -1 : 1));
  return { resolvers, loadByMember, totalLoad, restLoad };
}
