/**
 * The Redis load of shared health: 1,000 targets probed every second by 2 checkers, read by 2 DNS
 * servers, for DURATION_S seconds (default 10). Counts commands with `CONFIG RESETSTAT` before and
 * `INFO commandstats` after (calls made inside the verdict script are counted too, as Redis does),
 * and prints commands per second by command. Starts its own redis-server (or uses REDIS_URL, which
 * it will RESETSTAT: not for a shared Redis).
 *
 *   npm run build && node dist/bench/redis-commandstats.js
 */
import { Redis } from 'ioredis';
import { RedisHealthStore } from '../health/redis-store.js';
import type { TargetState } from '../model/health.js';
import { silentLogger } from '../lib/logger.js';
import { startRedisServer } from './lib/redis-server.js';

const TARGETS = Number(process.env.TARGETS ?? 1000);
const CHECKERS = Number(process.env.CHECKERS ?? 2);
const READERS = Number(process.env.READERS ?? 2);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 1000);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
/** Share of probes whose state flips (the rest are unchanged refreshes). */
const FLIP_RATE = Number(process.env.FLIP_RATE ?? 0.001);
const TICK_MS = 10;

function parseCommandStats(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** used_cpu_sys + used_cpu_user of the server process, seconds. */
function redisCpuSeconds(text: string): number {
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}

async function main(): Promise<void> {
  const server = process.env.REDIS_URL ? undefined : await startRedisServer();
  const url = process.env.REDIS_URL ?? server?.url ?? '';
  const prefix = `bench${process.pid}`;
  const admin = new Redis(url, { lazyConnect: true });
  admin.on('error', () => {});
  await admin.connect();
  const make = (role: 'dns' | 'checker', nodeId: string) => new RedisHealthStore({ connection: { url }, role, nodeId, prefix, logger: silentLogger() });
  const readers = Array.from({ length: READERS }, (_, i) => make('dns', `dns-${i}`));
  const checkers = Array.from({ length: CHECKERS }, (_, i) => make('checker', `chk-${i}`));
  const all = [...readers, ...checkers];
  const states = checkers.map(() => new Array<TargetState>(TARGETS).fill('up'));
  const timers: NodeJS.Timeout[] = [];
  try {
    await Promise.all(all.map((s) => s.start()));
    // Each checker probes every target once per interval, spread evenly over it, like the scheduler.
    const perTick = (TARGETS * TICK_MS) / INTERVAL_MS;
    let published = 0;
    let flips = 0;
    checkers.forEach((chk, c) => {
      let next = 0;
      let carry = 0;
      timers.push(
        setInterval(() => {
          carry += perTick;
          for (; carry >= 1; carry--) {
            const t = next;
            next = (next + 1) % TARGETS;
            const list = states[c] as TargetState[];
            if (Math.random() < FLIP_RATE) {
              list[t] = list[t] === 'up' ? 'down' : 'up';
              flips++;
            }
            chk.publish({ targetId: `example.test./web/192.0.2.${t % 250}/${8000 + t}`, checker: chk.nodeId, state: list[t] as TargetState, latencyMs: 2 + Math.random(), load: undefined, reason: 'HTTP 200', at: Date.now(), ttlMs: 3 * INTERVAL_MS });
            published++;
          }
        }, TICK_MS),
      );
    });
    // Warm up one interval (first writes of every target are announced), then measure.
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 2));
    await admin.config('RESETSTAT');
    const cpuBefore = redisCpuSeconds(await admin.info('cpu'));
    const publishedBefore = published;
    const flipsBefore = flips;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, DURATION_S * 1000));
    const stats = parseCommandStats(await admin.info('commandstats'));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = redisCpuSeconds(await admin.info('cpu')) - cpuBefore;
    const total = [...stats.values()].reduce((a, b) => a + b, 0);
    console.log(`${TARGETS} targets x ${CHECKERS} checkers every ${INTERVAL_MS}ms, ${READERS} DNS readers, ${seconds.toFixed(1)}s:`);
    console.log(`  verdicts published: ${((published - publishedBefore) / seconds).toFixed(0)}/s (state flips ${((flips - flipsBefore) / seconds).toFixed(1)}/s)`);
    console.log(`  redis commands: ${(total / seconds).toFixed(0)}/s in all (the INFO call itself included)`);
    console.log(`  redis-server CPU: ${((cpu / seconds) * 100).toFixed(1)}% of one core`);
    for (const [name, calls] of [...stats].sort((a, b) => b[1] - a[1])) console.log(`    ${name.padEnd(12)} ${(calls / seconds).toFixed(1)}/s`);
  } finally {
    for (const t of timers) clearInterval(t);
    admin.disconnect();
    await Promise.all(all.map((s) => s.stop()));
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
