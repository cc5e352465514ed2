/**
 * How long a checker's verdict change takes to reach DNS servers through Redis: from the
 * `publish()` call to both readers' views showing it (subscriber callbacks), over TRIALS trials.
 * Starts its own redis-server on a free loopback port (or uses REDIS_URL). All four stores run in
 * this one process, so the figure includes their share of one event loop.
 *
 *   npm run build && node dist/bench/redis-propagation.js        (TRIALS=50 by default)
 */
import { RedisHealthStore } from '../health/redis-store.js';
import type { TargetState } from '../model/health.js';
import { silentLogger } from '../lib/logger.js';
import { startRedisServer } from './lib/redis-server.js';

const TRIALS = Number(process.env.TRIALS ?? 50);
const TARGET = 'example.test./web/192.0.2.10/80';
const PER_TRIAL_DEADLINE_MS = 5000;

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

async function main(): Promise<void> {
  const server = process.env.REDIS_URL ? undefined : await startRedisServer();
  const url = process.env.REDIS_URL ?? server?.url ?? '';
  const prefix = `bench${process.pid}`;
  const make = (role: 'dns' | 'checker', nodeId: string) =>
    new RedisHealthStore({ connection: { url }, role, nodeId, prefix, logger: silentLogger() });
  const readers = [make('dns', 'dns-a'), make('dns', 'dns-b')];
  const checkers = [make('checker', 'chk-a'), make('checker', 'chk-b')];
  const all = [...readers, ...checkers];
  try {
    await Promise.all(all.map((s) => s.start()));
    const delays: number[] = [];
    let state: TargetState = 'up';
    for (let trial = 0; trial <= TRIALS; trial++) {
      state = state === 'up' ? 'down' : 'up';
      const seen = readers.map(
        (reader) =>
          new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`trial ${trial}: no change within ${PER_TRIAL_DEADLINE_MS}ms`)), PER_TRIAL_DEADLINE_MS);
            const off = reader.subscribe((change) => {
              if (change.view.get(TARGET)?.state !== state) return;
              clearTimeout(timer);
              off();
              resolve(performance.now());
            });
          }),
      );
      const t0 = performance.now();
      // Both checkers change their mind (majority of 2 needs both).
      for (const chk of checkers) {
        chk.publish({ targetId: TARGET, checker: chk.nodeId, state, latencyMs: 3, load: undefined, reason: state, at: Date.now(), ttlMs: 30_000 });
      }
      const times = await Promise.all(seen);
      if (trial > 0) delays.push(Math.max(...times) - t0); // trial 0 warms up the connections
    }
    delays.sort((a, b) => a - b);
    const fmt = (ms: number) => `${ms.toFixed(2)}ms`;
    console.log(`redis propagation over ${delays.length} trials (publish -> both readers' views): median ${fmt(percentile(delays, 50))}, p99 ${fmt(percentile(delays, 99))}, min ${fmt(delays[0] ?? NaN)}, max ${fmt(delays.at(-1) ?? NaN)}`);
  } finally {
    await Promise.all(all.map((s) => s.stop()));
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
