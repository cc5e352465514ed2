/**
 * Large zones, Rondo beside Knot (issue 14). Bounded, loopback only:
 *   npm run build && npm run bench:large-zones [-- --names 10000,100000] [--per-name 10] [--cli other/dist/cli/index.js] [--checked] [--checks] [--redis [--verdicts N]] [--floor] [--probe]
 *
 * For each size it generates one zone (N names × 10 A records, each name a `;@pool` with round
 * robin, plus SOA, NS and the NS's address) and
 * 1. starts Knot (knotd) and Rondo on it, one after the other, and measures the time from the
 *    spawn until the last name answers with all its addresses, and the RSS once serving (after
 *    a settling second, VmRSS of the whole process);
 * 2. under a steady 1,000 queries/s of random names, after a second of it, rewrites the zone file
 *    (the SOA serial and one pool changed) and sends SIGHUP at once, and reports the time from
 *    the rewrite until the new serial is served, the slowest answer and the unanswered queries
 *    (all of the load, until a second after the new serial). The rewrite happens under load, so
 *    whichever comes first, the file watch or the SIGHUP, reloads while queries are answered.
 * It prints a table and the bounds of the issue (load time ≤ 3× Knot's, RSS ≤ 6× Knot's, no
 * query unanswered, slowest answer < 50 ms), and exits 1 if one is missed.
 *
 * `--redis` starts a redis-server of its own and runs Rondo with `--redis` on it (with --checked, the
 * Redis reader then holds every target's quorums: the store's side of a load and a reload).
 *
 * `--probe` preloads bench/lib/turn-probe.ts into Rondo and adds a row: the query thread's longest
 * event-loop turns from the zone file's rewrite (the file watch may reload before the SIGHUP) to
 * the end of the reload window, with its own CPU time in them (Linux), which tells work on the
 * query thread apart from waiting for a CPU on a busy machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeDnsPort, RONDO_CLI, assertCliBuilt } from './lib/rondo-process.js';
import { which } from './lib/proc.js';
import { startRedisServer, type RedisServer } from './lib/redis-server.js';
import { Redis } from 'ioredis';
import { healthKeys } from '../health/keys.js';
import { encodeVerdictField } from '../health/codec.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const SIZES = arg('names', '10000,100000')
  .split(',')
  .map((s) => Number(s));
const PER_NAME = Number(arg('per-name', '10'));
/** Another build of the CLI to measure (e.g. main before this change). */
const CLI = arg('cli', RONDO_CLI);
const ORIGIN = 'big.example.test.';
const LOAD_DEADLINE_MS = 120_000;
const QPS = 1000;
const RELOAD_DEADLINE_MS = 60_000;
const PROBE = process.argv.includes('--probe');
/**
 * --checked: every pool has `check=web` (tcp port 80) and every member its own address, so the
 * zone has one probe target per record. Rondo runs with --no-checks (a million probes are not the
 * point); what is measured is the targets' way through a load and a reload.
 */
/**
 * --checks (implies --checked): the checks run, in Rondo's process as by default: every member on
 * its own loopback address (127.0.0.0/8), `tcp port=1` (refused at once), every 600 s, so a
 * million targets are probed ~1,700 a second, from a random offset in the interval.
 */
const RUN_CHECKS = process.argv.includes('--checks');
/**
 * --verdicts N (with --redis, implies --checked): before Rondo starts, Redis is filled with an `up`
 * verdict of N checkers for every target, so the DNS node reads a million targets' health at its
 * start and holds it through the reload; a row tells how long the reading took and the RSS after it.
 */
const VERDICT_CHECKERS = Number(arg('verdicts', '0'));
const CHECKED = RUN_CHECKS || VERDICT_CHECKERS > 0 || process.argv.includes('--checked');
/**
 * --floor: also times bench/lib/start-floor.ts, a Node process that binds UDP (bare), and one that
 * first compiles the zone in its own thread (compile): what any Node server pays before its own work.
 */
const FLOOR = process.argv.includes('--floor');
/** --redis: Rondo shares health through a redis-server the bench starts (see the header). */
const REDIS = process.argv.includes('--redis');
const START_FLOOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'start-floor.js');
const TURN_PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'turn-probe.js');

