/**
 * The real-resolver skew testbed (issue 11): a real `rondo serve` (dist) is the authoritative for
 * `skew.test`; real caching resolvers (unbound ×3, BIND, PowerDNS Recursor, Knot Resolver,
 * dnsmasq) each query it from their own loopback source address; virtual clients in this process
 * (clients.ts) resolve through them and send HTTP requests to counting backends (backends.ts).
 *
 * Several pools (configurations) run side by side, each with its own name, its own four backends
 * and its own client group; any pool keys are passed through to the zone (so a pool can carry
 * `skew=correct`). Phases: warm-up, skew (counted per second), then one member of every pool is
 * removed from the answers by a zone reload (SIGHUP) while its backend stays up, and the drain is
 * counted. Rondo's observation snapshot is read from Redis just before the removal, and the live
 * `/report` is kept too, so the report can be rebuilt later from the same counters (`--replay`).
 *
 * Loopback only; everything started here is stopped in `finally`, and on SIGINT/SIGTERM.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { seededRandom } from '../../lib/random.js';
import type { ReportModel } from '../../report/model.js';
import { DEFAULT_PUBLISH_INTERVAL_MS } from '../../report/redis-transport.js';
import type { ObservationSnapshot } from '../../report/snapshot.js';
import { freePort, startRedisServer, type RedisServer } from '../lib/redis-server.js';
import { freeDnsPort, startRondo, type RondoProcess } from '../lib/rondo-process.js';
import { startCountingBackends, type CountingBackends, type MemberSeries } from './backends.js';
import { ClientGroup, DEFAULT_CLASSES, type ClientClassSpec, type ClientGroupStats } from './clients.js';
import { startResolver, type Resolver, type ResolverKind } from './resolvers.js';

export const SKEW_ZONE = 'skew.test';

export interface PoolConfig {
  /** Label in the zone (`t5a1` → `t5a1.skew.test`). */
  readonly name: string;
  readonly ttl: number;
  readonly answers: 1 | 'all' | number;
  /** Further pool keys, passed through to the `;@pool` line (e.g. `skew=correct ttl-min=1`). */
  readonly keys?: string;
  /**
   * Gives the pool an HTTP check of its backends that reads their load (`X-Load`, the request rate
   * for the pool's name over the last few seconds): `skew=correct` then closes the loop on it.
   */
  readonly loadCheck?: boolean;
  readonly clients: number;
  readonly ratePerClient: number;
}

export interface ResolverSpec {
  readonly kind: ResolverKind;
  readonly name: string;
}

/** Default population, in Zipf rank order: PowerDNS Recursor third (13% of clients at α = 1). */
export const DEFAULT_RESOLVERS: readonly ResolverSpec[] = [
  { kind: 'unbound', name: 'unbound-1' },
  { kind: 'bind', name: 'bind' },
  { kind: 'pdns', name: 'pdns' },
  { kind: 'knot', name: 'knot' },
  { kind: 'unbound', name: 'unbound-2' },
  { kind: 'dnsmasq', name: 'dnsmasq' },
  { kind: 'unbound', name: 'unbound-3' },
];

export interface TestbedOptions {
  readonly pools: readonly PoolConfig[];
  readonly resolvers: readonly ResolverSpec[];
  /** Client share per resolver (normalised); default Zipf(alpha) in rank order. */
  readonly resolverShares?: readonly number[];
  readonly alpha: number;
  /** All resolvers query from one /24 (127.0.1.x) instead of one /24 each (127.0.x.1). */
  readonly shared24: boolean;
  readonly members: number;
  readonly classes: readonly ClientClassSpec[];
  readonly seed: number;
  readonly warmupSeconds: number;
  readonly skewSeconds: number;
  readonly drainSeconds: number;
  /** Progress lines (stderr). */
  readonly log?: (line: string) => void;
  /** Ends the run early (SIGINT). */
  readonly signal?: AbortSignal;
}

