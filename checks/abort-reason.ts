import type { Target } from '../model/zone.js';

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
