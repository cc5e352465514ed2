import net from 'node:net';
import type { Target } from '../zones/types.js';
import { abortReason, elapsedMs, errorReason } from './abort-reason.js';
import type { Probe, ProbeResult } from './types.js';

/** TCP connect: up when the three-way handshake completes; the connection is closed at once. */
export const tcpProbe: Probe = {
  run(target: Target, signal: AbortSignal): Promise<ProbeResult> {
    const start = performance.now();
    if (signal.aborted) return Promise.resolve({ ok: false, latencyMs: 0, reason: abortReason(signal, target) });
    return new Promise<ProbeResult>((resolve) => {
      const socket = net.connect({ host: target.address, port: target.port, signal });
      socket.once('connect', () => {
        resolve({ ok: true, latencyMs: elapsedMs(start) });
        socket.destroy();
      });
      socket.on('error', (err) => {
        const reason = signal.aborted ? abortReason(signal, target) : errorReason(err);
        resolve({ ok: false, latencyMs: elapsedMs(start), reason });
        socket.destroy();
      });
    });
  },
};
