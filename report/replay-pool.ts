/**
 * A pool's answer log and resolver estimates turned into a replay (replay.ts): each logged
 * resolver with its estimated client rate and how long it keeps an entry.
 */
import type { ClientModel } from './client-model.js';
import type { PoolDemand } from './demand.js';
import type { Replay, ReplayResolver } from './replay.js';
import { replayAnswers } from './replay.js';
import type { PoolSnapshot } from './snapshot.js';

export function replayPool(
  pool: PoolSnapshot,
  demand: PoolDemand,
  targets: readonly number[],
  client: ClientModel,
  windows: readonly number[],
  endMs: number,
  maxRequests?: number,
): Replay | null {
  const byKey = new Map(demand.resolvers.map((r) => [r.key, r]));
  const resolvers: ReplayResolver[] = [];
  for (const r of pool.resolvers) {
    const log = r.answers;
    const estimate = byKey.get(r.key);
    // Snapshots come from other servers too (Redis): a log of another shape is left out.
    if (!log || !Array.isArray(log.atMs) || !Array.isArray(log.member) || log.atMs.length !== log.member.length) continue;
    if (log.atMs.length === 0 || !estimate) continue;
    const hold = estimate.demand.ttlEffSeconds ?? pool.ttl;
    // A sparse resolver (too few gaps for a rate) carries its estimated load over its logged span.
    const active = (r.lastMs - r.firstMs) / 1000 + hold;
    const rate = estimate.demand.ratePerSecond ?? (active > 0 ? estimate.load / active : 0);
    resolvers.push({ atMs: log.atMs, member: log.member, rate, holdSeconds: hold });
  }
  // Resolvers without a log (folded into the rest, or beyond the logged pools) are not replayed:
  // with a fifth of the load or more outside the log, the replay would misstate the shares.
  const logged = resolvers.reduce((a, r) => a + r.rate, 0);
  const all = demand.resolvers.reduce((a, r) => a + (r.demand.ratePerSecond ?? 0), 0);
  if (demand.restLoad > 0.2 * demand.totalLoad || (all > 0 && logged < 0.8 * all)) return null;
  return replayAnswers({ members: pool.members.length, targets, resolvers, client, endMs, ttl: pool.ttl, windows, ...(maxRequests !== undefined ? { maxRequests } : {}) });
}
