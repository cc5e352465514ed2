/**
 * The served targets' quorums for a Redis health store, looked up in the zones instead of told
 * target by target: a compact zone finds a target in its rows (TargetSource.indexOf) and knows
 * its pools' quorums without decoding them; the other zones (small: an API overlay's) are listed
 * once here. Target ids start with their zone's origin, so no target is in two zones.
 */
import type { TargetSource, Zone } from '../model/zone.js';
import { targetQuorums, type Quorum } from '../health/consensus.js';
import type { QuorumLookup } from '../health/redis-reader.js';

export function zonesQuorumLookup(zones: readonly Zone[]): QuorumLookup {
  const rows = zones.flatMap((z) => rowsOf(z) ?? []);
  const listed = new Map<string, readonly Quorum[]>(targetQuorums(zones.filter((z) => rowsOf(z) === undefined)).map((t) => [t.id, t.quorum]));
  return {
    quorumsOf: (id) => {
      const quorums = listed.get(id);
      if (quorums !== undefined) return quorums;
      for (const source of rows) {
        const i = source.indexOf(id);
        if (i >= 0) return source.quorumsOf(i);
      }
      return undefined;
    },
  };
}

type RowSource = TargetSource & Required<Pick<TargetSource, 'indexOf' | 'quorumsOf'>>;

/** The zone's target rows, when it has them (a compact zone). */
function rowsOf(zone: Zone): RowSource | undefined {
  const source = zone.targetSource;
  return source?.indexOf !== undefined && source.quorumsOf !== undefined ? (source as RowSource) : undefined;
}
