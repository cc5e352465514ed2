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
 * that named a backend dead for longer than its detection window, and the RSS of each DNS server
 * after warm-up (20% into the run), at its peak and at the end. It exits 1 unless: no process
 * crashed, no SERVFAIL, no timeout during a Redis fault, at most 0.1% timeouts at other times (a
 * loaded host drops a few datagrams), no answer with a long-dead backend, and memory flat (final
 * RSS within 25% or 20 MB of the warm-up figure).
 *
 * Run: npm run build && npm run soak -- --seconds 120     (default 600 s; or SOAK_SECONDS=120)
 * Options: --seconds N, --qps N (dnsperf rate per server, default 500; the point is steady load on a
 * shared 2-core host, not throughput: bench/ measures that).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DemoBackend } from '../cli/demo/backend.js';
import { seededRandom } from '../lib/random.js';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.js';
import { freeDnsPort, startRondo, stopAllRondo, type RondoProcess } from '../test/helpers/rondo-process.js';
import { dnsperfAvailable, startDnsperf, writeQueryFile, type DnsperfRun, type DnsperfSummary } from './soak/dnsperf.js';
import { Verifier } from './soak/verifier.js';

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

const { values: args } = parseArgs({ options: { seconds: { type: 'string' }, qps: { type: 'string' } } });
const SECONDS = Number(args.seconds ?? process.env.SOAK_SECONDS ?? 600);
const QPS = Number(args.qps ?? process.env.SOAK_QPS ?? 500);
if (!Number.isFinite(SECONDS) || SECONDS < 30) throw new Error(`--seconds must be at least 30 (got ${String(args.seconds ?? process.env.SOAK_SECONDS)})`);

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

async function rssKb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb);
  } catch {
    return undefined;
  }
}

interface Memory {
  warm: number | undefined;
  peak: number;
  final: number;
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
  const memory = new Map<string, Memory>();
  const redisFaults: FaultWindow[] = [];
  let rssTimer: NodeJS.Timeout | undefined;

  const watch = (p: RondoProcess): RondoProcess => {
    void p.exited.then((code) => {
      if (!expectedExit.has(p)) crashes.push(`${p.name} exited (${code}) unexpectedly:\n${p.logTail(10)}`);
    });
    return p;
  };

  try {
    log(`starting: ${SECONDS} s, dnsperf ${QPS} qps per server, detection window ${DETECTION_WINDOW_MS} ms`);
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
    const serve = async (name: string): Promise<{ name: string; port: number; process: RondoProcess }> => {
      const p = await freeDnsPort();
      const process = watch(await startRondo(['serve', '--zones', work, '--listen', `127.0.0.1:${p}`, '--no-checks', '--node-id', name, ...redisArgs], { name }));
      return { name, port: p, process };
    };
    const check = async (name: string): Promise<RondoProcess> => watch(await startRondo(['check', '--zones', work, '--node-id', name, ...redisArgs], { name }));
    const servers = [await serve('dns-a'), await serve('dns-b')];
    const checkers = [await check('chk-a'), await check('chk-b')];
    for (const s of servers) memory.set(s.name, { warm: undefined, peak: 0, final: 0 });
    rssTimer = setInterval(() => {
      for (const s of servers) {
        void rssKb(s.process.pid).then((kb) => {
          const m = memory.get(s.name);
          if (kb === undefined || !m) return;
          m.peak = Math.max(m.peak, kb);
          m.final = kb;
          if (m.warm === undefined && Date.now() - started >= WARMUP_FRACTION * SECONDS * 1000) m.warm = kb;
        });
      }
    }, 1000);

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
    const steps: (() => Promise<void>)[] = [
      async () => {
        const b = backends[Math.floor(rng.next() * backends.length)] as DemoBackend;
        log(`kill backend ${b.address}`);
        await b.stop();
        deadSince.set(b.address, Date.now());
        chaos.backendKills++;
        await sleep(Math.min(8000, left()));
        deadSince.delete(b.address);
        await b.start();
        log(`restarted backend ${b.address}`);
      },
      async () => {
        const i = Math.floor(rng.next() * checkers.length);
        const victim = checkers[i] as RondoProcess;
        log(`kill checker ${victim.name}`);
        expectedExit.add(victim);
        await victim.kill('SIGKILL');
        chaos.checkerKills++;
        await sleep(Math.min(5000, left()));
        checkers[i] = await check(victim.name);
        log(`restarted checker ${victim.name}`);
      },
      async () => {
        log('kill redis');
        const fault: FaultWindow = { kind: 'redis kill', start: Date.now(), end: 0 };
        redisFaults.push(fault);
        await redis?.kill('SIGKILL');
        chaos.redisKills++;
        await sleep(Math.min(4000, left()));
        await redis?.restart();
        fault.end = Date.now();
        log('restarted redis (empty)');
      },
      async () => {
        log('pause redis (SIGSTOP)');
        const fault: FaultWindow = { kind: 'redis pause', start: Date.now(), end: 0 };
        redisFaults.push(fault);
        redis?.pause();
        chaos.redisPauses++;
        await sleep(Math.min(4000, left()));
        redis?.resume();
        fault.end = Date.now();
        log('resumed redis');
      },
      async () => {
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
      },
    ];
    await sleep(Math.min(settleMs, left()));
    for (let i = 0; left() > settleMs + 10_000; i++) {
      await (steps[i % steps.length] as () => Promise<void>)();
      await sleep(Math.min(settleMs, left()));
    }
    await sleep(Math.max(0, left()));

    // The end: stop load, collect, report.
    const perf: DnsperfSummary[] = await Promise.all(dnsperf.map((d) => d.done));
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
    return report({ servers: servers.map((s) => s.name), perf, verifier, chaos, crashes, memory, timeouts, seconds: (Date.now() - started) / 1000 });
  } finally {
    if (rssTimer) clearInterval(rssTimer);
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
  readonly memory: ReadonlyMap<string, Memory>;
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
  for (const [name, m] of input.memory) {
    const growth = m.warm === undefined ? 0 : m.final - m.warm;
    const flat = m.warm === undefined || growth <= Math.max(0.25 * m.warm, 20 * 1024);
    out.push(`memory ${name}: RSS after warm-up ${mb(m.warm)} MB, peak ${mb(m.peak)} MB, final ${mb(m.final)} MB (${flat ? 'flat' : 'GROWING'})`);
    if (!flat) failures.push(`${name}: RSS grew ${mb(growth)} MB after warm-up`);
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
