/**
 * After every zone load, each served probe target goes to whoever needs the whole set: the checks
 * scheduler (what to probe) and a Redis health store (each target's quorums). One pass tells them
 * all, target by target. A few thousand targets are told in the load's own turn, as they always
 * were; more are told in slices (lib/sliced.ts) while the zone already answers, because a zone of
 * 100,000 checked pools has a million targets and telling them took the query thread for a
 * quarter of a second per 100,000 at every reload.
 */
import { targetList, type TargetSource, type Zone } from '../model/zone.js';
import { DEFAULT_QUORUM, targetQuorums, type Quorum } from '../health/consensus.js';
import { runSliced, type SlicedRun } from '../lib/sliced.js';

/** Told each target, then finish() (the scheduler's TargetSync has this shape). */
export interface TargetConsumer {
  keep(id: string, source: TargetSource, i: number): void;
  finish(): void;
}

/** Up to this many targets are told in the load's own turn. */
export const TARGETS_IN_ONE_TURN = 4096;
/** Targets per step of the sliced pass (lib/sliced.ts times the steps). */
const STEP = 256;

/**
 * Tells every consumer every target of `zones`, then finishes them. Returns the sliced run when
 * there were too many for one turn (cancel it when a newer load starts its own pass).
 */
export function passTargets(zones: readonly Zone[], consumers: readonly TargetConsumer[], onError: (err: unknown) => void): SlicedRun | undefined {
  if (consumers.length === 0) return undefined;
  // Target ids start with their zone's origin: no target is in two zones.
  const sources = zones.map((z) => z.targetSource ?? targetList(z.targets));
  let zone = 0;
  let i = 0;
  const step = (max: number): boolean => {
    for (let n = 0; n < max; n++) {
      const source = sources[zone];
      if (!source) {
        for (const c of consumers) c.finish();
        return true;
      }
      if (i >= source.count) {
        zone++;
        i = 0;
        continue;
      }
      const id = source.id(i);
      if (id !== undefined) for (const c of consumers) c.keep(id, source, i);
      i++;
    }
    return false;
  };
  if (sources.reduce((sum, s) => sum + s.count, 0) <= TARGETS_IN_ONE_TURN) {
    step(Number.POSITIVE_INFINITY);
    return undefined;
  }
  return runSliced(() => step(STEP), { onError });
}

/**
 * The store's side: each target's quorums, from a compact zone's rows, or for the other zones
 * (small: an API overlay's) from their pools, worked out once here.
 */
export function quorumConsumer(sync: { keep(id: string, quorum: readonly Quorum[]): void; finish(): void }, zones: readonly Zone[]): TargetConsumer {
  const listed = new Map(targetQuorums(zones.filter((z) => z.targetSource === undefined)).map((t) => [t.id, t.quorum] as const));
  const fallback: readonly Quorum[] = [DEFAULT_QUORUM];
  return {
    keep: (id, source, i) => sync.keep(id, source.quorumsOf?.(i) ?? listed.get(id) ?? fallback),
    finish: () => sync.finish(),
  };
}
