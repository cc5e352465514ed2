/**
 * Shared health at scale (issue 15), on loopback: TARGETS targets (default 10,000) checked every
 * 2 s (tcp, timeout 1 s, rise/fall 2) by three real `rondo check` processes, read by four
 * `rondo serve --no-checks`, through one redis-server (or, with REDIS=cluster, a Redis Cluster of
 * three primaries and three replicas). The targets are one TCP listener per address 127.0.x.y in
 * this process.
 *
 * After a warm-up (every target decided by every checker), for DURATION_S seconds (default 30):
 * - Redis commands/s (INFO commandstats, script-internal calls included, and commands as sent)
 *   and Redis CPU (used_cpu_sys + used_cpu_user) as a share of one core;
 * - propagation: a flip of one extra target's verdict (only in the DNS servers' zones, written by
 *   this process as a fourth checker so the moment is known) until all four servers answer
 *   accordingly, polled over UDP about every millisecond: p50/p99 over the trials;
 * - every process's RSS and event-loop delay (how late a 10 ms timer fires; bench/lib/loop-probe.ts
 *   preloaded), p50/p99/max over the window, and the same for an idle node process (`idle`): the
 *   delay the machine itself adds (CPU contention from every process here and any other work),
 *   the floor under the DNS servers' figures.
 * Targets (printed with PASS/FAIL): propagation p99 ≤ 100 ms, Redis ≤ 25% of one core, no DNS
 * server's event-loop delay p99 above 10 ms.
 *
 *   npm run build && npm run bench:cluster-scale
 *   TARGETS, DURATION_S, TRIALS, REDIS=single|cluster, CHECKS=real|simulated to change it (simulated:
 *   three bench/lib/verdict-writer.js processes publish the same verdict stream through the same
 *   RedisHealthStore with no probing, to measure the shared-health path where 15,000 TCP probes/s
 *   would saturate the machine). Bounded: gives up after 10 min.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { RedisHealthStore } from '../health/redis-store.js';
import type { TargetState } from '../model/health.js';
import { silentLogger } from '../lib/logger.js';
import { startRedisServer, type RedisServer } from './lib/redis-server.js';
import { startRedisCluster, type RedisCluster } from './lib/redis-cluster.js';
import { freeDnsPort, startRondo, stopAllRondo, type RondoProcess } from './lib/rondo-process.js';
import { percentile, UdpAsker } from './lib/udp-asker.js';

const TARGETS = Number(process.env.TARGETS ?? 10_000);
const DURATION_S = Number(process.env.DURATION_S ?? 30);
const TRIALS = Number(process.env.TRIALS ?? 60);
const MODE = process.env.REDIS === 'cluster' ? 'cluster' : 'single';
/** `real`: `rondo check` processes probing TCP listeners; `simulated`: bench/lib/verdict-writer.js (no probes). */
const CHECKS = process.env.CHECKS === 'simulated' ? 'simulated' : 'real';
const CHECKERS = 3;
const SERVERS = 4;
const PER_POOL = 10;
const PER_TRIAL_DEADLINE_MS = 5000;
const BENCH_DEADLINE_MS = 10 * 60_000;
const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'loop-probe.js');
const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'verdict-writer.js');

