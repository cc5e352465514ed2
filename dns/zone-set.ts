/**
 * The zones a server answers for. A ZoneSet is an immutable snapshot read by the query path;
 * ZoneRegistry swaps in a new snapshot on every load or removal, so a query never sees a
 * half-applied change.
 */
import type { Zone } from '../model/zone.js';
import { labelStartsOf } from '../zones/names.js';

export interface ZoneSet {
  /** The zone whose origin is the longest suffix of `qnameLower` (lowercase absolute), if any. */
  find(qnameLower: string): Zone | undefined;
}

export class ZoneSnapshot implements ZoneSet {
  private readonly byOrigin: ReadonlyMap<string, Zone>;

  constructor(zones: Iterable<Zone> = []) {
    const map = new Map<string, Zone>();
    for (const zone of zones) map.set(zone.origin, zone);
    this.byOrigin = map;
  }

  find(qnameLower: string): Zone | undefined {
    if (this.byOrigin.size === 0) return undefined;
    for (const start of labelStartsOf(qnameLower)) {
      const zone = this.byOrigin.get(start === 0 ? qnameLower : qnameLower.slice(start));
      if (zone) return zone;
    }
    return this.byOrigin.get('.');
  }

  get(origin: string): Zone | undefined {
    return this.byOrigin.get(origin);
  }

  zones(): Zone[] {
    return [...this.byOrigin.values()];
  }

  get size(): number {
    return this.byOrigin.size;
  }
}

/** The mutable holder: loads replace zones, each change publishes a new snapshot. */
export class ZoneRegistry {
  private current = new ZoneSnapshot();

  snapshot(): ZoneSnapshot {
    return this.current;
  }

  /** Adds the zone or replaces the one with the same origin. */
  replace(zone: Zone): void {
    const next = this.current.zones().filter((z) => z.origin !== zone.origin);
    next.push(zone);
    this.current = new ZoneSnapshot(next);
  }

  /** Removes the zone with this origin (lowercase absolute); false when there was none. */
  remove(origin: string): boolean {
    if (!this.current.get(origin)) return false;
    this.current = new ZoneSnapshot(this.current.zones().filter((z) => z.origin !== origin));
    return true;
  }
}