export interface PoolRun {
  readonly config: PoolConfig;
  readonly fqdn: string;
  readonly members: readonly string[];
  readonly removed: string;
  readonly stats: ClientGroupStats;
}

export interface RunData {
  readonly version: 1;
  readonly seed: number;
  readonly shared24: boolean;
  readonly classes: readonly ClientClassSpec[];
  readonly resolvers: readonly { readonly name: string; readonly kind: ResolverKind; readonly outgoing: string; readonly share: number }[];
  readonly pools: readonly PoolRun[];
  /** Epoch ms of t0 (the clients' clock starts there). */
  readonly t0EpochMs: number;
  /** Seconds since t0. */
  readonly skewStart: number;
  readonly removedAt: number;
  readonly end: number;
  /** Rondo's counters just before the removal (from Redis). */
  readonly snapshot: ObservationSnapshot;
  /** Rondo's own `/report` at the same moment (its default client model). */
  readonly liveReport: ReportModel | null;
  /** The same at the start of the skew phase (skew correction's windows accumulate from the start). */
  readonly startReport?: ReportModel | null;
  /** Backend counts per `fqdn|address`, per second since t0. */
  readonly counts: Record<string, MemberSeries>;
}

export function zipf(count: number, alpha: number): number[] {
  const raw = Array.from({ length: count }, (_, k) => (k + 1) ** -alpha);
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
}

export function memberAddresses(poolIndex: number, members: number): string[] {
  return Array.from({ length: members }, (_, j) => `127.0.0.${20 + poolIndex * members + j}`);
}

