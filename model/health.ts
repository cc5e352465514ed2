/**
 * Health as the rest of Rondo sees it. Checkers write verdicts; a store turns them into a
 * health view (consensus, overrides, expiry); the DNS side reads the view and never waits.
 */
export type TargetState = 'up' | 'down' | 'unknown';

/** One checker's opinion of one target. */
export interface Verdict {
  readonly targetId: string;
  /** The checker that produced it (node id). */
  readonly checker: string;
  readonly state: TargetState;
  /** Smoothed probe latency, milliseconds. */
  readonly latencyMs: number | undefined;
  /** Load reported by the backend (http load-header/load-json), if any. */
  readonly load: number | undefined;
  /** Why the state is what it is (e.g. `HTTP 503`, `ECONNREFUSED`, `timeout after 1000ms`). */
  readonly reason: string;
  /** Epoch milliseconds when the checker decided it. */
  readonly at: number;
  /** Milliseconds after `at` when it stops counting (a few check intervals). */
  readonly ttlMs: number;
}

/** The decided health of one target, as answers use it. */
export interface TargetHealth {
  readonly state: TargetState;
  readonly latencyMs: number | undefined;
  readonly load: number | undefined;
  readonly reason: string;
  /** Epoch milliseconds of the last state change. */
  readonly since: number;
  /** Set when an operator override decided the state. */
  readonly override?: 'drain' | 'force-up' | 'force-down';
}

/**
 * A TargetHealth with the same properties in the same order every time, frozen. Made with a
 * spread (`{ ...decided, since }`), each one got a hidden class of its own (V8 copies the
 * source's shape, and latencies and times that are sometimes absent and sometimes fractional keep
 * changing it): ~220 bytes more per target in the heap, a hundred thousand hidden classes at a
 * hundred thousand targets.
 */
export function targetHealth(decided: Omit<TargetHealth, 'since'>, since: number): TargetHealth {
  return Object.freeze({ state: decided.state, latencyMs: decided.latencyMs, load: decided.load, reason: decided.reason, since, override: decided.override });
}

/** An immutable snapshot: a new one is made on every change. */
export interface HealthView {
  /** Increases with every change; lets readers cache what they derived from a view. */
  readonly version: number;
  get(targetId: string): TargetHealth | undefined;
  /**
   * The operator override of one pool member, named by pool (lowercase absolute name) and address;
   * it covers members that have no check. Balance should apply it before the target's health.
   * Optional: a store without member overrides (the in-memory one) leaves it out.
   */
  member?(pool: string, address: string): OverrideKind | undefined;
}

export interface HealthChange {
  readonly view: HealthView;
  /** Targets whose decided health changed in this step. */
  readonly changed: readonly string[];
  /** Pool members whose override changed in this step (see HealthView.member). */
  readonly changedMembers?: readonly { readonly pool: string; readonly address: string }[];
}

/** Where checkers send verdicts. */
export interface VerdictSink {
  publish(verdict: Verdict): void;
}

/** What the DNS side reads. `subscribe` returns an unsubscribe function. */
export interface HealthSource {
  view(): HealthView;
  subscribe(listener: (change: HealthChange) => void): () => void;
}

export const EMPTY_HEALTH_VIEW: HealthView = { version: 0, get: () => undefined };

/**
 * An operator's decision on one target, applied on top of the checkers' verdicts: `drain` and
 * `force-down` make it `down`, `force-up` makes it `up`; the decided health carries `override`.
 */
export type OverrideKind = 'drain' | 'force-up' | 'force-down';

/** Sets (or, with `undefined`, clears) an override; `untilMs` (epoch ms) makes it lapse by itself. */
export interface OverrideControl {
  setOverride(targetId: string, override: OverrideKind | undefined, untilMs?: number): void | Promise<void>;
}

/** Latency moves that readers hear about: at least 1 ms and more than 10% of the last published value. */
export function latencySignificantlyChanged(previous: number | undefined, next: number | undefined): boolean {
  if (previous === undefined || next === undefined) return previous !== next;
  const delta = Math.abs(next - previous);
  return delta >= 1 && delta > 0.1 * Math.abs(previous);
}

/**
 * Whether a newly decided health is worth a change event: a new target, its state, override or
 * load, or a latency move that matters. With `reason`, a new reason too: the Redis store carries
 * the vote count there, which operators read when checkers disagree; it changes only on real
 * events (a vote, a checker coming or going).
 */
export function significantlyDifferent(a: TargetHealth | undefined, b: TargetHealth, compare: { readonly reason?: boolean } = {}): boolean {
  return (
    a === undefined ||
    a.state !== b.state ||
    a.override !== b.override ||
    a.load !== b.load ||
    (compare.reason === true && a.reason !== b.reason) ||
    latencySignificantlyChanged(a.latencyMs, b.latencyMs)
  );
}
