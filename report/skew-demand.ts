/**
 * The demand table skew correction runs on (model/demand.ts), made from the gaps a pool's skew
 * ledger recorded (balance/skew-ledger.ts): the same estimator as the report (demand.ts), over
 * gaps normalised to the ledger's reference TTL, so a resolver given a shorter TTL is still read
 * right. Resolvers with too few gaps get no entry (plain rotation until they have one).
 */
import type { NormalisedGaps, PoolDemandTable, ResolverDemandEntry } from '../model/demand.js';
import { DEFAULT_DEMAND_OPTIONS, estimateResolverDemand, type DemandOptions } from './demand.js';

export function demandTable(
  poolKey: string,
  gaps: readonly NormalisedGaps[],
  referenceTtlSeconds: number,
  nowMs: number,
  options: DemandOptions = DEFAULT_DEMAND_OPTIONS,
): PoolDemandTable {
  const entries: ResolverDemandEntry[] = [];
  for (const g of gaps) {
    const d = estimateResolverDemand(g, referenceTtlSeconds, options);
    const rate = d.ratePerSecond;
    if (rate === null || !(rate > 0) || !Number.isFinite(rate)) continue;
    entries.push({ key: g.key, ratePerSecond: rate });
  }
  return { poolKey, atMs: nowMs, entries };
}