/** The k-th member's address of name n: shared by all names, or (--checked) its own. */
function memberAddress(n: number, k: number): string {
  if (!CHECKED) return `192.0.2.${(k % 250) + 1}`;
  const v = n * PER_NAME + k + 1;
  return `${RUN_CHECKS ? 127 : 10}.${v >>> 16}.${(v >>> 8) & 255}.${v & 255}`;
}

function zoneText(names: number, serial: number, changedPool: boolean): string {
  const lines = [`$ORIGIN ${ORIGIN}`, '$TTL 300', `@ IN SOA ns1 hostmaster ${serial} 7200 900 1209600 30`, '  IN NS ns1', 'ns1 IN A 192.0.2.53'];
  if (CHECKED) lines.push(RUN_CHECKS ? ';@check web tcp port=1 interval=600s' : ';@check web tcp port=80');
  for (let n = 0; n < names; n++) {
    const owner = `host${n}`;
    lines.push(`;@pool ${owner} policy=round-robin${CHECKED ? ' check=web' : ''}`);
    for (let k = 0; k < PER_NAME; k++) {
      const last = changedPool && n === 0 && k === PER_NAME - 1;
      lines.push(`${k === 0 ? owner : ''}\t20\tIN\tA\t${last ? '192.0.2.254' : memberAddress(n, k)}`);
    }
  }
  return lines.join('\n') + '\n';
}

// ---- a small UDP client: queries with ids, answers matched by id

function question(id: number, name: string, type: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  return Buffer.concat([
    Buffer.from([id >> 8, id & 0xff, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0, type >> 8, type & 0xff, 0, 1]),
  ]);
}

function ancount(msg: Buffer): number {
  return msg.length >= 12 ? msg.readUInt16BE(6) : 0;
}

class Client {
  readonly socket = dgram.createSocket('udp4');
  private readonly waiting = new Map<number, (msg: Buffer) => void>();
  private nextId = 1;
  constructor(private readonly port: number) {
    this.socket.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const w = this.waiting.get(id);
      if (w) {
        this.waiting.delete(id);
        w(msg);
      }
    });
  }
  async open(): Promise<void> {
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
  }
  ask(name: string, type: number, timeoutMs: number): Promise<Buffer | undefined> {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      this.socket.send(question(id, name, type), this.port, '127.0.0.1');
    });
  }
  close(): void {
    this.socket.close();
  }
}

/**
 * The reload's steady load: queries with ids, each answer's latency taken in the message handler.
 * No promise or timer per query: what the bench measures is the server, not its own event loop
 * (a promise and a 2 s timer for each of 1,000 queries a second were work on the same thread
 * that timed the answers).
 */
class LoadStream {
  readonly socket = dgram.createSocket('udp4');
  /** Send times of the queries not answered yet, by id. */
  private readonly pending = new Map<number, number>();
  readonly latencies: number[] = [];
  /** When each of `latencies` was answered (performance.now()). */
  readonly answeredAt: number[] = [];
  /** Answers without every address (a failure, as an unanswered query). */
  short = 0;
  sent = 0;
  private nextId = 1;
  constructor(private readonly port: number) {
    this.socket.on('message', (msg) => {
      const at = performance.now();
      if (msg.length < 12) return;
      const id = msg.readUInt16BE(0);
      const sentAt = this.pending.get(id);
      if (sentAt === undefined) return;
      this.pending.delete(id);
      if (ancount(msg) === PER_NAME) {
        this.latencies.push(at - sentAt);
        this.answeredAt.push(at);
      } else this.short++;
    });
  }
  async open(): Promise<void> {
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
  }
  send(name: string): void {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    this.sent++;
    this.pending.set(id, performance.now());
    this.socket.send(question(id, name, 1), this.port, '127.0.0.1');
  }
  /** Queries still waiting for an answer. */
  get unanswered(): number {
    return this.pending.size;
  }
  close(): void {
    this.socket.close();
  }
}

function rssMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used so far, all threads. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Started {
  child: ChildProcess;
  loadMs: number;
  /** CPU seconds used until the last name answered: less noisy than wall time on a shared machine. */
  cpuS: number;
  rssMb: number;
  peakMb: number;
  output: () => string;
}

/**
 * Spawns, then asks for the last name every 2 ms, without waiting for earlier asks, until one is
 * answered with every address: the load time is when that answer arrived (waiting out each ask's
 * timeout while the port was still closed rounded load times up to steps of ~55 ms).
 */
async function startAndTime(command: string, args: string[], port: number, lastName: string, env?: NodeJS.ProcessEnv): Promise<Started> {
  const client = new Client(port);
  await client.open();
  const t0 = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  let text = '';
  const keep = (c: Buffer) => {
    text = (text + c.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    let answeredAt: number | undefined;
    const asks: Promise<void>[] = [];
    while (answeredAt === undefined) {
      if (performance.now() - t0 > LOAD_DEADLINE_MS) throw new Error(`${command}: ${lastName} not answered within ${LOAD_DEADLINE_MS} ms\n${text}`);
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}\n${text}`);
      asks.push(
        client.ask(lastName, 1, 200).then((reply) => {
          if (reply && ancount(reply) === PER_NAME) answeredAt ??= performance.now();
        }),
      );
      await sleep(2);
    }
    await Promise.all(asks);
    const loadMs = answeredAt - t0;
    const cpuS = cpuSeconds(child.pid ?? 0);
    await sleep(2000); // settle: the zone worker ends, the heap shrinks
    const { rss, hwm } = rssMb(child.pid ?? 0);
    return { child, loadMs, cpuS, rssMb: rss, peakMb: hwm, output: () => text };
  } finally {
    client.close();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function knot(dir: string, zoneFile: string, port: number, lastName: string): Promise<Started> {
  const conf = path.join(dir, 'knot.conf');
  writeFileSync(
    conf,
    [
      'server:',
      `    listen: 127.0.0.1@${port}`,
      `    rundir: ${dir}`,
      `    pidfile: ${dir}/knot.pid`,
      '    udp-workers: 1',
      '    tcp-workers: 1',
      '    background-workers: 1',
      'database:',
      `    storage: ${dir}`,
      'log:',
      '  - target: stderr',
      '    any: warning',
      'template:',
      '  - id: default',
      `    storage: ${dir}`,
      '    zonefile-sync: -1',
      '    journal-content: none',
      'zone:',
      `  - domain: ${ORIGIN.slice(0, -1)}`,
      `    file: ${zoneFile}`,
      '',
    ].join('\n'),
  );
  return startAndTime('knotd', ['-c', conf], port, lastName);
}

interface ReloadResult {
  reloadMs: number;
  sent: number;
  unanswered: number;
  slowestMs: number;
  p99Ms: number;
  /** p99 of the answers while the new version compiled, and of those after its serial answered. */
  p99CompilingMs: number;
  p99AfterMs: number;
}

/**
 * Steady QPS of random names; after a second, `rewrite()` (the zone file) and SIGHUP at once;
 * until a second after the new serial answers. `reloadMs` counts from the rewrite.
 */
async function reloadUnderLoad(child: ChildProcess, port: number, names: number, newSerial: number, rewrite: () => Promise<void>): Promise<ReloadResult> {
  const client = new LoadStream(port);
  await client.open();
  let stop = false;
  const perTick = QPS / 100;
  const load = (async () => {
    const start = performance.now();
    let tick = 0;
    while (!stop) {
      for (let i = 0; i < perTick; i++) client.send(`host${Math.floor(Math.random() * names)}.${ORIGIN}`);
      tick++;
      const due = start + tick * 10;
      await sleep(Math.max(0, due - performance.now()));
    }
  })();
  await sleep(1000);
  const rewritten = performance.now();
  await rewrite();
  child.kill('SIGHUP');
  let reloadMs = -1;
  let servedAt = Number.POSITIVE_INFINITY;
  const soa = new Client(port);
  await soa.open();
  while (performance.now() - rewritten < RELOAD_DEADLINE_MS) {
    const reply = await soa.ask(ORIGIN, 6, 200);
    if (reply && reply.includes(serialBytes(newSerial))) {
      servedAt = performance.now();
      reloadMs = servedAt - rewritten;
      break;
    }
    await sleep(10);
  }
  soa.close();
  await sleep(1000);
  stop = true;
  await load;
  await sleep(2000); // the last queries' time to answer (a query unanswered after 2 s counts as lost)
  client.close();
  // Answered while the new version compiled (the rewrite until its serial answers), and after.
  const during = client.latencies.filter((_, i) => (client.answeredAt[i] ?? 0) >= rewritten && (client.answeredAt[i] ?? 0) < servedAt);
  const after = client.latencies.filter((_, i) => (client.answeredAt[i] ?? 0) >= servedAt);
  const latencies = client.latencies.sort((a, b) => a - b);
  return {
    p99CompilingMs: percentile99(during),
    p99AfterMs: percentile99(after),
    reloadMs,
    sent: client.sent,
    unanswered: client.unanswered + client.short,
    slowestMs: latencies[latencies.length - 1] ?? NaN,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
  };
}

function percentile99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.99)] ?? NaN;
}

function serialBytes(serial: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(serial);
  return b;
}

/** With --verdicts: the DNS node's first reading of every verdict. */
interface WarmStart {
  seconds: number;
  rssMb: number;
  turns: { count: number; longestWallMs: number } | undefined;
}

/** Writes an `up` verdict of `checkers` checkers for every target of the zone (as their writers store them, without `rt`). */
async function fillVerdicts(url: string, names: number, checkers: number): Promise<void> {
  const client = new Redis(url);
  const keys = healthKeys();
  try {
    let pipe = client.pipeline();
    for (let n = 0; n < names; n++) {
      for (let k = 0; k < PER_NAME; k++) {
        const key = keys.verdictKey(`${ORIGIN}/web/${memberAddress(n, k)}/80`);
        const fields: string[] = [];
        for (let c = 0; c < checkers; c++) fields.push(`checker-${c}`, encodeVerdictField({ targetId: '', checker: '', state: 'up', latencyMs: 1, load: undefined, reason: 'tcp connect ok', at: Date.now(), ttlMs: 3_600_000 }));
        pipe.hset(key, ...fields).pexpire(key, 3_600_000);
      }
      if (n % 500 === 499) {
        await pipe.exec();
        pipe = client.pipeline();
      }
    }
    await pipe.exec();
  } finally {
    client.disconnect();
  }
}

/** Waits for Rondo's "health read from Redis" line (its first full read): when it came, and the RSS then. */
async function untilRead(pid: number, output: () => string, since: number, probeFile: string): Promise<WarmStart> {
  const deadline = performance.now() + 600_000;
  while (!output().includes('health read from Redis') && performance.now() < deadline) await sleep(200);
  const seconds = (performance.now() - since) / 1000;
  const walls = probeLines(probeFile)
    ?.map((l) => l.wallMs)
    .filter((w): w is number => w !== undefined);
  return { seconds, rssMb: rssMb(pid).rss, turns: walls ? { count: walls.length, longestWallMs: Math.max(0, ...walls) } : undefined };
}

interface Row {
  names: number;
  records: number;
  knot: Started;
  rondo: Started;
  reload: ReloadResult;
  /** With --probe: the query thread's longest turns from the rewrite of the zone file on. */
  turns?: TurnSummary;
  /** With --floor: Node binding UDP, and Node compiling the zone then binding. */
  floor?: { bare: Started; compile: Started };
  warm?: WarmStart;
}

interface TurnSummary {
  longestWallMs: number;
  /** The query thread's own CPU time in its longest turn by CPU (undefined off Linux). */
  longestCpuMs: number | undefined;
  /** Turns with 10 ms or more of the query thread's own CPU. */
  cpuHeavy: number;
}

/** The bench's line in the probe's file: the lines after it are the reload window's. */
const WINDOW_MARK = JSON.stringify({ window: true });

/** The turn probe's lines so far (bench/lib/turn-probe.ts), undefined when it wrote none. */
function probeLines(file: string): { window?: boolean; wallMs?: number; cpuMs?: number }[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { window?: boolean; wallMs?: number; cpuMs?: number });
}

/** Reads the turn probe's lines after the window mark. */
function turnsInWindow(file: string): TurnSummary | undefined {
  const lines = probeLines(file);
  if (!lines) return undefined;
  const mark = lines.findIndex((l) => l.window === true);
  if (mark < 0) return undefined;
  const after = lines.slice(mark + 1).filter((l) => l.wallMs !== undefined);
  const cpus = after.map((l) => l.cpuMs).filter((c): c is number => c !== undefined);
  return {
    longestWallMs: Math.max(0, ...after.map((l) => l.wallMs ?? 0)),
    longestCpuMs: cpus.length > 0 || after.length === 0 ? Math.max(0, ...cpus) : undefined,
    cpuHeavy: cpus.filter((c) => c >= 10).length,
  };
}

async function measure(names: number): Promise<Row> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rondo-large-'));
  const zoneFile = path.join(dir, 'big.example.test.zone');
  writeFileSync(zoneFile, zoneText(names, 1, false));
  const lastName = `host${names - 1}.${ORIGIN}`;
  try {
    const kport = await freeDnsPort();
    const k = await knot(dir, zoneFile, kport, lastName);
    await stopChild(k.child);
    let floor: Row['floor'];
    if (FLOOR) {
      const run = async (mode: string): Promise<Started> => {
        const port = await freeDnsPort();
        const started = await startAndTime(process.execPath, [START_FLOOR, mode, zoneFile, String(port), String(PER_NAME)], port, lastName);
        await stopChild(started.child);
        return started;
      };
      floor = { bare: await run('bare'), compile: await run('compile') };
    }
    const rport = await freeDnsPort();
    const redis: RedisServer | undefined = REDIS ? await startRedisServer() : undefined;
    if (redis && VERDICT_CHECKERS > 0) await fillVerdicts(redis.url, names, VERDICT_CHECKERS);
    const spawned = performance.now();
    const probeFile = path.join(dir, 'turns.jsonl');
    const env = PROBE ? { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${TURN_PROBE}`.trim(), RONDO_TURN_PROBE_FILE: probeFile } : undefined;
    const r = await startAndTime(process.execPath, [CLI, 'serve', '--zones', zoneFile, '--listen', `127.0.0.1:${rport}`, '--log-level', VERDICT_CHECKERS > 0 ? 'info' : 'warn', ...(CHECKED && !RUN_CHECKS ? ['--no-checks'] : []), ...(redis ? ['--redis', redis.url] : [])], rport, lastName, env).catch(async (err: unknown) => {
      await redis?.stop();
      throw err;
    });
    try {
      const warm = VERDICT_CHECKERS > 0 ? await untilRead(r.child.pid ?? 0, r.output, spawned, probeFile) : undefined;
      // Encoded before the load starts, written without blocking it (the answers' latencies are
      // measured on this thread).
      const next = Buffer.from(zoneText(names, 2, true));
      const reload = await reloadUnderLoad(r.child, rport, names, 2, async () => {
        if (PROBE) appendFileSync(probeFile, WINDOW_MARK + '\n');
        await writeFile(zoneFile, next);
      });
      const turns = PROBE ? turnsInWindow(probeFile) : undefined;
      return { names, records: names * PER_NAME + 3, knot: k, rondo: r, reload, ...(turns ? { turns } : {}), ...(floor ? { floor } : {}), ...(warm ? { warm } : {}) };
    } finally {
      await stopChild(r.child);
      await redis?.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

assertCliBuilt();
if (VERDICT_CHECKERS > 0 && !REDIS) {
  console.error('--verdicts needs --redis');
  process.exit(2);
}
if (!which('knotd')) {
  console.error('knotd not installed (apt-get install -y knot)');
  process.exit(2);
}
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
console.log(`node ${process.version}; ${PER_NAME} A per name, each name a ;@pool (round robin${CHECKED ? `, check=web, each member its own target; ${RUN_CHECKS ? 'checks running (tcp to 127.x port 1, every 600 s)' : 'rondo --no-checks'}` : ''}${REDIS ? '; rondo --redis' : ''}); reload under ${QPS} queries/s`);
let failed = false;
const fmt = (n: number, d = 2) => n.toFixed(d);
for (const names of SIZES) {
  const row = await measure(names);
  const loadRatio = row.rondo.loadMs / row.knot.loadMs;
  const rssRatio = row.rondo.rssMb / row.knot.rssMb;
  const ok = {
    load: loadRatio <= 3,
    rss: rssRatio <= 6,
    answered: row.reload.unanswered === 0 && row.reload.reloadMs >= 0,
    slowest: row.reload.slowestMs < 50,
  };
  failed ||= !ok.load || !ok.rss || !ok.answered || !ok.slowest;
  const mark = (b: boolean) => (b ? 'ok' : 'MISSED');
  console.log(`\n${row.names.toLocaleString('en')} names, ${row.records.toLocaleString('en')} records`);
  console.log(`| | Knot | Rondo | ratio | bound |`);
  console.log(`|---|---|---|---|---|`);
  console.log(`| start until the last name answers | ${fmt(row.knot.loadMs / 1000)} s | ${fmt(row.rondo.loadMs / 1000)} s | ${fmt(loadRatio, 1)}× | ≤ 3× ${mark(ok.load)} |`);
  console.log(`| CPU used until then | ${fmt(row.knot.cpuS)} s | ${fmt(row.rondo.cpuS)} s | ${fmt(row.rondo.cpuS / row.knot.cpuS, 1)}× | |`);
  console.log(`| RSS once serving (peak) | ${fmt(row.knot.rssMb, 0)} MB (${fmt(row.knot.peakMb, 0)}) | ${fmt(row.rondo.rssMb, 0)} MB (${fmt(row.rondo.peakMb, 0)}) | ${fmt(rssRatio, 1)}× | ≤ 6× ${mark(ok.rss)} |`);
  console.log(
    `| SIGHUP reload (serial + one pool changed) under ${QPS} q/s | | new serial after ${fmt(row.reload.reloadMs / 1000)} s; ${row.reload.sent} queries, ${row.reload.unanswered} unanswered; slowest ${fmt(row.reload.slowestMs, 1)} ms, p99 ${fmt(row.reload.p99Ms, 1)} ms (while compiling ${fmt(row.reload.p99CompilingMs, 1)}, after ${fmt(row.reload.p99AfterMs, 1)}) | | none unanswered ${mark(ok.answered)}, < 50 ms ${mark(ok.slowest)} |`,
  );
  if (row.floor) {
    for (const [what, s] of [
      ['Node alone binding UDP (--floor)', row.floor.bare],
      ['Node compiling the zone in one thread, then UDP (--floor)', row.floor.compile],
    ] as const) {
      console.log(`| ${what} | ${fmt(row.knot.loadMs / 1000)} s | ${fmt(s.loadMs / 1000)} s | ${fmt(s.loadMs / row.knot.loadMs, 1)}× | |`);
    }
  }
  if (row.warm) {
    const w = row.warm;
    const turns = w.turns ? `; ${w.turns.count} turns over 8 ms, longest ${fmt(w.turns.longestWallMs, 0)} ms (--probe)` : '';
    console.log(`| health read from Redis at start (--verdicts ${VERDICT_CHECKERS}) | | every verdict read ${fmt(w.seconds, 1)} s after the spawn; RSS then ${fmt(w.rssMb, 0)} MB${turns} | | |`);
  }
  if (row.turns) {
    const cpu = row.turns.longestCpuMs === undefined ? 'CPU time unknown' : `longest by CPU ${fmt(row.turns.longestCpuMs, 1)} ms of its own CPU; ${row.turns.cpuHeavy} turns with ≥ 10 ms of CPU`;
    console.log(`| query thread from the zone rewrite to the end (--probe) | | longest turn ${fmt(row.turns.longestWallMs, 1)} ms; ${cpu} | | |`);
  }
}
process.exitCode = failed ? 1 : 0;
