/**
 * Anti-flap: raw probe results in, `up`/`down` out (cf. gdnsd's mon.c). Pure: no clock, no I/O.
 *
 * A target starts `unknown`. `rise` successes in a row make it `up`; `fall` failures in a row make
 * it `down`. From `unknown` the same counts apply, whichever comes first: with rise=2 fall=3, two
 * successes make a new target `up`, three failures make it `down`, and until then it stays
 * `unknown` (the pool's `unknown=` option decides how DNS answers it). A result that breaks a
 * streak resets the other counter, so an alternating target never changes state.
 */
import type { TargetState } from '../model/health.js';
import type { ProbeResult } from './types.js';

/** Weight of the newest sample in the smoothed latency (exponentially weighted moving average). */
export const LATENCY_ALPHA = 0.3;

export interface HysteresisConfig {
  readonly rise: number;
  readonly fall: number;
}

export interface HealthTrack {
  readonly state: TargetState;
  /** Consecutive successes (capped at `rise`). */
  readonly successes: number;
  /** Consecutive failures (capped at `fall`). */
  readonly failures: number;
  /** Smoothed latency of successful probes, ms; failures (often timeouts) do not feed it. */
  readonly latencyMs: number | undefined;
  /** The load the last successful probe reported. */
  readonly load: number | undefined;
  /** The last probe's outcome: `ok` or its failure reason. */
  readonly reason: string;
}

export interface Transition {
  readonly from: TargetState;
  readonly to: TargetState;
}

export interface Step {
  readonly track: HealthTrack;
  /** Present when this result changed the state. */
  readonly transition?: Transition;
}

export const INITIAL_TRACK: HealthTrack = Object.freeze({
  state: 'unknown',
  successes: 0,
  failures: 0,
  latencyMs: undefined,
  load: undefined,
  reason: 'not checked yet',
});

function smooth(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : LATENCY_ALPHA * sample + (1 - LATENCY_ALPHA) * previous;
}

export function advance(track: HealthTrack, result: ProbeResult, config: HysteresisConfig): Step {
  const rise = Math.max(1, config.rise);
  const fall = Math.max(1, config.fall);
  let next: HealthTrack;
  if (result.ok) {
    const successes = Math.min(track.successes + 1, rise);
    next = {
      state: successes >= rise ? 'up' : track.state,
      successes,
      failures: 0,
      latencyMs: smooth(track.latencyMs, result.latencyMs),
      load: result.load,
      reason: 'ok',
    };
  } else {
    const failures = Math.min(track.failures + 1, fall);
    next = {
      state: failures >= fall ? 'down' : track.state,
      successes: 0,
      failures,
      latencyMs: track.latencyMs,
      load: track.load,
      reason: result.reason,
    };
  }
  return next.state === track.state ? { track: next } : { track: next, transition: { from: track.state, to: next.state } };
}
