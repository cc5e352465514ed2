/**
 * A preload for benchmarked processes (`NODE_OPTIONS=--import=…/loop-probe.js`): measures this
 * process's event-loop delay — how late a 10 ms timer fires — and writes, every second, the delay
 * percentiles and the RSS to `$RONDO_LOOP_PROBE_FILE` (JSON). Creating `$RONDO_LOOP_PROBE_FILE.reset`
 * starts a new measurement window (the file is removed). Nothing is loaded without the variable.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const file = process.env.RONDO_LOOP_PROBE_FILE;
if (file !== undefined && file !== '') {
  const TICK_MS = 10;
  /** Counts per 0.1 ms of lateness, up to 2 s (the last bucket takes the rest). */
  let buckets = new Uint32Array(20_001);
  let samples = 0;
  let max = 0;
  let expected = performance.now() + TICK_MS;
  const tick = (): void => {
    const now = performance.now();
    const late = Math.max(0, now - expected);
    buckets[Math.min(buckets.length - 1, Math.floor(late * 10))]! += 1;
    samples++;
    if (late > max) max = late;
    expected = now + TICK_MS;
    setTimeout(tick, TICK_MS).unref();
  };
  setTimeout(tick, TICK_MS).unref();
  const percentile = (p: number): number => {
    const want = Math.ceil((p / 100) * samples);
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      seen += buckets[i]!;
      if (seen >= want && want > 0) return i / 10;
    }
    return 0;
  };
  setInterval(() => {
    if (existsSync(`${file}.reset`)) {
      rmSync(`${file}.reset`, { force: true });
      buckets = new Uint32Array(buckets.length);
      samples = 0;
      max = 0;
    }
    const memory = process.memoryUsage();
    // Written aside and renamed, so a reader never sees half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, samples, p50: percentile(50), p99: percentile(99), max, rss: memory.rss, heapUsed: memory.heapUsed }));
    renameSync(`${file}.tmp`, file);
  }, 1000).unref();
}
