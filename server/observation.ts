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
import type { Logger } from '../lib/logger.js';
import { runSliced, type SlicedRun } from '../lib/sliced.js';

/** How often idle resolvers are folded into the rest and the cap is enforced. */
export const SWEEP_INTERVAL_MS = 60_000;
/** Resolvers kept one by one per pool in an exported snapshot (Redis, /report). */
export const SNAPSHOT_RESOLVERS_PER_POOL = 5_000;
/** Observed pools checked between two looks at the clock when forgetting pools after a reload. */
const RETAIN_STEP = 64;
/** Observed pools swept between two looks at the clock. */
const SWEEP_STEP = 64;

export class AnswerObservation implements AnswerObserver {
  readonly observer: Observer;
  /** Pool object → observer index; a reload makes new Pool objects, registered again. */
  private readonly index = new WeakMap<Pool, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger | undefined;

  constructor(options: ObserverOptions = {}, logger?: Logger) {
    this.observer = new Observer(options);
    this.log = logger?.child({ component: 'observation' });
  }

  /** The pools served now (after every zone load): registers them, forgets pools no longer served. */
  setPools(pools: readonly Pool[], alsoServed?: (key: string) => boolean): void {
    const keys = new Set<string>();
    for (const pool of pools) {
      keys.add(pool.key);
      this.index.set(pool, this.observer.registerPool(pool));
    }
    const retained = alsoServed ? { has: (key: string) => keys.has(key) || alsoServed(key) } : keys;
    this.retaining?.cancel();
    this.retaining = undefined;
    if (!alsoServed) {
      this.observer.retainPools(retained);
      return;
    }
    // With compactly compiled zones, asking whether each observed pool is still served costs a
    // lookup per pool (100,000 of them in a large zone): done in slices of a few milliseconds over
    // the turns after the reload, never in one turn. A newer load cancels this pass.
    const step = this.observer.retainer(retained);
    this.retaining = runSliced(() => step(RETAIN_STEP), { onError: (err) => this.log?.error({ err }, 'forgetting pools no longer served failed') });
  }

  /** The pass that forgets pools no longer served (after a reload), if one runs. */
  private retaining: SlicedRun | undefined;

  /** Resolves when the last reload's pass over the observed pools finished (tests). */
  get retained(): Promise<void> {
    return this.retaining?.settled ?? Promise.resolve();
  }

  /** The sweep (idle resolvers folded into the rest, the cap), in slices over turns like the retain pass. */
  private sweep(nowMs: number): void {
    if (this.sweeping && !this.sweeping.finished) return; // the last one still runs (a minute of slices: not expected)
    const step = this.observer.sweeper(nowMs);
    this.sweeping = runSliced(() => step(SWEEP_STEP), { onError: (err) => this.log?.error({ err }, 'the observation sweep failed') });
  }

  private sweeping: SlicedRun | undefined;

  onPoolAnswer(pool: Pool, members: readonly number[], clientAddress: string, ecs: ClientInfo['ecs'], nowMs: number, ttlSeconds: number): void {
    let at = this.index.get(pool);
    if (at === undefined) {
      at = this.observer.registerPool(pool);
      this.index.set(pool, at);
    }
    // Without ECS the key comes from the address alone, with no object made for the call.
    const key = ecs === undefined ? resolverKeyFromAddress(clientAddress) : resolverKeyForClient({ address: clientAddress, ecs });
    this.observer.record(at, members, key, nowMs, ttlSeconds);
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
    this.retaining?.cancel();
    this.sweeping?.cancel();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
