/**
 * The skew report's counters hooked onto the DNS side: PlannedSelector tells this adapter about
 * every pool answer (full path and UDP fast path alike, both pick through pickVariant), and the
 * adapter records it in the report's Observer. Pools are registered on every zone load; sweep()
 * runs on a timer, off the query path.
 */
import type { AnswerObserver } from '../dns/planned-selector.js';
import type { ClientInfo } from '../dns/pool-selector.js';
import { Observer, type ObserverOptions } from '../report/observe.js';
import { resolverKeyForClient, resolverKeyFromAddress } from '../report/resolver-key.js';
import type { ObservationSnapshot } from '../report/snapshot.js';
import type { Pool } from '../model/zone.js';

/** How often idle resolvers are folded into the rest and the cap is enforced. */
export const SWEEP_INTERVAL_MS = 60_000;
/** Resolvers kept one by one per pool in an exported snapshot (Redis, /report). */
export const SNAPSHOT_RESOLVERS_PER_POOL = 5_000;

export class AnswerObservation implements AnswerObserver {
  readonly observer: Observer;
  /** Pool object → observer index; a reload makes new Pool objects, registered again. */
  private readonly index = new WeakMap<Pool, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ObserverOptions = {}) {
    this.observer = new Observer(options);
  }

  /** The pools served now (after every zone load): registers them, forgets pools no longer served. */
  setPools(pools: readonly Pool[], alsoServed?: (key: string) => boolean): void {
    const keys = new Set<string>();
    for (const pool of pools) {
      keys.add(pool.key);
      this.index.set(pool, this.observer.registerPool(pool));
    }
    const retained = alsoServed ? { has: (key: string) => keys.has(key) || alsoServed(key) } : keys;
    // With compactly compiled zones, asking whether each observed pool is still served costs a
    // lookup per pool (100,000 of them in a large zone): done at the next sweep, not at the reload.
    if (alsoServed) this.pendingRetain = retained;
    else {
      this.pendingRetain = undefined;
      this.observer.retainPools(retained);
    }
  }

  private pendingRetain: { has(key: string): boolean } | undefined;

  private sweep(nowMs: number): void {
    const retain = this.pendingRetain;
    this.pendingRetain = undefined;
    if (retain) this.observer.retainPools(retain);
    this.observer.sweep(nowMs);
  }

  onPoolAnswer(pool: Pool, members: readonly number[], clientAddress: string, ecs: ClientInfo['ecs'], nowMs: number): void {
    let at = this.index.get(pool);
    if (at === undefined) {
      at = this.observer.registerPool(pool);
      this.index.set(pool, at);
    }
    // Without ECS the key comes from the address alone, with no object made for the call.
    const key = ecs === undefined ? resolverKeyFromAddress(clientAddress) : resolverKeyForClient({ address: clientAddress, ecs });
    this.observer.record(at, members, key, nowMs);
  }

  /** A copy of the counters, the busiest resolvers kept one by one. */
  snapshot(nowMs = Date.now()): ObservationSnapshot {
    return this.observer.toSnapshot(nowMs, { maxResolversPerPool: SNAPSHOT_RESOLVERS_PER_POOL });
  }

  start(sweepIntervalMs = SWEEP_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(Date.now()), sweepIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
