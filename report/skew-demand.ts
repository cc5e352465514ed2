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
 * How one answer's load is spent, from the client model: clients on a connection keep it for its
 * lifetime (exponential, mean connectionLifetimeSeconds), whatever the TTL, and browsers pin the
 * answer for a minute; so by default nothing follows the TTL alone and the tail is the longer of
 * the connection lifetime and the pin, weighted by traffic.
 */
export function carryProfile(clients: ClientModel = DEFAULT_CLIENT_MODEL): CarryProfile {
  let total = 0;
  let tail = 0;
  for (const c of clients.classes) {
    total += c.share;
    tail += c.share * Math.max(clients.connectionLifetimeSeconds, c.pinSeconds, c.lagMedianSeconds);
  }
  return { followShare: 0, tailSeconds: total > 0 ? tail / total : clients.connectionLifetimeSeconds };
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
