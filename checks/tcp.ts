import net from 'node:net';
import type { Target } from '../model/zone.js';
import { abortReason, elapsedMs, errorReason, settleProbe } from './abort-reason.js';
import type { Probe, ProbeResult } from './types.js';

/** TCP connect: up when the three-way handshake completes; the connection is closed at once. */
export const tcpProbe: Probe = {
  run(target: Target, signal: AbortSignal): Promise<ProbeResult> {
    const start = performance.now();
    if (signal.aborted) return Promise.resolve({ ok: false, latencyMs: 0, reason: abortReason(signal, target) });
    return new Promise<ProbeResult>((resolve) => {
      const socket = net.connect({ host: target.address, port: target.port });
      const finish = settleProbe(signal, target, start, resolve, (error) => socket.destroy(error));
      socket.once('connect', () => finish({ ok: true, latencyMs: elapsedMs(start) }));
      socket.on('error', (err) => {
        finish({ ok: false, latencyMs: elapsedMs(start), reason: signal.aborted ? abortReason(signal, target) : errorReason(err) });
      });
    });
  },
};
