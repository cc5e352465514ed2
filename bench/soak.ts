/**
 * The soak test (issue 7; not part of `npm test`). Runs two `rondo serve --no-checks` DNS
 * servers, two `rondo check` checkers, a redis-server and four HTTP backends on 127.0.0.61-64,
 * under steady dnsperf load (plus this script's own answer checker), while a chaos loop, one
 * fault at a time, kills and restarts a backend, flaps one, kills and restarts a checker, kills
 * and restarts Redis (empty), and pauses Redis (SIGSTOP). Faults are spaced so that each one's
 * effect settles before the next (a backend death during a Redis outage would be invisible by
 * design: servers keep their last view).
 *
 * At the end it prints queries sent, answered, SERVFAIL and timeouts (dnsperf and the checker;
 * timeouts split into those sent during a Redis fault or its settling and the rest), the answers
 * that named a backend dead for longer than its detection window, and the memory of each DNS
 * server: RSS after warm-up (20% into the run), at its peak and at the end, and the retained heap
 * (V8 heap used + external, lowest sample of a window, from the server's /metrics) just after the
 * warm-up and at the end. It exits 1 unless: no process crashed, no SERVFAIL, no timeout during a
 * Redis fault, at most 0.1% timeouts at other times (a loaded host drops a few datagrams), no
 * answer with a long-dead backend, and memory flat: the retained heap within 15% or 4 MB of its
 * warm-up figure (see soak/memory.ts for why not RSS: V8 grows and keeps heap pages for minutes
 * with nothing retained), and RSS not past twice its warm-up figure (a native leak).
 *
 * Run: npm run build && npm run soak -- --seconds 120     (default 600 s; or SOAK_SECONDS=120)
 * Options: --seconds N, --qps N (dnsperf rate per server, default 500; the point is steady load on a
 * shared 2-core host, not throughput: bench/ measures that), --chaos LIST (which faults the chaos
 * loop injects, comma-separated from backend-kill, checker-kill, redis-kill, redis-pause,
 * backend-flap; `none` for steady load alone; default all: use it to tell a leak's cause apart),
 * --heap-snapshots DIR (the servers write a V8 heap snapshot there at warm-up, half-way and at the
 * end, on SIGUSR2, for comparing object counts; each one pauses the server for a moment),
 * --memory-log FILE (every memory sample of each server as a JSON line: RSS, heap spaces, external).
 */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DemoBackend } from '../server/demo-backend.js';
import { seededRandom } from '../lib/random.js';
import { startRedisServer, type RedisServer } from './lib/redis-server.js';
import { freeDnsPort, startRondo, stopAllRondo, type RondoProcess } from './lib/rondo-process.js';
import { dnsperfAvailable, startDnsperf, writeQueryFile, type DnsperfRun, type DnsperfSummary } from './soak/dnsperf.js';
import { Verifier } from './soak/verifier.js';
import { heapFromMetrics, heapVerdict, rssKb, type MemoryRecord } from './soak/memory.js';

const ZONE = 'example.test.';
const BACKEND_ADDRESSES = ['127.0.0.61', '127.0.0.62', '127.0.0.63', '127.0.0.64'];
const CHECK = { intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 2 };
/** Death → dropped by every server: the fall-th failing probe (jitter 10%), its timeout, then Redis propagation. */
const DETECTION_WINDOW_MS = Math.round(CHECK.fall * CHECK.intervalMs * 1.1 + CHECK.timeoutMs + 1000);
/** RSS is taken as the baseline this far into the run (heap and JIT have grown by then). */
const WARMUP_FRACTION = 0.2;
/** Timeouts outside Redis faults (host CPU contention, say) fail the run above this share of queries. */
const OTHER_TIMEOUTS_MAX_SHARE = 0.001;
const VERIFY_EVERY_MS = 20;

const CHAOS_KINDS = ['backend-kill', 'checker-kill', 'redis-kill', 'redis-pause', 'backend-flap'] as const;
type ChaosKind = (typeof CHAOS_KINDS)[number];
/** Servers' /metrics are read this often for the heap figures. */
const HEAP_SAMPLE_MS = 2000;

const { values: args } = parseArgs({
  options: { seconds: { type: 'string' }, qps: { type: 'string' }, chaos: { type: 'string' }, 'heap-snapshots': { type: 'string' }, 'memory-log': { type: 'string' } },
});
const SECONDS = Number(args.seconds ?? process.env.SOAK_SECONDS ?? 600);
const QPS = Number(args.qps ?? process.env.SOAK_QPS ?? 500);
if (!Number.isFinite(SECONDS) || SECONDS < 30) throw new Error(`--seconds must be at least 30 (got ${String(args.seconds ?? process.env.SOAK_SECONDS)})`);
const CHAOS = parseChaos(args.chaos ?? process.env.SOAK_CHAOS ?? CHAOS_KINDS.join(','));
const SNAPSHOT_DIR = args['heap-snapshots'] === undefined ? undefined : path.resolve(args['heap-snapshots']);

