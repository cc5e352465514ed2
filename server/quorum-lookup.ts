/**
 * The served targets' quorums for a Redis health store, looked up in the zones instead of told
 * target by target: a compact zone finds a target in its rows (TargetRowSource.indexOf) and knows
 * its pools' quorums without decoding them; the other zones (small: an API overlay's) are listed
 * once here. Target ids start with their zone's origin, so no target is in two zones.
 */
import type { Zone } from '../model/zone.js';
import { targetQuorums, type Quorum } from '../health/consensus.js';
import type { QuorumLookup } from '../health/redis-reader.js';

export function zonesQuorumLookup(zones: readonly Zone[]): QuorumLookup {
  const rows = zones.flatMap((z) => (z.targetSource ? [z.targetSource] : []));
  const listed = new Map<string, readonly Quorum[]>(targetQuorums(zones.filter((z) => z.targetSource === undefined)).map((t) => [t.id, t.quorum]));
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