function zoneText(pools: readonly { config: PoolConfig; members: readonly string[] }[], backendPort: number): string {
  const lines = [`$ORIGIN ${SKEW_ZONE}.`, '$TTL 300', '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30', '     IN NS  ns1', 'ns1  IN A   127.0.0.1'];
  for (const p of pools) {
    let keys = p.config.keys ?? '';
    if (p.config.loadCheck) {
      const check = `${p.config.name}-load`;
      lines.push(
        `;@check ${check} http port=${backendPort} path=/healthz host=${p.config.name}.${SKEW_ZONE} load-header=X-Load interval=1s timeout=500ms rise=1 fall=3`,
      );
      keys = `${keys} check=${check}`.trim();
    }
    const policy = /\bpolicy=/.test(keys) ? '' : 'policy=round-robin ';
    lines.push(`;@pool ${p.config.name} ${policy}answers=${p.config.answers} ${keys}`.trimEnd());
    for (const m of p.members) lines.push(`${p.config.name} ${p.config.ttl} IN A ${m}`);
  }
  return `${lines.join('\n')}\n`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How often Rondo writes its observation snapshot to Redis. */
const PUBLISH_SECONDS = DEFAULT_PUBLISH_INTERVAL_MS / 1000;

async function readSnapshot(redis: Redis, nodeId: string): Promise<ObservationSnapshot | null> {
  const text = await redis.get(`rondo:obs:${nodeId}`);
  return text === null ? null : (JSON.parse(text) as ObservationSnapshot);
}

/** Runs the testbed once; returns the counts and Rondo's counters. */
export async function runTestbed(o: TestbedOptions): Promise<RunData> {
  const log = o.log ?? (() => undefined);
  const random = seededRandom(o.seed);
  const pools = o.pools.map((config, i) => ({ config, members: memberAddresses(i, o.members), fqdn: `${config.name}.${SKEW_ZONE}` }));
  const shares = o.resolverShares ?? zipf(o.resolvers.length, o.alpha);
  const outgoing = o.resolvers.map((_, k) => (o.shared24 ? `127.0.1.${k + 1}` : `127.0.${k + 1}.1`));
  const nodeId = 'skewbed';
  let t0 = performance.now();
  const now = (): number => (performance.now() - t0) / 1000;

  let dir: string | undefined;
  let redis: RedisServer | undefined;
  let redisClient: Redis | undefined;
  let rondo: RondoProcess | undefined;
  let backends: CountingBackends | undefined;
  const resolvers: Resolver[] = [];
  const groups: ClientGroup[] = [];
  let progress: NodeJS.Timeout | undefined;
  let trace: NodeJS.Timeout | undefined;
  try {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-skewbed-'));
    const zoneFile = path.join(dir, `${SKEW_ZONE}.zone`);
    backends = await startCountingBackends(
      pools.flatMap((p) => p.members),
      () => t0,
    );
    await writeFile(zoneFile, zoneText(pools, backends.port));
    redis = await startRedisServer();
    redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    await redisClient.connect();
    const dnsPort = await freeDnsPort();
    const adminPort = await freePort();
    rondo = await startRondo(
      ['serve', '--zones', dir, '--listen', `127.0.0.1:${dnsPort}`, '--http', `127.0.0.1:${adminPort}`, '--redis', redis.url, '--node-id', nodeId],
      { name: 'rondo' },
    );
    log(`rondo serving on 127.0.0.1:${dnsPort}, admin on ${adminPort}`);
    for (const [k, spec] of o.resolvers.entries()) {
      resolvers.push(await startResolver({ kind: spec.kind, name: spec.name, zone: SKEW_ZONE, authHost: '127.0.0.1', authPort: dnsPort, outgoing: outgoing[k]! }));
      log(`${spec.name} (${spec.kind}) on :${resolvers[k]!.port}, queries from ${outgoing[k]}, ${(shares[k]! * 100).toFixed(1)}% of clients`);
    }
    t0 = performance.now();
    const t0EpochMs = Date.now();
    for (const p of pools) {
      groups.push(
        new ClientGroup({
          name: p.fqdn,
          clients: p.config.clients,
          ratePerClient: p.config.ratePerClient,
          classes: o.classes,
          resolverShares: shares,
          resolvers,
          backendPort: backends.port,
          random: seededRandom(Math.floor(random.next() * 2 ** 32)),
          now,
        }),
      );
    }
    const skewStart = o.warmupSeconds;
    const removeAt = o.warmupSeconds + o.skewSeconds;
    log(`clients started: warm-up ${o.warmupSeconds} s, skew ${o.skewSeconds} s, drain ${o.drainSeconds} s`);
    progress = setInterval(() => {
      const s = groups.map((g) => g.stats);
      const sum = (f: (x: ClientGroupStats) => number): number => s.reduce((a, x) => a + f(x), 0);
      log(
        `t=${now().toFixed(0)} s: ${sum((x) => x.requests)} requests, ${sum((x) => x.failedRequests)} failed, ${sum((x) => x.skipped)} skipped, ` +
          `${sum((x) => x.failedLookups)} failed lookups, client lag up to ${Math.round(Math.max(...s.map((x) => x.maxLagMs)))} ms`,
      );
    }, 30_000);
    progress.unref();
    // Diagnosis: SKEWBED_TRACE=FILE polls Rondo's /report every second into FILE (JSON lines).
    const traceFile = process.env.SKEWBED_TRACE;
    if (traceFile) {
      trace = setInterval(() => {
        fetch(`http://127.0.0.1:${adminPort}/report`, { signal: AbortSignal.timeout(900) })
          .then(async (res) => {
            const report = (await res.json()) as ReportModel;
            const line = { t: now(), pools: report.pools.filter((p) => p.correction).map((p) => ({ name: p.name, correction: p.correction })) };
            await appendFile(traceFile, `${JSON.stringify(line)}\n`);
          })
          .catch(() => undefined);
      }, 1000);
      trace.unref();
    }
    // Just before the removal: wait for a fresh snapshot in Redis (written every 10 s).
    const fetchReport = async (): Promise<ReportModel | null> => {
      try {
        const res = await fetch(`http://127.0.0.1:${adminPort}/report`, { signal: AbortSignal.timeout(5000) });
        return res.ok ? ((await res.json()) as ReportModel) : null;
      } catch {
        return null;
      }
    };
    await sleep(Math.max(0, skewStart * 1000 - (performance.now() - t0)), o.signal);
    const startReport = await fetchReport();
    // The removal follows a fresh snapshot (written every 10 s) within moments, so the answers
    // the report replays end where the drain begins: it comes up to 10 s before removeAt.
    await sleep(Math.max(0, (removeAt - PUBLISH_SECONDS - 1) * 1000 - (performance.now() - t0)), o.signal);
    const stale = (await readSnapshot(redisClient, nodeId))?.takenAtMs ?? 0;
    let snapshot: ObservationSnapshot | null = null;
    let latest: ObservationSnapshot | null = null;
    for (let i = 0; i < (PUBLISH_SECONDS + 5) * 20 && snapshot === null; i++) {
      latest = (await readSnapshot(redisClient, nodeId)) ?? latest;
      if (latest && latest.takenAtMs > stale) snapshot = latest;
      else await sleep(50, o.signal);
    }
    snapshot ??= latest;
    if (snapshot === null) throw new Error(`no observation snapshot in Redis:\n${rondo.logTail(20)}`);
    const liveReport = await fetchReport();
    // Removal: the first member of every pool leaves the answers; its backend stays up.
    const before = rondo.logRecords().length;
    await writeFile(zoneFile, zoneText(
        pools.map((p) => ({ config: p.config, members: p.members.slice(1) })),
        backends.port,
      ),
    );
    process.kill(rondo.pid!, 'SIGHUP');
    const hupAt = now();
    const deadline = performance.now() + 5000;
    let loaded: Record<string, unknown> | undefined;
    while (!(loaded = rondo.logRecords().slice(before).find((r) => r.msg === 'zone loaded'))) {
      if (performance.now() > deadline) throw new Error(`zone reload not logged:\n${rondo.logTail(20)}`);
      await sleep(20, o.signal);
    }
    // When Rondo swapped the zone, by its own clock (pino's epoch ms): on a busy machine this
    // process may see the log line seconds later.
    const loggedAt = typeof loaded.time === 'number' ? (loaded.time - t0EpochMs) / 1000 : now();
    const removedAt = Math.max(hupAt, Math.min(loggedAt, now()));
    log(`removed ${pools.map((p) => p.members[0]).join(', ')} at ${removedAt.toFixed(2)} s (SIGHUP at ${hupAt.toFixed(2)} s, seen at ${now().toFixed(2)} s)`);
    await sleep(o.drainSeconds * 1000, o.signal);
    const end = now();
    await Promise.all(groups.map((g) => g.stop()));
    const counts: Record<string, MemberSeries> = {};
    for (const [k, v] of backends.series()) counts[k] = v;
    return {
      version: 1,
      seed: o.seed,
      shared24: o.shared24,
      classes: o.classes,
      resolvers: o.resolvers.map((r, k) => ({ name: r.name, kind: r.kind, outgoing: outgoing[k]!, share: shares[k]! })),
      pools: pools.map((p, i) => ({ config: p.config, fqdn: p.fqdn, members: p.members, removed: p.members[0]!, stats: { ...groups[i]!.stats } })),
      t0EpochMs,
      skewStart,
      removedAt,
      end,
      snapshot,
      liveReport,
      startReport,
      counts,
    };
  } finally {
    if (progress) clearInterval(progress);
    if (trace) clearInterval(trace);
    await Promise.allSettled(groups.map((g) => g.stop()));
    await Promise.allSettled(resolvers.map((r) => r.stop()));
    await rondo?.stop().catch(() => undefined);
    redisClient?.disconnect();
    await redis?.stop().catch(() => undefined);
    await backends?.close().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

export { DEFAULT_CLASSES };
