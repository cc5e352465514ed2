/**
 * After every zone load, each served probe target goes to the checks scheduler (what to probe),
 * target by target. A few thousand targets are told in the load's own turn, as they always were;
 * more are told in slices (lib/sliced.ts) while the zone already answers, because a zone of
 * 100,000 checked pools has a million targets and telling them took the query thread for a
 * quarter of a second per 100,000 at every reload. (A Redis store needs no pass: it looks each
 * target's quorums up in the zones, server/quorum-lookup.ts.)
 */
import { targetList, type TargetSource, type Zone } from '../model/zone.js';
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
 * Tells the consumer every target of `zones`, then finishes it. Returns the sliced run when there
 * were too many for one turn (cancel it when a newer load starts its own pass).
 */
export function passTargets(zones: readonly Zone[], consumer: TargetConsumer, onError: (err: unknown) => void): SlicedRun | undefined {
  // Target ids start with their zone's origin: no target is in two zones.
  const sources = zones.map((z) => z.targetSource ?? targetList(z.targets));
  let zone = 0;
  let i = 0;
  const step = (max: number): boolean => {
    for (let n = 0; n < max; n++) {
      const source = sources[zone];
      if (!source) {
        consumer.finish();
        return true;
      }
      if (i >= source.count) {
        zone++;
        i = 0;
        continue;
      }
      const id = source.id(i);
      if (id !== undefined) consumer.keep(id, source, i);
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
