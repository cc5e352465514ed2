/**
 * A preload for a benchmarked `rondo serve` (`NODE_OPTIONS=--import=…/turn-probe.js`): appends to
 * `$RONDO_TURN_PROBE_FILE` one JSON line per event-loop turn of the main thread longer than 8 ms,
 * `{ atMs, wallMs, cpuMs }`, and one per SIGHUP, `{ atMs, hup: true }` (atMs: since the probe
 * started). `cpuMs` is the main thread's own CPU time in that turn (Linux,
 * /proc/thread-self/schedstat; absent elsewhere): a long turn with little CPU waited for a CPU
 * (a busy machine), a long turn with as much CPU was work on the query thread. Turns are seen by a
 * 2 ms interval timer. Nothing runs without the variable; worker threads are left alone.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.RONDO_TURN_PROBE_FILE;
if (file !== undefined && file !== '' && isMainThread) {
  const INTERVAL_MS = 2;
  const REPORT_OVER_MS = 8;
  const cpuMs = (): number | undefined => {
    try {
      return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
    } catch {
      return undefined;
    }
  };
  const t0 = performance.now();
  let last = t0;
  let lastCpu = cpuMs();
  process.on('SIGHUP', () => appendFileSync(file, JSON.stringify({ atMs: performance.now() - t0, hup: true }) + '\n'));
  setInterval(() => {
    const now = performance.now();
    const cpu = cpuMs();
    const wallMs = now - last;
    if (wallMs > REPORT_OVER_MS) {
      const line = { atMs: now - t0, wallMs, ...(cpu !== undefined && lastCpu !== undefined ? { cpuMs: cpu - lastCpu } : {}) };
      appendFileSync(file, JSON.stringify(line) + '\n');
    }
    last = performance.now();
    lastCpu = cpuMs();
  }, INTERVAL_MS).unref();
}
