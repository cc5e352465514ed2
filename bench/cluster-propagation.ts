/**
 * Shared health measured on real processes (issue 4). Two parts, each on its own redis-server
 * (free loopback port, no persistence):
 *
 * 1. Propagation: two `rondo serve --no-checks` processes and, in this process, one
 *    RedisHealthStore in the checker role that flips one target's verdict, so the moment of the
 *    change is known exactly. After each flip both servers are queried over UDP in a tight loop
 *    (about every millisecond, bounded) until both answer accordingly. TRIALS trials (default 50,
 *    after one warm-up) → median and p99 of the time until the slower server answers.
 * 2. Redis load: TARGETS targets (default 1,000) probed every second (tcp, rise/fall 2) by two real
 *    `rondo check` processes, read by two `rondo serve --no-checks`. The targets are one TCP
 *    listener per address on 127.0.x.y. Commands counted with CONFIG RESETSTAT, then INFO
 *    commandstats after DURATION_S seconds (default 10). Redis counts the HSET/PTTL/PEXPIRE run
 *    inside the verdict script as commands too; both totals are printed.
 *
 *   npm run build && node dist/bench/cluster-propagation.js
 *   PART=propagation|load, TRIALS, TARGETS, DURATION_S to change what runs.
 */
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os, { cpus } from 'node:os';
import path from 'node:path';
import { RedisHealthStore } from '../health/redis-store.js';
import type { TargetState } from '../model/health.js';
import { silentLogger } from '../lib/logger.js';
import { startRedisServer, type RedisServer } from './lib/redis-server.js';
import { freeDnsPort, startRondo, stopAllRondo, type RondoProcess } from './lib/rondo-process.js';
import { percentile, UdpAsker } from './lib/udp-asker.js';

const PART = process.env.PART ?? 'all';
const TRIALS = Number(process.env.TRIALS ?? 50);
const TARGETS = Number(process.env.TARGETS ?? 1000);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const PER_TRIAL_DEADLINE_MS = 5000;
const POLL_EVERY_MS = 1;

const ZONE_HEAD = [
  '$ORIGIN example.test.',
  '$TTL 300',
  '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
  '     IN NS  ns1',
  'ns1  IN A   192.0.2.53',
];

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startServers(zones: string, redisUrl: string, count = 2): Promise<{ name: string; port: number; process: RondoProcess }[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `dns-${i + 1}`;
      const port = await freeDnsPort();
      const proc = await startRondo(['serve', '--zones', zones, '--listen', `127.0.0.1:${port}`, '--no-checks', '--node-id', name, '--redis', redisUrl], { name });
      return { name, port, process: proc };
    }),
  );
}

// ---------------------------------------------------------------------------------------------

async function propagation(dir: string): Promise<void> {
  const redis = await startRedisServer();
  const zone = path.join(dir, 'propagation', 'example.test.zone');
  await mkdir(path.dirname(zone), { recursive: true });
  await writeFile(zone, [...ZONE_HEAD, ';@check web tcp port=9 interval=1s timeout=500ms', ';@pool www check=web', 'www 5 IN A 192.0.2.10', 'www 5 IN A 192.0.2.11', ''].join('\n'));
  const target = 'example.test./web/192.0.2.10/9';
  const checker = new RedisHealthStore({ connection: { url: redis.url }, role: 'checker', nodeId: 'bench-checker', logger: silentLogger(), heartbeatIntervalMs: 0 });
  const askers: UdpAsker[] = [];
  try {
    await checker.start();
    const servers = await startServers(zone, redis.url);
    askers.push(...servers.map((s) => new UdpAsker(s.port)));
    const expected = (state: TargetState) => (state === 'up' ? '192.0.2.10,192.0.2.11' : '192.0.2.11');
    const delays: number[] = [];
    let state: TargetState = 'down';
    let queries = 0;
    for (let trial = 0; trial <= TRIALS; trial++) {
      state = state === 'up' ? 'down' : 'up';
      const want = expected(state);
      const t0 = performance.now();
      checker.publish({ targetId: target, checker: 'bench-checker', state, latencyMs: 1, load: undefined, reason: state, at: Date.now(), ttlMs: 600_000 });
      const seenAt = await Promise.all(
        askers.map(async (asker, i) => {
          for (;;) {
            const addresses = await asker.ask('www.example.test');
            queries++;
            if (addresses?.join(',') === want) return performance.now();
            if (performance.now() - t0 > PER_TRIAL_DEADLINE_MS) throw new Error(`trial ${trial}: ${servers[i]?.name} still answers ${addresses?.join(',')} after ${PER_TRIAL_DEADLINE_MS}ms`);
            await delay(POLL_EVERY_MS);
          }
        }),
      );
      // Trial 0 warms up connections and caches; it is not counted.
      if (trial > 0) delays.push(Math.max(...seenAt) - t0);
    }
    delays.sort((a, b) => a - b);
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(`propagation, verdict change -> both DNS servers answering accordingly (${delays.length} trials, ${queries} UDP queries):`);
    console.log(`  median ${fmt(percentile(delays, 50))}, p90 ${fmt(percentile(delays, 90))}, p99 ${fmt(percentile(delays, 99))}, min ${fmt(delays[0] ?? NaN)}, max ${fmt(delays.at(-1) ?? NaN)}`);
  } finally {
    for (const a of askers) a.close();
    await stopAllRondo();
    await checker.stop();
    await redis.stop();
  }
}

