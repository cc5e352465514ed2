/**
 * A DNS answering "world" without sockets for the fast-path tests: zones, an in-memory health
 * store, a seeded PlannedSelector and the full-path QueryHandler, optionally fronted by the UDP
 * fast path. Two worlds built alike answer alike, query for query, if and only if the fast path
 * gives the full path's bytes and consumes the same picks.
 */
import { buildPlan } from '../../../balance/plan.js';
import { FastPath } from '../../../dns/fast-path.js';
import { PlannedSelector, type AnswerObserver } from '../../../dns/planned-selector.js';
import { newStats, QueryHandler, type DnsStats } from '../../../dns/query-handler.js';
import { ZoneSnapshot, type ZoneSet } from '../../../dns/zone-set.js';
import { manualClock } from '../../../lib/clock.js';
import { silentLogger } from '../../../lib/logger.js';
import { seededRandom } from '../../../lib/random.js';
import { MemoryHealthStore } from '../../../health/memory-store.js';
import type { TargetState } from '../../../model/health.js';
import type { Zone } from '../../../model/zone.js';
import { SkewDemandLoop } from '../../../server/skew-demand.js';

export const CLOCK_START = 1_800_000_000_000;

export class World {
  readonly clock = manualClock(CLOCK_START);
  readonly store = new MemoryHealthStore({ sweepIntervalMs: 0, clock: this.clock });
  readonly selector: PlannedSelector;
  readonly stats: DnsStats = newStats();
  readonly handler: QueryHandler;
  readonly fast: FastPath | undefined;
  zones: ZoneSet;

  constructor(zones: readonly Zone[], options: { fast: boolean; seed?: number; observer?: AnswerObserver }) {
    this.zones = new ZoneSnapshot(zones);
    this.selector = new PlannedSelector({
      health: this.store,
      buildPlan,
      logger: silentLogger(),
      random: seededRandom(options.seed ?? 7),
      now: () => this.clock.now(),
      ...(options.observer ? { observer: options.observer } : {}),
    });
    this.selector.setPools(zones.flatMap((z) => z.pools));
    this.handler = new QueryHandler(() => this.zones, this.selector, silentLogger(), this.stats);
    this.fast = options.fast ? new FastPath({ zones: () => this.zones, selector: this.selector, stats: this.stats, logger: silentLogger() }) : undefined;
  }

  /** Replaces the served zones (a reload: new Zone objects). */
  load(zones: readonly Zone[]): void {
    this.selector.setPools(zones.flatMap((z) => z.pools));
    this.zones = new ZoneSnapshot(zones);
  }

  /** UDP: the fast path first, then the full path, as dns/server.ts does. */
  ask(message: Buffer, address = '198.51.100.7', family: 4 | 6 = 4): Buffer | undefined {
    return this.fast?.answer(message, address, family) ?? this.handler.handle(message, { address, family, transport: 'udp' });
  }

  /** Skew correction's loop (server/skew-demand.ts): fresh demand tables from the ledgers. */
  updateDemand(): void {
    new SkewDemandLoop(this.selector).update(this.clock.now());
  }

  /** One checker's verdict, fresh for a long time. */
  setHealth(targetId: string, state: TargetState, latencyMs?: number, load?: number): void {
    this.store.publish({ targetId, checker: 'test', state, latencyMs, load, reason: state, at: this.clock.now(), ttlMs: 3_600_000 });
  }
}
