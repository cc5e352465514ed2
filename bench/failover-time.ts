/**
 * Failover time as a DNS client sees it: how long a dead backend keeps being answered.
 *
 * The whole product runs in this process (zone file, check scheduler, memory health store,
 * planned selector, DNS server on 127.0.0.1), in front of three HTTP backends on 127.0.0.11-13.
 * The pool is checked with `http interval=1s timeout=500ms fall=2 rise=2` (jitter 10%). Each
 * trial waits a random part of an interval (so the kill lands at a random phase of the probe
 * cycle), closes one backend's server, and queries the pool every ~20 ms; it records the time
 * from the kill to the last answer that still contained the backend, then starts the backend
 * again and records when it is answered again.
 *
 * Expected: the first failing probe comes U(0, interval ± jitter) after the kill and the fall-th
 * (fall − 1) intervals later, so between 1 s and 2.2 s; a refused connect fails at once, so the
 * timeout does not add (a backend that hangs instead would add up to `timeout`).
 *
 * Run: npm run build && node dist/bench/failover-time.js [trials]   (about 5 s per trial)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dns2 from 'dns2';
import { startDemoBackends, type DemoBackend } from '../server/demo-backend.js';
import { Runtime } from '../server/runtime.js';
import { silentLogger } from '../lib/logger.js';

const TRIALS = Number(process.argv[2] ?? 10);
const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
const FALL = 2;
const RISE = 2;
const JITTER_MS = INTERVAL_MS / 10;
const QUERY_EVERY_MS = 20;
/** A trial ends when the victim has been absent this long (a flap would show as a later answer). */
const SETTLE_MS = 1500;
const DEADLINE_MS = 15_000;

interface Dns {
  readonly host: string;
  readonly port: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function zone(backends: readonly DemoBackend[]): string {
  const port = backends[0]?.port ?? 0;
  return [
    '$ORIGIN bench.test.',
    '$TTL 60',
    '@   IN SOA ns1 hostmaster 1 7200 900 1209600 5',
    '    IN NS  ns1',
    'ns1 IN A   192.0.2.53',
    `;@check web http port=${port} path=/healthz interval=${INTERVAL_MS}ms timeout=${TIMEOUT_MS}ms fall=${FALL} rise=${RISE}`,
    ';@pool www check=web',
    ...backends.map((b) => `www 5 IN A ${b.recordAddress}${b.address !== b.recordAddress || b.port !== port ? ` ;@ probe=${b.address} port=${b.port}` : ''}`),
    '',
  ].join('\n');
}

async function answered(dns: Dns): Promise<string[]> {
  const client = dns2.UDPClient({ dns: dns.host, port: dns.port, timeout: 1000, retryOverTCP: false });
  const packet = await client('www.bench.test', 'A');
  return packet.answers.filter((r) => r.type === 1).map((r) => r.address ?? '');
}

/** Queries every QUERY_EVERY_MS until `done(answer)` holds for SETTLE_MS; returns the last time `seen(answer)` held. */
async function watch(dns: Dns, seen: (a: string[]) => boolean, settled: (a: string[]) => boolean, since: number): Promise<{ lastSeenMs: number; firstSettledMs: number }> {
  let lastSeenMs = Number.NaN;
  let settledAt: number | undefined;
  for (;;) {
    const now = performance.now();
    if (now - since > DEADLINE_MS) throw new Error(`no settled answer within ${DEADLINE_MS} ms`);
    const answer = await answered(dns);
    const at = performance.now() - since;
    if (seen(answer)) lastSeenMs = at;
    if (settled(answer)) {
      settledAt ??= at;
      if (at - settledAt >= SETTLE_MS) return { lastSeenMs, firstSettledMs: settledAt };
    } else settledAt = undefined;
    await wait(QUERY_EVERY_MS);
  }
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

async function main(): Promise<void> {
  const backends = await startDemoBackends();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-bench-failover-'));
  const runtime = new Runtime({ zonePaths: [dir], listen: [{ host: '127.0.0.1', port: 0 }], checks: true, nodeId: 'bench', logger: silentLogger() });
  const all = backends.map((b) => b.recordAddress);
  const downTimes: number[] = [];
  const upTimes: number[] = [];
  try {
    await writeFile(path.join(dir, 'bench.test.zone'), zone(backends));
    await runtime.start();
    const bound = runtime.server?.addresses()[0];
    if (!bound) throw new Error('no DNS listener');
    const dns: Dns = { host: bound.host, port: bound.port };
    const everyoneUp = () => runtime.zones()[0]?.targets.every((t) => runtime.store.view().get(t.id)?.state === 'up') ?? false;
    for (let waited = 0; !everyoneUp(); waited += QUERY_EVERY_MS) {
      if (waited > DEADLINE_MS) throw new Error('backends never came up');
      await wait(QUERY_EVERY_MS);
    }
    console.log(`failover time through DNS: http check interval=${INTERVAL_MS}ms timeout=${TIMEOUT_MS}ms fall=${FALL} rise=${RISE} jitter=${JITTER_MS}ms, queries every ${QUERY_EVERY_MS} ms`);
    console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}`);
    console.log('trial  killed       last answer with it   answered again after restart');
    for (let trial = 1; trial <= TRIALS; trial++) {
      const victim = backends[(trial - 1) % backends.length];
      if (!victim) throw new Error('no backend');
      await wait(Math.random() * INTERVAL_MS);
      const killedAt = performance.now();
      await victim.stop();
      const gone = await watch(dns, (a) => a.includes(victim.recordAddress), (a) => !a.includes(victim.recordAddress), killedAt);
      downTimes.push(gone.lastSeenMs);

      const restartedAt = performance.now();
      await victim.start();
      const back = await watch(dns, () => false, (a) => all.every((x) => a.includes(x)), restartedAt);
      upTimes.push(back.firstSettledMs);
      console.log(`${String(trial).padStart(5)}  ${victim.recordAddress.padEnd(11)}  ${gone.lastSeenMs.toFixed(0).padStart(7)} ms            ${back.firstSettledMs.toFixed(0).padStart(7)} ms`);
    }
  } finally {
    await runtime.stop();
    await Promise.all(backends.map((b) => b.stop()));
    await rm(dir, { recursive: true, force: true });
  }
  const down = [...downTimes].sort((a, b) => a - b);
  const up = [...upTimes].sort((a, b) => a - b);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `kill -> last answer with it (${down.length} trials): median ${s(median(down))}, worst ${s(down.at(-1) ?? NaN)}, best ${s(down[0] ?? NaN)}` +
      `  (bound fall × (interval + jitter) = ${s(FALL * (INTERVAL_MS + JITTER_MS))})`,
  );
  console.log(`restart -> answered again: median ${s(median(up))}, worst ${s(up.at(-1) ?? NaN)}  (bound rise × (interval + jitter) = ${s(RISE * (INTERVAL_MS + JITTER_MS))})`);
}

await main();