// ---------------------------------------------------------------------------------------------

/** One TCP listener per address (127.0.x.y, y 1-250), all on one port; each accepts and closes. */
async function startListeners(count: number): Promise<{ port: number; addresses: string[]; close(): Promise<void> }> {
  const addresses = Array.from({ length: count }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  const servers: net.Server[] = [];
  const close = async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  for (let attempt = 0; attempt < 10; attempt++) {
    let port = 0;
    try {
      for (const address of addresses) {
        const server = net.createServer((socket) => socket.end());
        server.listen(port, address);
        await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
        servers.push(server);
        if (port === 0) port = (server.address() as net.AddressInfo).port;
      }
      return { port, addresses, close };
    } catch {
      await close();
    }
  }
  throw new Error(`could not listen on one port at ${count} addresses`);
}

function commandStats(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

function cpuSeconds(text: string): number {
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}

async function load(dir: string): Promise<void> {
  const redis: RedisServer = await startRedisServer();
  const listeners = await startListeners(TARGETS);
  const zone = path.join(dir, 'load', 'example.test.zone');
  await mkdir(path.dirname(zone), { recursive: true });
  const lines = [...ZONE_HEAD, `;@check web tcp port=${listeners.port} interval=1s timeout=500ms rise=2 fall=2`];
  const perPool = 100;
  for (let p = 0; p * perPool < listeners.addresses.length; p++) {
    lines.push(`;@pool s${p} check=web answers=2`);
    for (const address of listeners.addresses.slice(p * perPool, (p + 1) * perPool)) lines.push(`s${p} 5 IN A ${address}`);
  }
  await writeFile(zone, `${lines.join('\n')}\n`);
  try {
    const admin = await redis.client();
    const servers = await startServers(zone, redis.url);
    const checkers = await Promise.all(
      ['chk-1', 'chk-2'].map((name) => startRondo(['check', '--zones', zone, '--node-id', name, '--redis', redis.url], { name })),
    );
    // Warm up: every target probed and written by both checkers (first writes are announced).
    const until = Date.now() + 20_000;
    for (;;) {
      const keys = await admin.dbsize();
      if (keys >= TARGETS + 4) break;
      if (Date.now() > until) throw new Error(`only ${keys} keys in Redis after 20 s`);
      await delay(200);
    }
    await delay(3000);
    await admin.config('RESETSTAT');
    const cpuBefore = cpuSeconds(await admin.info('cpu'));
    const t0 = performance.now();
    await delay(DURATION_S * 1000);
    const stats = commandStats(await admin.info('commandstats'));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(await admin.info('cpu')) - cpuBefore;
    const total = [...stats.values()].reduce((a, b) => a + b, 0);
    const inScript = ['hset', 'pttl', 'pexpire'].reduce((a, c) => a + (stats.get(c) ?? 0), 0);
    const rate = (n: number) => `${(n / seconds).toFixed(0)}/s`;
    console.log(`redis load: ${TARGETS} targets x 2 checkers (rondo check) every 1 s, 2 DNS servers (rondo serve --no-checks), ${seconds.toFixed(1)} s:`);
    console.log(`  commands executed: ${rate(total)} (Redis's count, the verdict script's HSET/PTTL/PEXPIRE included)`);
    console.log(`  commands sent by clients: ${rate(total - inScript)}`);
    console.log(`  redis-server CPU: ${((cpu / seconds) * 100).toFixed(1)}% of one core`);
    for (const [name, calls] of [...stats].sort((a, b) => b[1] - a[1])) console.log(`    ${name.padEnd(12)} ${(calls / seconds).toFixed(1)}/s`);
    const alive = [...servers.map((s) => s.process), ...checkers].filter((p) => !p.running);
    if (alive.length > 0) throw new Error(`processes died: ${alive.map((p) => `${p.name}\n${p.logTail()}`).join('\n')}`);
  } finally {
    await stopAllRondo();
    await listeners.close();
    await redis.stop();
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-bench-cluster-'));
  try {
    if (PART === 'all' || PART === 'propagation') await propagation(dir);
    if (PART === 'all' || PART === 'load') await load(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAllRondo();
  process.exitCode = 1;
});
