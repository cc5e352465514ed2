/**
 * The demand table skew correction runs on (model/demand.ts), made from what a pool's skew ledger
 * recorded (balance/skew-ledger.ts): idle times measured from the expiry of the TTL each resolver
 * was actually given, so a resolver given a shorter TTL, or one that prefetches, is still read
 * right; the report's estimator (demand.ts) in spirit and its client correction. Resolvers with
 * too few gaps get no entry (plain rotation until they have one).
 */
import type { CarryProfile, NormalisedGaps, PoolDemandTable, ResolverDemandEntry } from '../model/demand.js';
import type { ClientModel } from './client-model.js';
import { DEFAULT_CLIENT_MODEL } from './client-model.js';
import { DEFAULT_DEMAND_OPTIONS, expiringShare, type DemandOptions } from './demand.js';

/**
 * How one answer's load is spent, from the client model, read as the report reads it
 * (demand.ts expiringShare): clients that neither pin an answer nor lag behind it (stubs) follow
 * the resolver's entry and stop when it expires; the others carry it on for their pin, their
 * connection's lifetime or their lag, whichever is longest, so the tail is the traffic-weighted
 * mean of those.
 */
export function carryProfile(clients: ClientModel = DEFAULT_CLIENT_MODEL): CarryProfile {
  let total = 0;
  let follow = 0;
  let tail = 0;
  for (const c of clients.classes) {
    total += c.share;
    if (!(c.pinSeconds > 0) && !(c.lagMedianSeconds > 0)) follow += c.share;
    else tail += c.share * Math.max(clients.connectionLifetimeSeconds, c.pinSeconds, c.lagMedianSeconds);
  }
  if (!(total > 0)) return { followShare: 1, tailSeconds: clients.connectionLifetimeSeconds };
  const rest = total - follow;
  return { followShare: follow / total, tailSeconds: rest > 0 ? tail / rest : clients.connectionLifetimeSeconds };
}

/**
 * The estimator's settings for skew correction: as the report's, but idle times down to 3 ms are
 * believed (the report's 10 ms cap would read the busiest resolvers' demand low, and those are
 * the ones correction must weigh right).
 */
export const SKEW_DEMAND_OPTIONS: DemandOptions = { ...DEFAULT_DEMAND_OPTIONS, minIdleMs: 3 };

export function demandTable(
  poolKey: string,
  gaps: readonly NormalisedGaps[],
  referenceTtlSeconds: number,
  nowMs: number,
  options: DemandOptions = SKEW_DEMAND_OPTIONS,
  carry: CarryProfile = carryProfile(options.clients ?? DEFAULT_CLIENT_MODEL),
): PoolDemandTable {
  const entries: ResolverDemandEntry[] = [];
  const expiring = options.clients ? expiringShare(options.clients, referenceTtlSeconds) : 1;
  for (const g of gaps) {
    const e = estimateIdleDemand(g, options, expiring);
    if (e) entries.push(e);
  }
  return { poolKey, atMs: nowMs, entries, carry };
}

/**
 * One resolver's demand from its idle times after expiry. The idle after an entry expires is
 * the wait for the next client lookup that misses, ~Exp(λ_seen) (research note §6), on top of any
 * floor the resolver adds (the minimum, as in report/demand.ts: its effective TTL beyond ours);
 * of the plain and the two whole-second grid measures, the one with the least spread fits
 * (demand.ts explains why). λ̂ = (1 − 2/n)/(mean − min), divided by the share of clients that
 * re-ask at expiry (demand.ts expiringShare). A resolver that mostly re-asks early (several caches
 * behind one address) gets the lower bound of one client request per query.
 */
export function estimateIdleDemand(g: NormalisedGaps, options: DemandOptions, expiring: number): ResolverDemandEntry | undefined {
  const n = g.gapCount;
  const [pf, pfSum, pfMin] = g.prefetch;
  if (g.early >= options.minGaps && g.early > n + pf && g.spanMs > 0) {
    return { key: g.key, ratePerSecond: (1000 * (g.early + n + pf)) / g.spanMs, extraHoldSeconds: 0 };
  }
  if (pf >= options.minGaps && pf > n) {
    // Mostly prefetches: the first lookup after the prefetch point re-asks.
    const seen = ((1 - 2 / pf) * 1000) / Math.max(pfSum / pf - pfMin, options.minIdleMs);
    return { key: g.key, ratePerSecond: seen / Math.max(0.2, expiring), extraHoldSeconds: 0 };
  }
  if (n < options.minGaps) return undefined;
  let idle = g.gapSumMs / n - g.gapMinMs;
  for (let i = 0; i < 2; i++) {
    const v = (g.gridSumMs[i] ?? 0) / n - (g.gridMinMs[i] ?? 0);
    if (Number.isFinite(v) && v >= 0 && v < idle) idle = v;
  }
  const seen = ((1 - 2 / n) * 1000) / Math.max(idle, options.minIdleMs);
  const rate = seen / Math.max(0.2, expiring);
  if (!(rate > 0) || !Number.isFinite(rate)) return undefined;
  const extra = g.gapMinMs / 1000;
  return { key: g.key, ratePerSecond: rate, extraHoldSeconds: extra > 0.5 ? extra : 0 };
}
