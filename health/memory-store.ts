import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { silentLogger } from '../lib/logger.js';
import type {
  HealthChange,
  HealthSource,
  HealthView,
  OverrideControl,
  OverrideKind,
  TargetHealth,
  TargetState,
  Verdict,
  VerdictSink,
} from '../model/health.js';
import { significantlyDifferent, targetHealth } from '../model/health.js';
import { HealthViews } from './view.js';

export interface MemoryHealthStoreOptions {
  readonly clock?: Clock;
  /** How often expired verdicts and overrides are swept; 0 = never (tests call sweep()). Default 1000. */
  readonly sweepIntervalMs?: number;
  readonly logger?: Logger;
  /**
   * Apply verdicts once per event-loop turn instead of one by one: publish() records the verdict
   * and the turn's verdicts make one new view and one notification, from a setImmediate. A storm
   * of verdicts (a thousand probes timing out together) then costs one view and one plan rebuild
   * per affected pool per turn, not per verdict, and DNS queries are read between turns. The
   * runtime turns it on; default off, so publish() updates the view before it returns.
   */
  readonly batchVerdicts?: boolean;
}

interface Override {
  readonly kind: OverrideKind;
  readonly untilMs: number | undefined;
}

function overrideState(kind: OverrideKind): TargetState {
  return kind === 'force-up' ? 'up' : 'down';
}

/**
 * Health for a single process (`rondo serve` without Redis): one checker, so the latest verdict
 * per target decides. A verdict counts until `at + ttlMs`; after that the target is `unknown`
 * again (noticed by the sweep, within `sweepIntervalMs`). Operator overrides sit on top.
 *
 * Every change makes a new immutable HealthView (version + 1) and tells subscribers synchronously
 * which targets changed (with `batchVerdicts`, a turn's verdicts make one change together; the
 * overrides and the sweep still apply at once). Only changes that matter to answers count: state,
 * override, load, and latency when it moves by at least 1 ms and more than 10% (so `fastest` sees
 * real shifts, not jitter); a change of `reason` alone does not make a new view.
 */
export class MemoryHealthStore implements VerdictSink, HealthSource, OverrideControl {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly verdicts = new Map<string, Verdict>();
  private readonly overrides = new Map<string, Override>();
  /** What the current view holds, the view, and its subscribers. */
  private readonly views: HealthViews;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly batchVerdicts: boolean;
  /** With batchVerdicts: targets with a verdict not applied yet, and the turn's flush. */
  private readonly pending = new Set<string>();
  private flushing: NodeJS.Immediate | undefined;

  constructor(options: MemoryHealthStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.batchVerdicts = options.batchVerdicts ?? false;
    this.log = (options.logger ?? silentLogger()).child({ component: 'health' });
    this.views = new HealthViews(this.log);
    const every = options.sweepIntervalMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => this.sweep(), every);
      this.timer.unref();
    }
  }

  publish(verdict: Verdict): void {
    const now = this.clock.now();
    const previous = this.verdicts.get(verdict.targetId);
    if (previous && previous.at > verdict.at) return;
    this.verdicts.set(verdict.targetId, verdict);
    if (!this.batchVerdicts) {
      this.update([verdict.targetId], now);
      return;
    }
    this.pending.add(verdict.targetId);
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Applies the verdicts published but not applied yet (batchVerdicts); a no-op without any. */
  flush(): void {
    if (this.flushing !== undefined) {
      clearImmediate(this.flushing);
      this.flushing = undefined;
    }
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending.clear();
    this.update(ids, this.clock.now());
  }

  setOverride(targetId: string, override: OverrideKind | undefined, untilMs?: number): void {
    // Verdicts first, so changes reach subscribers in the order they were made.
    this.flush();
    if (override === undefined) this.overrides.delete(targetId);
    else this.overrides.set(targetId, { kind: override, untilMs });
    this.update([targetId], this.clock.now());
  }

  /** Drops verdicts past their expiry and overrides past their `untilMs`, and publishes the result. */
  sweep(now: number = this.clock.now()): void {
    this.flush();
    const expired: string[] = [];
    for (const [id, verdict] of this.verdicts) {
      if (verdict.at + verdict.ttlMs <= now) expired.push(id);
    }
    const lapsed: string[] = [];
    for (const [id, override] of this.overrides) {
      if (override.untilMs !== undefined && override.untilMs <= now) lapsed.push(id);
    }
    for (const id of lapsed) this.overrides.delete(id);
    if (expired.length > 0 || lapsed.length > 0) this.update([...expired, ...lapsed], now);
    // Dropped after deciding, so the decision can say the verdict expired.
    for (const id of expired) this.verdicts.delete(id);
  }

  view(): HealthView {
    return this.views.view();
  }

  subscribe(listener: (change: HealthChange) => void): () => void {
    return this.views.subscribe(listener);
  }

  /** Stops the sweep timer; verdicts not applied yet are dropped. */
  close(): void {
    clearInterval(this.timer);
    if (this.flushing !== undefined) clearImmediate(this.flushing);
    this.flushing = undefined;
    this.pending.clear();
  }

  /** The health a target has now, before comparing with what the view holds. */
  private decide(targetId: string, now: number): Omit<TargetHealth, 'since'> | undefined {
    const verdict = this.verdicts.get(targetId);
    const fresh = verdict !== undefined && verdict.at + verdict.ttlMs > now ? verdict : undefined;
    const stored = this.overrides.get(targetId);
    const override = stored !== undefined && (stored.untilMs === undefined || stored.untilMs > now) ? stored : undefined;
    if (!fresh && !override && !this.views.has(targetId)) return undefined;
    const base = fresh
      ? { state: fresh.state, latencyMs: fresh.latencyMs, load: fresh.load, reason: fresh.reason }
      : { state: 'unknown' as const, latencyMs: undefined, load: undefined, reason: verdict ? 'verdict expired' : 'no verdict' };
    if (!override) return base;
    return { ...base, state: overrideState(override.kind), reason: `override ${override.kind}`, override: override.kind };
  }

  private update(targetIds: readonly string[], now: number): void {
    for (const id of new Set(targetIds)) {
      const next = this.decide(id, now);
      if (!next) continue;
      const previous = this.views.get(id);
      const since = previous && previous.state === next.state ? previous.since : now;
      const health: TargetHealth = targetHealth(next, since);
      if (!significantlyDifferent(previous, health)) continue;
      this.views.set(id, health);
    }
    this.views.commit();
  }
}
