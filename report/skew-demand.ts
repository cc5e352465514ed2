/**
 * The demand table skew correction runs on (model/demand.ts), made from the gaps a pool's skew
 * ledger recorded (balance/skew-ledger.ts): the same estimator as the report (demand.ts), over
 * gaps normalised to the ledger's reference TTL, so a resolver given a shorter TTL is still read
 * right. Resolvers with too few gaps get no entry (plain rotation until they have one).
 */
import type { CarryProfile, NormalisedGaps, PoolDemandTable, ResolverDemandEntry } from '../model/demand.js';
import type { ClientModel } from './client-model.js';
import { DEFAULT_CLIENT_MODEL } from './client-model.js';
import { DEFAULT_DEMAND_OPTIONS, estimateResolverDemand, type DemandOptions } from './demand.js';

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
  for (const g of gaps) {
    const d = estimateResolverDemand(g, referenceTtlSeconds, options);
    const rate = d.ratePerSecond;
    if (rate === null || !(rate > 0) || !Number.isFinite(rate)) continue;
    const extra = d.ttlEffSeconds === null ? 0 : Math.max(0, d.ttlEffSeconds - referenceTtlSeconds);
    entries.push({ key: g.key, ratePerSecond: rate, extraHoldSeconds: extra > 0.5 ? extra : 0 });
  }
  return { poolKey, atMs: nowMs, entries, carry };
}