const ZONE_HEAD = ['$TTL 300', '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30', '     IN NS  ns1', 'ns1  IN A   192.0.2.53'];
const FLIP_TARGET = 'flip.test./flip/192.0.2.10/9';
/** The idle control process: logs the ready line `startRondo` waits for, then only keeps its loop alive. */
const IDLE_PROCESS = "process.stdout.write('checking nothing (idle control)\\n'); setInterval(() => undefined, 1 << 30);";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One TCP listener per address (127.0.x.y), all on one port; each accepts and closes. */
async function startListeners(count: number): Promise<{ port: number; addresses: string[]; close(): Promise<void> }> {
  const addresses = Array.from({ length: count }, (_, i) => `127.${1 + Math.floor(i / 62_500)}.${1 + Math.floor((i % 62_500) / 250)}.${1 + (i % 250)}`);
  const servers: net.Server[] = [];
  const close = async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  for (let attempt = 0; attempt < 10; attempt++) {
    let port = 0;
    try {
      for (const address of addresses) {
        const server = net.createServer((socket) => {
          socket.on('error', () => undefined);
          socket.end();
        });
        server.listen({ port, host: address, backlog: 64 });
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

function infoField(text: string, name: string): number {
  return Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
}

function commandStats(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** Redis's CPU seconds and command counts, summed over the given nodes. */
async function redisCounters(clients: readonly Redis[]): Promise<{ cpu: number; calls: Map<string, number> }> {
  let cpu = 0;
  const calls = new Map<string, number>();
  for (const c of clients) {
    const [cpuText, statsText] = await Promise.all([c.info('cpu'), c.info('commandstats')]);
    cpu += infoField(cpuText, 'used_cpu_sys') + infoField(cpuText, 'used_cpu_user');
    for (const [name, n] of commandStats(statsText)) calls.set(name, (calls.get(name) ?? 0) + n);
  }
  return { cpu, calls };
}

interface ProbeReport {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly rss: number;
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`cluster-scale: gave up after ${BENCH_DEADLINE_MS / 1000} s`);
    process.exit(2);
  }, BENCH_DEADLINE_MS);
  deadline.unref();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-cluster-scale-'));
  let redis: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  let flipper: RedisHealthStore | undefined;
  const askers: UdpAsker[] = [];
  const listeners =
    CHECKS === 'real'
      ? await startListeners(TARGETS)
      : { port: 7, addresses: Array.from({ length: TARGETS }, (_, i) => `10.${Math.floor(i / 62_500)}.${Math.floor((i % 62_500) / 250)}.${1 + (i % 250)}`), close: async () => undefined };
  try {
    if (MODE === 'cluster') cluster = await startRedisCluster();
    else redis = await startRedisServer();
    const redisArgs = cluster ? ['--redis-cluster', cluster.flag] : ['--redis', redis!.url];
    const connection = cluster ? { cluster: cluster.addresses } : { url: redis!.url };
    const redisNodes: Redis[] = cluster ? await Promise.all(cluster.nodes.map((n) => n.client())) : [await redis!.client()];

    // Zones: the checkers' (every target) and the servers' (the same, plus the flip target).
    const checked = path.join(dir, 'checked');
    const served = path.join(dir, 'served');
    await mkdir(checked);
    await mkdir(served);
    const lines = ['$ORIGIN example.test.', ...ZONE_HEAD, `;@check web tcp port=${listeners.port} interval=2s timeout=1s rise=2 fall=2`];
    for (let p = 0; p * PER_POOL < TARGETS; p++) {
      lines.push(`;@pool p${p} check=web`);
      for (const address of listeners.addresses.slice(p * PER_POOL, (p + 1) * PER_POOL)) lines.push(`p${p} 5 IN A ${address}`);
    }
    const zoneText = lines.join('\n') + '\n';
    await writeFile(path.join(checked, 'example.test.zone'), zoneText);
    await writeFile(path.join(served, 'example.test.zone'), zoneText);
    await writeFile(
      path.join(served, 'flip.test.zone'),
      ['$ORIGIN flip.test.', ...ZONE_HEAD, ';@check flip tcp port=9 interval=60s timeout=1s', ';@pool www check=flip', 'www 5 IN A 192.0.2.10', 'www 5 IN A 192.0.2.11', ''].join('\n'),
    );

    const probeFile = (name: string) => path.join(dir, `${name}.loop.json`);
    const probed = (name: string) => ({ name, deadlineMs: 90_000, env: process.env.NO_PROBE ? {} : { NODE_OPTIONS: `--import=${PROBE}`, RONDO_LOOP_PROBE_FILE: probeFile(name) } });
    const servers: { name: string; port: number; process: RondoProcess }[] = [];
    const checkers: { name: string; process: RondoProcess }[] = [];
    const t0 = performance.now();
    // The servers first (they load the zones and an empty Redis), then the checkers.
    await Promise.all([
      ...Array.from({ length: SERVERS }, async (_, i) => {
        const name = `dns-${i + 1}`;
        const port = await freeDnsPort();
        const proc = await startRondo(['serve', '--zones', served, '--listen', `127.0.0.1:${port}`, '--no-checks', '--node-id', name, ...redisArgs], probed(name));
        servers.push({ name, port, process: proc });
      }),
    ]);
    await Promise.all([
      ...Array.from({ length: CHECKERS }, async (_, i) => {
        const name = `chk-${i + 1}`;
        if (CHECKS === 'real') {
          checkers.push({ name, process: await startRondo(['check', '--zones', checked, '--node-id', name, ...redisArgs], probed(name)) });
          return;
        }
        const targetsFile = path.join(dir, 'targets.json');
        if (!existsSync(targetsFile)) await writeFile(targetsFile, JSON.stringify(listeners.addresses.map((a) => `example.test./web/${a}/${listeners.port}`)));
        const args = [WRITER, name, targetsFile, '2000', ...redisArgs];
        checkers.push({ name, process: await startRondo(['check'], { ...probed(name), command: args }) });
      }),
    ]);
    servers.sort((a, b) => a.name.localeCompare(b.name));
    checkers.sort((a, b) => a.name.localeCompare(b.name));
    // The control: a node process that does nothing but carry the loop probe.
    const idle = { name: 'idle', process: await startRondo(['check'], { ...probed('idle'), command: ['-e', IDLE_PROCESS] }) };
    console.log(`cluster-scale: ${TARGETS} targets, ${CHECKERS} checkers (${CHECKS}) every 2 s, ${SERVERS} DNS servers, Redis ${MODE}; processes up in ${Math.round(performance.now() - t0)} ms`);

    // Warm-up: every checker has decided every target (rise 2: two probes, ~4 s), and one more round.
    const verdictKeyPattern = cluster ? '{rondo}:v:*' : 'rondo:v:*';
    for (let i = 0; ; i++) {
      const sample = redisNodes[0]!;
      const sizes = await Promise.all(redisNodes.map((c) => c.dbsize().catch(() => 0)));
      const keys = sizes.reduce((a, b) => a + b, 0);
      const [, some] = await sample.scan('0', 'MATCH', verdictKeyPattern, 'COUNT', 100);
      const fields = some.length > 0 ? await sample.hlen(some[0]!) : 0;
      if (keys >= TARGETS && fields >= CHECKERS) break;
      if (i > 600) throw new Error(`warm-up: only ${keys} keys after 60 s`);
      await delay(100);
    }
    await delay(4000);

    flipper = new RedisHealthStore({ connection, role: 'checker', nodeId: 'bench-flipper', logger: silentLogger(), heartbeatIntervalMs: 0 });
    await flipper.start();
    askers.push(...servers.map((s) => new UdpAsker(s.port)));
    // Every server answers the flip name before the window starts.
    for (const [i, asker] of askers.entries()) {
      for (let attempt = 0; ; attempt++) {
        if ((await asker.ask('www.flip.test', 1000)) !== undefined) break;
        if (attempt > 30) throw new Error(`${servers[i]?.name} does not answer www.flip.test\n${servers[i]?.process.logTail(20)}`);
      }
    }

    // The window starts: reset the loop probes and read Redis's counters.
    for (const p of [...servers, ...checkers, idle]) await writeFile(`${probeFile(p.name)}.reset`, '');
    await delay(1100); // every probe has reset
    const before = await redisCounters(redisNodes);
    const windowStart = performance.now();

    const delays: number[] = [];
    let state: TargetState = 'down';
    let queries = 0;
    const expected = (s: TargetState) => (s === 'up' ? '192.0.2.10,192.0.2.11' : '192.0.2.11');
    const gap = Math.max(100, (DURATION_S * 1000) / (TRIALS + 1));
    for (let trial = 0; trial <= TRIALS && performance.now() - windowStart < DURATION_S * 1000; trial++) {
      state = state === 'up' ? 'down' : 'up';
      const want = expected(state);
      const start = performance.now();
      flipper.publish({ targetId: FLIP_TARGET, checker: 'bench-flipper', state, latencyMs: 1, load: undefined, reason: state, at: Date.now(), ttlMs: 600_000 });
      const seenAt = await Promise.all(
        askers.map(async (asker, i) => {
          for (;;) {
            const addresses = await asker.ask('www.flip.test', 1000);
            queries++;
            if (addresses?.join(',') === want) return performance.now();
            if (performance.now() - start > PER_TRIAL_DEADLINE_MS) throw new Error(`trial ${trial}: ${servers[i]?.name} still answers ${addresses?.join(',')} after ${PER_TRIAL_DEADLINE_MS} ms`);
            await delay(1);
          }
        }),
      );
      if (trial > 0) delays.push(Math.max(...seenAt) - start); // trial 0 warms up
      await delay(Math.max(0, gap - (performance.now() - start)));
    }
    const remaining = DURATION_S * 1000 - (performance.now() - windowStart);
    if (remaining > 0) await delay(remaining);
    const after = await redisCounters(redisNodes);
    const seconds = (performance.now() - windowStart) / 1000;
    await delay(1100); // the probes write their window once more

    const callsPerS = new Map<string, number>();
    for (const [name, n] of after.calls) callsPerS.set(name, (n - (before.calls.get(name) ?? 0)) / seconds);
    const total = [...callsPerS.values()].reduce((a, b) => a + b, 0);
    const inScript = (callsPerS.get('hset') ?? 0) + (callsPerS.get('pttl') ?? 0) + (callsPerS.get('pexpire') ?? 0) + (callsPerS.get('time') ?? 0);
    const redisCpu = (after.cpu - before.cpu) / seconds;
    delays.sort((a, b) => a - b);
    const p50 = percentile(delays, 50);
    const p99 = percentile(delays, 99);

    const reports = new Map<string, ProbeReport>();
    for (const p of [...servers, ...checkers, idle]) {
      const file = probeFile(p.name);
      if (existsSync(file)) reports.set(p.name, JSON.parse(await readFile(file, 'utf8')) as ProbeReport);
    }
    const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    console.log(`window ${seconds.toFixed(1)} s`);
    console.log(`redis: ${Math.round(total)} commands/s executed (${Math.round(total - inScript)}/s sent, ${Math.round(inScript)}/s inside scripts); top: ${[...callsPerS].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, v]) => `${n} ${Math.round(v)}`).join(', ')}`);
    console.log(`redis CPU: ${(redisCpu * 100).toFixed(1)}% of one core${cluster ? ' (all six nodes)' : ''}  [target ≤ 25%: ${pass(redisCpu <= 0.25)}]`);
    console.log(`propagation, verdict change -> all ${SERVERS} servers answering accordingly (${delays.length} trials, ${queries} queries): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(delays.at(-1) ?? NaN).toFixed(1)} ms  [target p99 ≤ 100 ms: ${pass(p99 <= 100)}]`);
    let worstDns = 0;
    for (const p of [...servers, ...checkers, idle]) {
      const r = reports.get(p.name);
      if (!r) {
        console.log(`  ${p.name}: no loop probe report`);
        continue;
      }
      if (p.name.startsWith('dns')) worstDns = Math.max(worstDns, r.p99);
      console.log(`  ${p.name.padEnd(6)} RSS ${(r.rss / 1048576).toFixed(0).padStart(4)} MB   event-loop delay p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`);
    }
    const floor = reports.get('idle');
    const floorText = floor ? ` (the idle control process: p99 ${floor.p99.toFixed(1)} ms, the machine's floor)` : '';
    console.log(`DNS servers' worst event-loop delay p99: ${worstDns.toFixed(1)} ms${floorText}  [target ≤ 10 ms: ${pass(worstDns <= 10)}]`);
  } finally {
    for (const a of askers) a.close();
    await flipper?.stop();
    await stopAllRondo();
    await listeners.close();
    await redis?.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
