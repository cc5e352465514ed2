import type { Target } from '../model/zone.js';

/** One raw probe outcome. A failed probe is a result, never an exception. */
export type ProbeResult =
  | { readonly ok: true; readonly latencyMs: number; readonly load?: number }
  | { readonly ok: false; readonly latencyMs: number; readonly reason: string };

/**
 * Probes one target once. The scheduler owns timing: `signal` aborts on timeout and on shutdown,
 * and `run` must settle promptly when it does. `run` never rejects.
 */
export interface Probe {
  run(target: Target, signal: AbortSignal): Promise<ProbeResult>;
  /**
   * Checks once, before the first probe, that this kind can work on this machine at all (e.g. the
   * system `ping` exists and may open an ICMP socket). Throws CheckError when it cannot.
   */
  preflight?(signal: AbortSignal): Promise<void>;
}
