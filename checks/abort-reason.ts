import type { Target } from '../model/zone.js';
import type { ProbeResult } from './types.js';

/**
 * The failure reason for a probe cut short by its signal: the scheduler's per-probe deadline
 * (`AbortSignal.timeout`) reads as `timeout after Nms`, anything else (shutdown, target removed) as `aborted`.
 */
export function abortReason(signal: AbortSignal, target: Target): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return `timeout after ${target.check.timeoutMs}ms`;
  return 'aborted';
}

/**
 * What a probe destroys its socket or request with when its signal aborts. One shared error made
 * up front: Node reads the stack of every error a stream is destroyed with (streams/destroy.js
 * checkError), and formatting a fresh stack per probe is what made a thousand probes timing out
 * together stall the event loop (issue 7). The probe's result carries the real reason.
 */
export const PROBE_CANCELLED: Error = new Error('probe cancelled by its signal');

/** A short reason from a socket/process error: its errno code when it has one (`ECONNREFUSED`), else its message. */
export function errorReason(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return String(err);
}

/** Milliseconds since `startMs` (a `performance.now()` reading), to 0.001 ms. */
export function elapsedMs(startMs: number): number {
  return Math.round((performance.now() - startMs) * 1000) / 1000;
}

/** How a probe ends: `finish` settles once; `cancelled` when its signal cut it short. */
export type FinishProbe = (result: ProbeResult, cancelled?: boolean) => void;

/**
 * The settle-once scaffolding every socket probe shares: the returned `finish` resolves the
 * probe's promise once, stops listening to the signal and closes the probe's resource (`close`
 * gets PROBE_CANCELLED when the signal ended it). An abort finishes with `abortReason`. The signal
 * is handled here rather than passed to Node, whose handlers destroy with a new AbortError (a
 * stack formatted per probe; see PROBE_CANCELLED).
 */
export function settleProbe(
  signal: AbortSignal,
  target: Target,
  startMs: number,
  resolve: (result: ProbeResult) => void,
  close: (error: Error | undefined) => void,
): FinishProbe {
  let settled = false;
  const finish: FinishProbe = (result, cancelled = false) => {
    if (settled) return;
    settled = true;
    signal.removeEventListener('abort', onAbort);
    resolve(result);
    close(cancelled ? PROBE_CANCELLED : undefined);
  };
  const onAbort = () => finish({ ok: false, latencyMs: elapsedMs(startMs), reason: abortReason(signal, target) }, true);
  signal.addEventListener('abort', onAbort, { once: true });
  return finish;
}
