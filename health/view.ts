import type { HealthView, TargetHealth } from './types.js';

/** An immutable HealthView over a private copy of `entries`. */
export function healthView(version: number, entries: ReadonlyMap<string, TargetHealth>): HealthView {
  const snapshot = new Map(entries);
  return Object.freeze({
    version,
    get: (targetId: string) => snapshot.get(targetId),
  });
}
