import net from 'node:net';
import type { Target } from '../model/zone.js';
import { abortReason, elapsedMs, errorReason, PROBE_CANCELLED } from './abort-reason.js';
import type { Probe, ProbeResult } from './types.js';

/** TCP connect: up when the three-way handshake completes; the connection is closed at once. */
export const tcpProbe: Probe = {
  run(target: Target, signal: AbortSignal): Promise<ProbeResult> {
    const start = performance.now();
    if (signal.aborted) return Promise.resolve({ ok: false, latencyMs: 0, reason: abortReason(signal, target) });
    return new Promise<ProbeResult>((resolve) => {
      // The signal is handled here rather than passed to net.connect, whose handler destroys the
      // socket with a new AbortError (a stack formatted per probe; see PROBE_CANCELLED).
      const socket = net.connect({ host: target.address, port: target.port });
      let settled = false;
      const finish = (result: ProbeResult, cancelled = false) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(result);
        if (cancelled) socket.destroy(PROBE_CANCELLED);
        else socket.destroy();
      };
      const onAbort = () => finish({ ok: false, latencyMs: elapsedMs(start), reason: abortReason(signal, target) }, true);
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => finish({ ok: true, latencyMs: elapsedMs(start) }));
      socket.on('error', (err) => {
        finish({ ok: false, latencyMs: elapsedMs(start), reason: signal.aborted ? abortReason(signal, target) : errorReason(err) });
      });
    });
  },
};
