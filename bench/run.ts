/**
 * The peer comparison (issue 6): Rondo against real authoritative servers and two Node
 * references, on loopback, one question (`www.bench.example.test. A`, four addresses).
 *
 * Every server is pinned to CPU 0 and every client to CPU 1 (taskset); the pinning of every
 * thread of every server is checked before each run and restored if a server moved its threads
 * (Knot does). Rounds are interleaved (round 1 runs every server, then round 2 ...), so a slow
 * moment of the machine falls on all of them alike; the table shows medians. Per server:
 * - saturation: dnsperf for BENCH_SECONDS, queries per second, and the server's own CPU time per
 *   answered query (utime + stime of its whole process tree from /proc, over the run);
 * - a fixed 20,000 qps for p50/p99 latency, from bench/load.ts (dnsperf 2.10 gives only a mean),
 *   in interleaved rounds as well; the table shows the median p50 and the median p99.
 * Ratios are to the plain node:dgram ceiling and to Knot from the same run.
 *
 * Run: npm run build && npm run bench [-- --only rondo,knot --rounds 3 --seconds 4]
 * Flags or environment: --rounds / BENCH_ROUNDS (5), --seconds / BENCH_SECONDS (3),
 * --latency-rounds / BENCH_LATENCY_ROUNDS (3), --latency-seconds / BENCH_LATENCY_SECONDS (3),
 * --rate / BENCH_RATE (20000), --only / BENCH_ONLY (names, comma separated), --clients /
 * BENCH_CLIENTS (dnsperf -c, 4), --outstanding / BENCH_OUTSTANDING (dnsperf -q, 500).
 * Bounded: about 5 minutes at the defaults; stops everything it started, also on Ctrl-C.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startBackends } from './lib/backends.js';
import { waitForAnswer } from './lib/dns-probe.js';
import { dnsperf } from './lib/dnsperf.js';
import { freeDnsPort } from './lib/rondo-process.js';
import { ensurePinned, killAllSync, pinSelf, stop, stopAll, treeCpuSeconds, versionOf, which, type Started } from './lib/proc.js';
import type { LoadResult } from './load.js';
import { bindPeer, gdnsdPeer, knotPeer, nsdPeer, pdnsPeer } from './peers/native.js';
import { ceilingPeer, naivePeer, rondoDnssecPeer, rondoPeer, rondoSitesPeer, rondoSkewPeer, rondoWorkersPeer } from './peers/node-servers.js';
import { MEMBERS, QNAME, type Peer } from './peers/types.js';

const execFileAsync = promisify(execFile);

const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const READY_DEADLINE_MS = 30_000;

interface Settings {
  readonly rounds: number;
  readonly seconds: number;
  readonly latencyRounds: number;
  readonly latencySeconds: number;
  readonly rate: number;
  readonly clients: number;
  readonly outstanding: number;
  readonly only: readonly string[] | undefined;
}

function settings(argv: readonly string[]): Settings {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, env: string, fallback: number): number => {
    const text = flag(name) ?? process.env[env];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} / ${env} must be a positive number (got "${text}")`);
    return n;
  };
  const only = flag('only') ?? process.env.BENCH_ONLY;
  return {
    rounds: Math.round(num('rounds', 'BENCH_ROUNDS', 5)),
    seconds: num('seconds', 'BENCH_SECONDS', 3),
    latencyRounds: Math.round(num('latency-rounds', 'BENCH_LATENCY_ROUNDS', 3)),
    latencySeconds: num('latency-seconds', 'BENCH_LATENCY_SECONDS', 3),
    rate: num('rate', 'BENCH_RATE', 20_000),
    clients: Math.round(num('clients', 'BENCH_CLIENTS', 4)),
    outstanding: Math.round(num('outstanding', 'BENCH_OUTSTANDING', 500)),
    only: only ? only.split(',').map((s) => s.trim()) : undefined,
  };
}

/** The peers in table order: the references first, then Rondo, then the native servers. */
const PEERS: readonly Peer[] = [ceilingPeer, rondoPeer, rondoSkewPeer, rondoWorkersPeer, rondoDnssecPeer, rondoSitesPeer, naivePeer, knotPeer, bindPeer, nsdPeer, gdnsdPeer, pdnsPeer];

interface Sample {
  readonly qps: number;
  readonly cpuUs: number;
  readonly lost: number;
}