function parseChaos(text: string): ReadonlySet<ChaosKind> {
  if (text === 'none') return new Set();
  const kinds = text.split(',').map((k) => k.trim()).filter((k) => k !== '');
  for (const k of kinds) if (!(CHAOS_KINDS as readonly string[]).includes(k)) throw new Error(`--chaos: unknown fault "${k}" (use ${CHAOS_KINDS.join(', ')} or none)`);
  return new Set(kinds as ChaosKind[]);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const log = (text: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);

function zoneText(port: number): string {
  return [
    `$ORIGIN ${ZONE}`,
    '$TTL 300',
    '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
    '     IN NS  ns1',
    'ns1  IN A   192.0.2.53',
    'static IN A 192.0.2.40',
    `;@check web http port=${port} path=/healthz interval=${CHECK.intervalMs}ms timeout=${CHECK.timeoutMs}ms rise=${CHECK.rise} fall=${CHECK.fall}`,
    ';@pool www check=web answers=all',
    ...BACKEND_ADDRESSES.map((a) => `www 5 IN A ${a}`),
    '',
  ].join('\n');
}


interface FaultWindow {
  readonly kind: string;
  readonly start: number;
  /** The fault ended (Redis back) at `end`; its effects are counted until `end + settle`. */
  end: number;
}

interface ChaosCounts {
  backendKills: number;
  backendFlaps: number;
  checkerKills: number;
  redisKills: number;
  redisPauses: number;
}

async function main(): Promise<number> {
  const started = Date.now();
  const endAt = started + SECONDS * 1000;
  const work = await mkdtemp(path.join(os.tmpdir(), 'rondo-soak-'));
  const rng = seededRandom(Number(process.env.SOAK_SEED ?? 7));
  const deadSince = new Map<string, number>();
  const crashes: string[] = [];
  const expectedExit = new Set<RondoProcess>();
  let redis: RedisServer | undefined;
  const backends: DemoBackend[] = [];
  let dnsperf: DnsperfRun[] = [];
  let verifier: Verifier | undefined;
  const memory = new Map<string, MemoryRecord>();
  const redisFaults: FaultWindow[] = [];
  let rssTimer: NodeJS.Timeout | undefined;
  let heapTimer: NodeJS.Timeout | undefined;
  const warmAt = started + WARMUP_FRACTION * SECONDS * 1000;

  const watch = (p: RondoProcess): RondoProcess => {
    void p.exited.then((code) => {
      if (!expectedExit.has(p)) crashes.push(`${p.name} exited (${code}) unexpectedly:\n${p.logTail(10)}`);
    });
    return p;
  };

  try {
    log(`starting: ${SECONDS} s, dnsperf ${QPS} qps per server, detection window ${DETECTION_WINDOW_MS} ms, chaos: ${CHAOS.size === 0 ? 'none' : [...CHAOS].join(', ')}`);
    if (SNAPSHOT_DIR !== undefined) await mkdir(SNAPSHOT_DIR, { recursive: true });
    redis = await startRedisServer();
    let port = 0;
    for (const [i, address] of BACKEND_ADDRESSES.entries()) {
      const b = new DemoBackend(i + 1, address, address);
      await b.listen(port);
      port = b.port;
      backends.push(b);
    }
    await writeFile(path.join(work, 'example.test.zone'), zoneText(port));
    const redisArgs = ['--redis', redis.url];
    const serve = async (name: string): Promise<{ name: string; port: number; httpPort: number; process: RondoProcess }> => {
      const p = await freeDnsPort();
      const httpPort = await freeDnsPort();
      const env = SNAPSHOT_DIR === undefined ? undefined : { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${SNAPSHOT_DIR}` };
      const args = ['serve', '--zones', work, '--listen', `127.0.0.1:${p}`, '--http', `127.0.0.1:${httpPort}`, '--no-checks', '--node-id', name, ...redisArgs];
      const process = watch(await startRondo(args, { name, env }));
      return { name, port: p, httpPort, process };
    };
    const check = async (name: string): Promise<RondoProcess> => watch(await startRondo(['check', '--zones', work, '--node-id', name, ...redisArgs], { name }));
    const servers = [await serve('dns-a'), await serve('dns-b')];
    const checkers = [await check('chk-a'), await check('chk-b')];
    for (const s of servers) memory.set(s.name, { warm: undefined, peak: 0, final: 0, heap: [] });
    rssTimer = setInterval(() => {
      for (const s of servers) {
        void rssKb(s.process.pid).then((kb) => {
          const m = memory.get(s.name);
          if (kb === undefined || !m) return;
          m.peak = Math.max(m.peak, kb);
          m.final = kb;
          if (m.warm === undefined && Date.now() >= warmAt) m.warm = kb;
        });
      }
    }, 1000);
    heapTimer = setInterval(() => {
      for (const s of servers) {
        void heapFromMetrics(`http://127.0.0.1:${s.httpPort}/metrics`, Date.now()).then((sample) => {
          if (!sample) return;
          memory.get(s.name)?.heap.push(sample);
          if (args['memory-log'] !== undefined) {
            const line = JSON.stringify({ server: s.name, t: Math.round((sample.atMs - started) / 1000), ...sample.figures });
            appendFile(args['memory-log'], `${line}\n`).catch(() => undefined);
          }
        });
      }
    }, HEAP_SAMPLE_MS);
    const snapshot = (when: string): void => {
      if (SNAPSHOT_DIR === undefined) return;
      log(`heap snapshots (${when}) into ${SNAPSHOT_DIR}`);
      for (const s of servers) if (s.process.pid !== undefined) process.kill(s.process.pid, 'SIGUSR2');
    };
    const snapshotTimers = SNAPSHOT_DIR === undefined ? [] : [setTimeout(() => snapshot('warm-up'), warmAt - Date.now()), setTimeout(() => snapshot('half-way'), started + SECONDS * 500 - Date.now())];

    verifier = new Verifier(servers, `www.${ZONE}`, deadSince, DETECTION_WINDOW_MS);
    await sleep(CHECK.intervalMs * (CHECK.rise + 1)); // every backend up before counting
    await verifier.start(VERIFY_EVERY_MS);
    const queryFile = path.join(work, 'queries.txt');
    await writeQueryFile(queryFile, ZONE);
    const loadSeconds = Math.max(1, Math.floor((endAt - Date.now()) / 1000) - 2);
    if (dnsperfAvailable()) dnsperf = servers.map((s) => startDnsperf(s.port, queryFile, loadSeconds, QPS));
    else log('dnsperf not found: load is the answer checker alone');

    // The chaos loop: one fault at a time, each given time to settle.
    const chaos: ChaosCounts = { backendKills: 0, backendFlaps: 0, checkerKills: 0, redisKills: 0, redisPauses: 0 };
    const settleMs = DETECTION_WINDOW_MS + 3 * CHECK.intervalMs;
    const left = (): number => endAt - Date.now();
    const allSteps: [ChaosKind, () => Promise<void>][] = [
      ['backend-kill', async () => {
        const b = backends[Math.floor(rng.next() * backends.length)] as DemoBackend;
        log(`kill backend ${b.address}`);
        await b.stop();
        deadSince.set(b.address, Date.now());
        chaos.backendKills++;
        await sleep(Math.min(8000, left()));
        deadSince.delete(b.address);
        await b.start();
        log(`restarted backend ${b.address}`);
      }],
      ['checker-kill', async () => {
        const i = Math.floor(rng.next() * checkers.length);
        const victim = checkers[i] as RondoProcess;
        log(`kill checker ${victim.name}`);
        expectedExit.add(victim);
        await victim.kill('SIGKILL');
        chaos.checkerKills++;
        await sleep(Math.min(5000, left()));
        checkers[i] = await check(victim.name);
        log(`restarted checker ${victim.name}`);
      }],
      ['redis-kill', async () => {
        log('kill redis');
        const fault: FaultWindow = { kind: 'redis kill', start: Date.now(), end: 0 };
        redisFaults.push(fault);
        await redis?.kill('SIGKILL');
        chaos.redisKills++;
        await sleep(Math.min(4000, left()));
        await redis?.restart();
        fault.end = Date.now();
        log('restarted redis (empty)');
      }],
      ['redis-pause', async () => {
        log('pause redis (SIGSTOP)');
        const fault: FaultWindow = { kind: 'redis pause', start: Date.now(), end: 0 };
        redisFaults.push(fault);
        redis?.pause();
        chaos.redisPauses++;
        await sleep(Math.min(4000, left()));
        redis?.resume();
        fault.end = Date.now();
        log('resumed redis');
      }],
      ['backend-flap', async () => {
        const b = backends[Math.floor(rng.next() * backends.length)] as DemoBackend;
        log(`flap backend ${b.address} every ${CHECK.intervalMs} ms`);
        chaos.backendFlaps++;
        for (let i = 0; i < 8 && left() > CHECK.intervalMs; i++) {
          if (i % 2 === 0) {
            await b.stop();
            deadSince.set(b.address, Date.now());
          } else {
            deadSince.delete(b.address);
            await b.start();
          }
          await sleep(CHECK.intervalMs);
        }
        deadSince.delete(b.address);
        await b.start();
      }],
    ];
    const steps = allSteps.filter(([kind]) => CHAOS.has(kind)).map(([, step]) => step);
    await sleep(Math.min(settleMs, left()));
    for (let i = 0; steps.length > 0 && left() > settleMs + 10_000; i++) {
      await (steps[i % steps.length] as () => Promise<void>)();
      await sleep(Math.min(settleMs, left()));
    }
    await sleep(Math.max(0, left()));

    // The end: stop load, collect, report.
    const loadEnd = Date.now();
    const perf: DnsperfSummary[] = await Promise.all(dnsperf.map((d) => d.done));
    clearInterval(heapTimer);
    heapTimer = undefined;
    for (const t of snapshotTimers) clearTimeout(t);
    snapshot('end');
    await verifier.stop();
    clearInterval(rssTimer);
    rssTimer = undefined;
    for (const s of servers) {
      const kb = await rssKb(s.process.pid);
      const m = memory.get(s.name);
      if (kb !== undefined && m) m.final = kb;
    }
    const settle = DETECTION_WINDOW_MS;
    const inRedisFault = (t: number): boolean => redisFaults.some((f) => t >= f.start && t <= (f.end || Date.now()) + settle);
    const timeoutTimes = [...dnsperf.flatMap((d) => d.timeoutTimes), ...verifier.timeoutTimes];
    const redisMs = redisFaults.reduce((sum, f) => sum + Math.max(0, (f.end || Date.now()) + settle - f.start), 0);
    const timeouts = {
      redis: timeoutTimes.filter(inRedisFault).length,
      other: timeoutTimes.filter((t) => !inRedisFault(t)).length,
      redisSeconds: redisMs / 1000,
      // When they happened, by 5 s from the start: a cluster at a fault points at it, a spread at the host.
      buckets: [...new Set(timeoutTimes.map((t) => Math.floor((t - started) / 5000) * 5))].sort((a, b) => a - b).map((b) => `+${b}s ${timeoutTimes.filter((t) => Math.floor((t - started) / 5000) * 5 === b).length}`),
      faults: redisFaults.map((f) => `${f.kind} +${((f.start - started) / 1000).toFixed(0)}s..+${(((f.end || Date.now()) - started) / 1000).toFixed(0)}s`),
    };
    // Heap windows: 15% of the run each (at least 60 s, so each likely holds a major GC: under this
    // load V8 runs one about every minute), the first starting at warm-up, the last ending with the load.
    const heapWindow = { warmAtMs: warmAt, endAtMs: loadEnd, windowMs: Math.max(60_000, 0.15 * SECONDS * 1000) };
    if (SNAPSHOT_DIR !== undefined) await sleep(3000); // let the last snapshots finish writing
    return report({ servers: servers.map((s) => s.name), perf, verifier, chaos, crashes, memory, heapWindow, timeouts, seconds: (Date.now() - started) / 1000 });
  } finally {
    if (rssTimer) clearInterval(rssTimer);
    if (heapTimer) clearInterval(heapTimer);
    for (const d of dnsperf) d.child.kill('SIGINT');
    redis?.resume();
    await stopAllRondo().catch(() => undefined);
    await Promise.all(backends.map((b) => b.stop()));
    await redis?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

interface ReportInput {
  readonly servers: readonly string[];
  readonly perf: readonly DnsperfSummary[];
  readonly verifier: Verifier;
  readonly chaos: ChaosCounts;
  readonly crashes: readonly string[];
  readonly memory: ReadonlyMap<string, MemoryRecord>;
  readonly heapWindow: { readonly warmAtMs: number; readonly endAtMs: number; readonly windowMs: number };
  /** Timed-out queries (dnsperf and the checker) sent during a Redis fault or its settling, and the rest. */
  readonly timeouts: { readonly redis: number; readonly other: number; readonly redisSeconds: number; readonly buckets: readonly string[]; readonly faults: readonly string[] };
  readonly seconds: number;
}

function report(input: ReportInput): number {
  const mb = (kb: number | undefined) => (kb === undefined ? '?' : (kb / 1024).toFixed(1));
  const failures: string[] = [];
  const out: string[] = [];
  out.push(`rondo soak: ${input.seconds.toFixed(0)} s, 2 DNS servers, 2 checkers, Redis, ${BACKEND_ADDRESSES.length} backends; detection window ${DETECTION_WINDOW_MS} ms; node ${process.version}`);
  let servfail = 0;
  let sent = 0;
  input.servers.forEach((name, i) => {
    const p = input.perf[i];
    if (!p) return;
    const sf = p.rcodes.SERVFAIL ?? 0;
    servfail += sf;
    sent += p.sent;
    const rc = Object.entries(p.rcodes).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`load (dnsperf) ${name}: sent ${p.sent}, answered ${p.completed}, SERVFAIL ${sf}, timeouts ${p.lost} (${rc})`);
  });
  for (const [name, c] of input.verifier.counts) {
    servfail += c.servfail;
    sent += c.sent;
    out.push(
      `checker (www A) ${name}: sent ${c.sent}, answered ${c.answered}, SERVFAIL ${c.servfail}, other errors ${c.otherErrors}, timeouts ${c.timeouts}, ` +
        `empty ${c.empty}, long-dead answers ${c.longDead}, dead backend answered up to ${c.maxDeadAnsweredMs} ms after its death`,
    );
    if (c.longDead > 0) failures.push(`${name}: ${c.longDead} answers with a backend dead > ${DETECTION_WINDOW_MS} ms`);
    if (c.otherErrors > 0 || c.empty > 0) failures.push(`${name}: ${c.otherErrors} error answers, ${c.empty} empty answers`);
  }
  for (const s of input.verifier.samples) out.push(`  long-dead sample: ${s.server} answered ${s.address} ${s.deadForMs} ms after its death`);
  const k = input.chaos;
  out.push(`chaos: backend kills ${k.backendKills}, backend flaps ${k.backendFlaps}, checker kills ${k.checkerKills}, redis kills ${k.redisKills}, redis pauses ${k.redisPauses}`);
  out.push(`crashes: ${input.crashes.length}`);
  for (const c of input.crashes) out.push(`  ${c}`);
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  for (const [name, m] of input.memory) {
    // RSS: informational, except a doubling (memory outside the V8 heap and Buffers: a native leak).
    const rssDoubled = m.warm !== undefined && m.final > 2 * m.warm;
    out.push(`memory ${name}: RSS after warm-up ${mb(m.warm)} MB, peak ${mb(m.peak)} MB, final ${mb(m.final)} MB${rssDoubled ? ' (DOUBLED)' : ''}`);
    if (rssDoubled) failures.push(`${name}: RSS more than doubled after warm-up`);
    const w = input.heapWindow;
    const heap = heapVerdict(m.heap, w.warmAtMs, w.endAtMs, w.windowMs);
    if (heap === undefined) {
      out.push(`memory ${name}: retained heap unknown (no /metrics samples in a window)`);
      failures.push(`${name}: no heap figures`);
      continue;
    }
    out.push(
      `memory ${name}: retained heap (lowest heap used + external over ${(w.windowMs / 1000).toFixed(0)} s) after warm-up ${mib(heap.warmLow)} MB, ` +
        `final ${mib(heap.finalLow)} MB (heap used alone ${mib(heap.warmHeapLow)} → ${mib(heap.finalHeapLow)} MB) (${heap.flat ? 'flat' : 'GROWING'})`,
    );
    if (!heap.flat) failures.push(`${name}: retained heap grew ${mib(heap.growth)} MB after warm-up`);
  }
  if (input.crashes.length > 0) failures.push(`${input.crashes.length} crash(es)`);
  const t = input.timeouts;
  out.push(`timeouts: ${t.redis} sent during a Redis fault or the ${DETECTION_WINDOW_MS} ms after it (${t.redisSeconds.toFixed(0)} s in all), ${t.other} at other times`);
  if (t.buckets.length > 0) out.push(`  timeouts by time sent: ${t.buckets.join(', ')}; Redis faults: ${t.faults.join(', ')}`);
  if (servfail > 0) failures.push(`${servfail} SERVFAIL`);
  if (input.timeouts.redis > 0) failures.push(`${input.timeouts.redis} timeouts during Redis faults`);
  if (input.timeouts.other > OTHER_TIMEOUTS_MAX_SHARE * sent) failures.push(`${input.timeouts.other} timeouts outside Redis faults (over ${OTHER_TIMEOUTS_MAX_SHARE * 100}% of ${sent})`);
  out.push(failures.length === 0 ? 'verdict: PASS' : `verdict: FAIL (${failures.join('; ')})`);
  console.log(out.join('\n'));
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
