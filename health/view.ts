import type { HealthView, TargetHealth } from '../model/health.js';

/** An immutable HealthView over a private copy of `entries`. */
export function healthView(version: number, entries: ReadonlyMap<string, TargetHealth>): HealthView {
  return new LayeredView(version, new Map(entries), new Map());
}

/**
 * An immutable view made of a frozen base and a small overlay of the targets changed since the
 * base was taken. The next view copies only the overlay, and takes a fresh base once the overlay
 * outgrows about √N entries, so a stream of single-target changes among N targets costs O(√N)
 * per change instead of copying all N each time.
 */
class LayeredView implements HealthView {
  constructor(
    readonly version: number,
    readonly base: ReadonlyMap<string, TargetHealth>,
    readonly overlay: ReadonlyMap<string, TargetHealth>,
  ) {
    Object.freeze(this);
  }

  /** An arrow function, so `view.get` may be passed around detached from the view. */
  readonly get = (targetId: string): TargetHealth | undefined => this.overlay.get(targetId) ?? this.base.get(targetId);
}

/** The view after `changed` targets took the values they now have in `all` (the store's current decisions). */
export function nextHealthView(
  previous: HealthView,
  changed: readonly string[],
  all: ReadonlyMap<string, TargetHealth>,
): HealthView {
  const version = previous.version + 1;
  if (!(previous instanceof LayeredView)) return healthView(version, all);
  const limit = Math.max(32, Math.ceil(Math.sqrt(all.size)));
  if (previous.overlay.size + changed.length > limit) return healthView(version, all);
  const overlay = new Map(previous.overlay);
  for (const id of changed) {
    const health = all.get(id);
    if (health !== undefined) overlay.set(id, health);
  }
  return new LayeredView(version, previous.base, overlay);
}