interface Row {
  readonly peer: Peer;
  note: string;
  server?: Started;
  port?: number;
  samples: Sample[];
  latency: LoadResult[];
  repinned: number;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function latencyRun(port: number, s: Settings, root: string): Promise<LoadResult> {
  const { stdout } = await execFileAsync('taskset', ['-c', String(CLIENT_CPU), process.execPath, path.join(root, 'dist', 'bench', 'load.js')], {
    env: { ...process.env, TARGET: `127.0.0.1:${port}`, QNAME, RATE: String(s.rate), DURATION: String(s.latencySeconds), WARMUP: '0.5', JSON: '1' },
    timeout: (s.latencySeconds + 30) * 1000,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as LoadResult;
}

function machineLine(): string {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? '?';
  return `${cpu}, ${os.cpus().length} cores, Linux ${os.release()}, node ${process.version}, dnsperf ${versionOf('dnsperf', ['-h'], /^Version/).replace('Version ', '')}`;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
}

function table(rows: readonly Row[], s: Settings): string {
  const byName = new Map(rows.map((r) => [r.peer.name, r]));
  const q = (name: string): number => median(byName.get(name)?.samples.map((x) => x.qps) ?? []);
  const c = (name: string): number => median(byName.get(name)?.samples.map((x) => x.cpuUs) ?? []);
  const ceilingQps = q('dgram-ceiling');
  const ceilingCpu = c('dgram-ceiling');
  const knotQps = q('knot');
  const lines = [
    '| server | serves | qps | CPU/query µs | qps ÷ ceiling | CPU ÷ ceiling | qps ÷ Knot | p50 µs @20k | p99 µs @20k | notes |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of rows) {
    const qps = median(r.samples.map((x) => x.qps));
    const cpu = median(r.samples.map((x) => x.cpuUs));
    const lat = r.latency.length > 0 ? { p50Ms: median(r.latency.map((l) => l.p50Ms)), p99Ms: median(r.latency.map((l) => l.p99Ms)), timeouts: r.latency.reduce((a, l) => a + l.timeouts, 0) } : undefined;
    // dnsperf counts the queries still in flight when it stops as lost: only more than that is a loss.
    const lost = r.samples.reduce((a, x) => a + Math.max(0, x.lost - s.outstanding * 2), 0);
    const notes = [r.note, lost > 0 ? `${fmt(lost)} lost` : '', r.repinned > 0 ? `${r.repinned} threads re-pinned` : '', lat && lat.timeouts > 0 ? `${lat.timeouts} timeouts @20k` : '']
      .filter((n) => n !== '')
      .join('; ');
    lines.push(
      `| ${r.peer.name} | ${r.peer.serves} | ${fmt(qps)} | ${fmt(cpu, 2)} | ${fmt(qps / ceilingQps, 2)} | ${fmt(cpu / ceilingCpu, 2)} | ${fmt(qps / knotQps, 2)} | ${lat ? fmt(lat.p50Ms * 1000) : '–'} | ${lat ? fmt(lat.p99Ms * 1000) : '–'} | ${notes} |`,
    );
  }
  return lines.join('\n');
}

function verdicts(rows: readonly Row[]): string {
  const get = (name: string) => rows.find((r) => r.peer.name === name);
  const q = (name: string): number => median(get(name)?.samples.map((x) => x.qps) ?? []);
  const c = (name: string): number => median(get(name)?.samples.map((x) => x.cpuUs) ?? []);
  const out: string[] = [];
  const check = (label: string, value: number, ok: boolean, target: string): void => {
    if (Number.isFinite(value)) out.push(`${ok ? 'PASS' : 'MISS'}  ${label}: ${fmt(value, 3)} (target ${target})`);
  };
  const cpuRatio = c('rondo') / c('dgram-ceiling');
  check('Rondo CPU/query ÷ dgram ceiling', cpuRatio, cpuRatio <= 1.3, '≤ 1.3');
  const sitesRatio = c('rondo-sites') / c('dgram-ceiling');
  check('Rondo mapped pool (sites) CPU/query ÷ dgram ceiling', sitesRatio, sitesRatio <= 1.3, '≤ 1.3');
  const skewRatio = c('rondo-skew') / c('dgram-ceiling');
  check('Rondo skew=correct CPU/query ÷ dgram ceiling', skewRatio, skewRatio <= 1.3, '≤ 1.3');
  const naiveRatio = q('rondo') / q('dns2-naive');
  check('Rondo qps ÷ naive dns2', naiveRatio, naiveRatio >= 3.5, '≥ 3.5');
  const p99 = median(get('rondo')?.latency.map((l) => l.p99Ms) ?? []);
  check('Rondo p99 at 20k qps, ms', p99, p99 <= 0.05, '≤ 0.05');
  const signed = c('rondo-do') / c('rondo');
  check('Rondo DO=1 (signed) CPU/query ÷ DO=0', signed, signed <= 1.5, '≤ 1.5');
  const workers = q('rondo-w2') / q('rondo');
  check('Rondo --workers 2 qps ÷ 1 worker (both on one core)', workers, workers >= 0.95, '≥ 1 within noise (0.95)');
  return out.join('\n');
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('bench/run needs Linux (/proc, taskset)');
  if (os.cpus().length < 2) throw new Error('bench/run needs 2 CPUs: the servers run on CPU 0, the clients on CPU 1');
  for (const tool of ['taskset', 'dnsperf']) if (!which(tool)) throw new Error(`${tool} is not installed (apt-get install -y ${tool === 'taskset' ? 'util-linux' : 'dnsperf'})`);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (!existsSync(path.join(root, 'dist', 'cli', 'index.js'))) throw new Error('build first: npm run build');
  const s = settings(process.argv.slice(2));
  pinSelf(CLIENT_CPU);

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'rondo-bench-'));
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await stopAll();
    await rm(tmp, { recursive: true, force: true });
  };
  process.once('exit', killAllSync);
  const interrupted = (): void => {
    console.error('\ninterrupted: stopping the servers');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const started = Date.now();
  const backends = await startBackends(MEMBERS);
  try {
    const queryFile = path.join(tmp, 'queries.txt');
    await writeFile(queryFile, `${QNAME} A\n`);
    const peers = PEERS.filter((p) => !s.only || s.only.includes(p.name));
    const rows: Row[] = peers.map((peer) => ({ peer, note: peer.missing() ?? '', samples: [], latency: [], repinned: 0 }));
    console.error(`bench: ${peers.length} servers, ${s.rounds} rounds of ${s.seconds} s, then ${s.latencyRounds} rounds of ${s.latencySeconds} s at ${s.rate} qps`);

    for (const row of rows) {
      if (row.note !== '') continue;
      const dir = path.join(tmp, row.peer.name);
      await mkdir(dir, { recursive: true });
      const port = await freeDnsPort();
      try {
        row.server = await row.peer.start({ dir, port, cpu: SERVER_CPU, backendPort: backends.port, root });
        await waitForAnswer(port, QNAME, MEMBERS.length, READY_DEADLINE_MS);
        row.port = port;
        row.repinned += ensurePinned(row.server.pid, SERVER_CPU).moved.length;
        console.error(`bench: ${row.peer.name} ready on port ${port}`);
      } catch (err) {
        row.note = `did not start: ${(err as Error).message.split('\n')[0]} ${row.server?.output().trim().split('\n').slice(-2).join(' / ') ?? ''}`.trim();
        if (row.server) await stop(row.server);
        row.server = undefined;
      }
    }
    const live = rows.filter((r): r is Row & { server: Started; port: number } => r.server !== undefined && r.port !== undefined);
    const perf = (r: Row & { port: number }, seconds: number) =>
      dnsperf({ port: r.port, queryFile, seconds, cpu: CLIENT_CPU, clients: s.clients, outstanding: s.outstanding, dnssecOk: r.peer.dnssecOk });

    // Warm-up, unmeasured: JIT, caches, the fast path's first lookups.
    for (const r of live) await perf(r, 1);

    for (let round = 1; round <= s.rounds; round++) {
      for (const r of live) {
        r.repinned += ensurePinned(r.server.pid, SERVER_CPU).moved.length;
        const before = treeCpuSeconds(r.server.pid);
        const result = await perf(r, s.seconds);
        const cpu = treeCpuSeconds(r.server.pid) - before;
        r.samples.push({ qps: result.qps, cpuUs: result.completed > 0 ? (cpu / result.completed) * 1e6 : NaN, lost: result.lost });
      }
      console.error(`bench: round ${round}/${s.rounds} done (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    for (let round = 1; round <= s.latencyRounds; round++) {
      for (const r of live) {
        r.repinned += ensurePinned(r.server.pid, SERVER_CPU).moved.length;
        r.latency.push(await latencyRun(r.port, s, root));
      }
      console.error(`bench: latency round ${round}/${s.latencyRounds} done (${Math.round((Date.now() - started) / 1000)} s)`);
    }

    const versions = rows.filter((r) => r.peer.missing() === undefined).map((r) => `${r.peer.name}: ${r.peer.version()}`);
    console.log(`\nMachine: ${machineLine()}`);
    console.log(`Command: npm run bench -- ${process.argv.slice(2).join(' ')} (saturation: ${s.rounds} rounds × ${s.seconds} s of dnsperf -c ${s.clients} -q ${s.outstanding}; latency: ${s.latencyRounds} rounds × ${s.latencySeconds} s of bench/load.ts at ${s.rate} qps; medians)`);
    console.log(`Versions: ${versions.join('; ')}\n`);
    console.log(table(rows, s));
    console.log(`\n${verdicts(rows)}`);
    console.log(`\n(${Math.round((Date.now() - started) / 1000)} s)`);
  } finally {
    await backends.close();
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
