/**
 * The admin side of `rondo serve` and `rondo check`: `--http`/`--http-token`, the admin HTTP
 * server wired to a Runtime (metrics, status, report, dashboard), and — with Redis — the writer
 * that shares this server's observation snapshot so any report covers the whole cluster.
 *
 * With `--workers N` it runs in the cluster primary, whose runtime answers no DNS: the DNS
 * counters and observations come from the workers, gathered over IPC on each scrape, status,
 * report and snapshot write (worker-stats.ts) and summed.
 */
import { currentSiteStates } from './site-maps.js';
import type { Logger } from '../lib/logger.js';
import type { AdminAuth } from '../admin/auth.js';
import { createMetrics, type AdminMetrics } from '../admin/metrics.js';
import { AdminServer, type ReportClients } from '../admin/server.js';
import { buildStatus, type StatusZoneSource } from '../admin/status.js';
import { readStatus } from '../health/status.js';
import type { RedisHealthStore } from '../health/redis-store.js';
import { withClusterScan } from '../health/redis-connection.js';
import { buildReport, measuredLoadFromHealth } from '../report/build-report.js';
import { DEFAULT_DEMAND_OPTIONS } from '../report/demand.js';
import type { ReportModel } from '../report/model.js';
import { skewCorrectionReport } from '../report/skew-correction.js';
import type { SkewLedger } from '../balance/skew-ledger.js';
import { clusterSnapshot, REDIS_RESOLVERS_PER_POOL, SnapshotPublisher } from '../report/redis-transport.js';
import { emptySnapshot, type ObservationSnapshot } from '../report/snapshot.js';
import type { Zone } from '../model/zone.js';
import { formatListen, type ListenAddress } from './listen.js';
import { SNAPSHOT_RESOLVERS_PER_POOL } from './observation.js';
import type { Runtime } from './runtime.js';
import type { Stoppable } from './signals.js';
import type { ClusterSide } from './workers.js';
import type { CollectedStats, WorkerStats } from './worker-stats.js';
import { AuditTrail } from '../admin/api/audit.js';
import type { MembershipService } from './membership.js';

export const RONDO_VERSION = '0.1.0';

export interface AdminConfig {
  readonly listen: ListenAddress;
  readonly auth: AdminAuth;
}

/** Redis as the admin side uses it: the store's command connection, and its redacted name. */
export interface AdminRedis {
  readonly store: RedisHealthStore;
  /** describeRedisTarget(...): no password. */
  readonly target: string;
}

export interface AdminServiceOptions {
  readonly admin: AdminConfig | undefined;
  readonly redis: AdminRedis | undefined;
  readonly logger: Logger;
  /** How often this server writes its observation snapshot to Redis. Default 10 s. */
  readonly publishIntervalMs?: number;
  /** How often the dashboard polls /report, ms (AdminServer default 5000). */
  readonly pollIntervalMs?: number;
  /** How long a built report is reused, ms (AdminServer default 2000). */
  readonly reportCacheMs?: number;
  /** `rondo serve --workers N`: the primary's runtime and workers; the DNS counters are the workers'. */
  readonly cluster?: ClusterSide;
  /** Dynamic membership (the write API under /api/v1/); the runtime must have it as its overlay source. */
  readonly membership?: MembershipService | undefined;
  /** Extra listeners started after the runtime and stopped before it (the ExternalDNS webhook). */
  readonly extras?: readonly { start(): Promise<unknown>; close(): Promise<void>; describe?(): string }[];
}

function serial(zone: Zone): number | undefined {
  const rdata = zone.soa.records[0]?.rdata as { serial?: unknown } | undefined;
  return typeof rdata?.serial === 'number' ? rdata.serial : undefined;
}

/**
 * A Runtime plus its admin side, as one Stoppable: starts the runtime, then the admin listener
 * and the snapshot writer; stops them in the other order.
 */
export class AdminService implements Stoppable {
  /** Only with the admin listener (`--http`): /metrics is their only reader. */
  readonly metrics: AdminMetrics | undefined;
  private readonly log: Logger;
  private readonly server: AdminServer | undefined;
  private readonly publisher: SnapshotPublisher | undefined;
  private readonly startedAtMs = Date.now();
  private redisReadFailing = false;
  /** The workers' counters from the last gathering (cluster only), read by the metrics. */
  private workerCounters: CollectedStats | undefined;
  /** Write-API and webhook requests: logged and counted. */
  readonly audit: AuditTrail;

  constructor(
    readonly runtime: Runtime,
    private readonly options: AdminServiceOptions,
  ) {
    this.log = options.logger.child({ component: 'admin' });
    this.audit = new AuditTrail(options.logger);
    const admin = options.admin;
    // Without a listener nothing reads them: no registry, no process collectors, no prom-client.
    const metrics = admin ? this.createMetrics() : undefined;
    this.metrics = metrics;
    this.server = admin && metrics
      ? new AdminServer({
          host: admin.listen.host,
          port: admin.listen.port,
          auth: admin.auth,
          logger: options.logger,
          ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
          ...(options.reportCacheMs !== undefined ? { reportCacheMs: options.reportCacheMs } : {}),
          membership: options.membership,
          audit: this.audit,
          routes: {
            metrics: () => this.renderMetrics(),
            metricsContentType: metrics.contentType,
            status: () => this.status(),
            report: ({ clients }) => this.report(clients),
          },
        })
      : undefined;
    const snapshot = this.snapshotSource(REDIS_RESOLVERS_PER_POOL);
    this.publisher =
      options.redis && snapshot
        ? new SnapshotPublisher({
            redis: withClusterScan(options.redis.store.redis),
            prefix: options.redis.store.keys.prefix,
            nodeId: runtime.nodeId,
            snapshot: async () => (await snapshot()) ?? emptySnapshot(Date.now()),
            logger: options.logger,
            intervalMs: options.publishIntervalMs,
          })
        : undefined;
    if (metrics) {
      runtime.scheduler?.on('probe', ({ targetId, result }) => {
        metrics.observeProbe(this.kindOf(targetId), result.ok, result.latencyMs);
      });
    }
  }

  /** The admin listener's address once started (the real port when 0 was asked). */
  adminAddress(): { host: string; port: number } | undefined {
    return this.server?.address();
  }

  async start(): Promise<void> {
    await this.lifecycle.start();
    this.publisher?.start();
    await this.server?.start();
    for (const extra of this.options.extras ?? []) await extra.start();
  }

  async stop(): Promise<void> {
    for (const extra of this.options.extras ?? []) await extra.close();
    await this.server?.close();
    await this.publisher?.stop();
    await this.lifecycle.stop();
  }

  reload(): Promise<void> {
    return this.lifecycle.reload?.() ?? Promise.resolve();
  }

  /** What starts, reloads and stops: the runtime, or with workers the cluster primary (which starts the runtime). */
  private get lifecycle(): Stoppable {
    return this.options.cluster?.lifecycle ?? this.runtime;
  }

  /**
   * Where this server's observation snapshot comes from: the runtime's observer, or with workers
   * the workers' snapshots merged; undefined when this process answers no DNS (a checker).
   */
  private snapshotSource(resolversPerPool: number): (() => Promise<ObservationSnapshot | undefined>) | undefined {
    const cluster = this.options.cluster;
    if (cluster) return async () => (await cluster.stats.collect(resolversPerPool)).stats.observerSnapshot;
    const observation = this.runtime.observation;
    if (!observation) return undefined;
    return () => Promise.resolve(observation.observer.toSnapshot(Date.now(), { maxResolversPerPool: resolversPerPool }));
  }

  /** Metrics read the components at render time; with workers, their counters are gathered first. */
  private async renderMetrics(): Promise<string> {
    if (this.options.cluster) this.workerCounters = await this.options.cluster.stats.collect(null);
    return this.metrics?.render() ?? '';
  }


  /** A line for the ready log: where the admin side listens. */
  describe(): string {
    const a = this.server?.address();
    return [a ? `admin on http://${formatListen(a)}` : '', ...(this.options.extras ?? []).map((e) => e.describe?.() ?? '')].filter((x) => x !== '').join('; ');
  }

  /** The report: this server's observations, merged with every other server's from Redis. */
  async report(clients: ReportClients): Promise<ReportModel> {
    const now = Date.now();
    const notes: string[] = [];
    let own: ObservationSnapshot | undefined;
    const cluster = this.options.cluster;
    if (cluster) {
      const collected = await cluster.stats.collect(SNAPSHOT_RESOLVERS_PER_POOL);
      own = collected.stats.observerSnapshot;
      const missing = collected.workers - collected.answered;
      if (missing > 0) notes.push(`${missing} of ${collected.workers} DNS workers did not answer in time: their answers are not counted here.`);
    } else {
      own = this.runtime.observation?.snapshot(now);
    }
    let snapshot = own ?? emptySnapshot(now);
    const redis = this.options.redis;
    if (redis) {
      try {
        snapshot = (await clusterSnapshot(withClusterScan(redis.store.redis), redis.store.keys.prefix, own, this.runtime.nodeId)) ?? snapshot;
        if (this.redisReadFailing) this.log.info('observation snapshots read from Redis again');
        this.redisReadFailing = false;
      } catch (err) {
        if (!this.redisReadFailing) this.log.warn({ err: { type: (err as Error).name, message: (err as Error).message } }, 'could not read other servers’ observations from Redis; reporting this server only');
        this.redisReadFailing = true;
        notes.push('Redis was not reachable: this report covers this server only.');
      }
    }
    const pools = this.runtime.zones().flatMap((z) => z.pools);
    const model = buildReport(snapshot, {
      measuredLoad: measuredLoadFromHealth(pools, this.runtime.store.view()),
      ...(clients === 'none' ? { demand: { ...DEFAULT_DEMAND_OPTIONS, clients: null } } : {}),
    });
    if (clients === 'none') notes.push('Estimated as if clients kept no answers of their own (clients=none).');
    const corrected = withSkewCorrection(model, this.runtime.selector.skewLedgers());
    // With --workers the ledgers live in the workers: the primary shows no correction section.
    return notes.length > 0 ? { ...corrected, notes: [...corrected.notes, ...notes] } : corrected;
  }

  async status(): Promise<unknown> {
    const runtime = this.runtime;
    const redis = this.options.redis;
    const cluster = this.options.cluster;
    const counters = cluster ? await cluster.stats.collect(null) : undefined;
    return buildStatus({
      nodeId: runtime.nodeId,
      version: RONDO_VERSION,
      startedAtMs: this.startedAtMs,
      zones: () => runtime.zones().map((z): StatusZoneSource => ({ origin: z.origin, file: z.file, serial: serial(z), pools: z.pools })),
      health: () => runtime.store.view(),
      sites: (key) => currentSiteStates(runtime).filter((s) => s.pool === key).map((s) => ({ site: s.site, up: s.up, upShare: s.upShare, threshold: s.threshold })),
      allDown: (key) => {
        for (const z of runtime.zones()) {
          if (z.poolIndex) {
            const slash = key.lastIndexOf('/');
            const pool = z.poolIndex.find(key.slice(0, slash), key.endsWith('/AAAA') ? 28 : 1);
            if (pool) return runtime.selector.planFor(pool).allDown;
          } else for (const p of z.pools) if (p.key === key) return runtime.selector.planFor(p).allDown;
        }
        return false;
      },
      dns: () => {
        if (cluster) {
          const stats = counters?.stats.dnsStats;
          return stats ? { listen: cluster.listen.map((a) => formatListen(a)), stats, fastPathAnswered: counters?.stats.fastPathAnswered } : undefined;
        }
        const server = runtime.server;
        if (!server) return undefined;
        return { listen: server.addresses().map((a) => formatListen(a)), stats: server.stats(), fastPathAnswered: server.fastPathStats()?.answered };
      },
      rrl: () => (cluster ? counters?.stats.rrlStats : runtime.rrl?.stats()),
      ...(runtime.signer ? { dnssec: () => runtime.signer?.status() ?? [] } : {}),
      ...(counters ? { workers: () => ({ count: counters.workers, answered: counters.answered }) } : {}),
      ...(redis
        ? {
            redis: () => ({ target: redis.target, connected: redis.store.connected }),
            shared: () => readStatus(redis.store.redis, redis.store.keys, runtime.zones()),
          }
        : {}),
    });
  }

  private kindOf(targetId: string): string {
    for (const z of this.runtime.zones()) for (const t of z.targets) if (t.id === targetId) return t.check.kind;
    return 'unknown';
  }

  private createMetrics(): AdminMetrics {
    const runtime = this.runtime;
    const redis = this.options.redis;
    const cluster = this.options.cluster;
    const server = runtime.server;
    const observation = runtime.observation;
    // With workers, the DNS metrics read what renderMetrics() gathered just before.
    const workers = (): WorkerStats | undefined => this.workerCounters?.stats;
    const dns = cluster
      ? {
          dnsStats: () => workers()?.dnsStats,
          queryCounts: () => workers()?.queryCounts ?? [],
          fastPathAnswered: () => workers()?.fastPathAnswered,
          poolAnswers: () => workers()?.poolAnswers ?? [],
          siteAnswers: () => workers()?.siteAnswers ?? [],
          observerStats: () => workers()?.observerStats,
          workers: () => {
            const c = this.workerCounters;
            return c ? { running: c.workers, answered: c.answered, unanswered: cluster.stats.unanswered } : undefined;
          },
        }
      : {
          ...(server
            ? {
                dnsStats: () => server.stats(),
                queryCounts: () => server.queryCounts(),
                fastPathAnswered: () => server.fastPathStats()?.answered,
                siteAnswers: () => runtime.selector.sites.answerCounts(),
              }
            : {}),
          ...(observation
            ? {
                poolAnswers: () => observation.observer.answerCounts(),
                observerStats: () => observation.observer.stats(),
              }
            : {}),
        };
    return createMetrics({
      version: RONDO_VERSION,
      nodeId: runtime.nodeId,
      ...dns,
      targets: () => {
        const ids = new Set<string>();
        for (const z of runtime.zones()) for (const t of z.targets) ids.add(t.id);
        return [...ids];
      },
      health: () => runtime.store.view(),
      zoneLoads: () => runtime.zoneLoads.entries(),
      zoneWorkerCrashes: () => runtime.zoneWorkerCrashes(),
      ...(runtime.signer
        ? {
            dnssec: () => {
              const signer = runtime.signer;
              if (!signer) return undefined;
              return { signatures: signer.stats.signatures, signingSeconds: signer.stats.signingSeconds, earliestExpiry: signer.earliestExpiry(), zones: signer.status().length };
            },
          }
        : {}),
      siteChanges: () => runtime.selector.sites.changeCounts(),
      siteStates: () => currentSiteStates(runtime),
      membershipChanges: () => this.audit.changes(),
      ...(this.options.membership ? { membershipMembers: () => this.options.membership?.memberCounts() ?? [] } : {}),
      ...(redis ? { redisConnected: () => redis.store.connected } : {}),
      ...(cluster?.rrl ? { rrlStats: () => workers()?.rrlStats } : !cluster && runtime.rrl ? { rrlStats: () => runtime.rrl?.stats() } : {}),
    });
  }
}

/** Adds the skew-correction section of each `skew=correct` pool this process answers. */
function withSkewCorrection(model: ReportModel, ledgers: ReadonlyMap<string, SkewLedger>): ReportModel {
  if (ledgers.size === 0) return model;
  return {
    ...model,
    pools: model.pools.map((p) => {
      const ledger = ledgers.get(p.key);
      if (!ledger) return p;
      return { ...p, correction: skewCorrectionReport(ledger.stats(), ledger.demand, { ttl: p.ttl, answers: p.answers, targets: p.members.map((m) => m.targetShare) }) };
    }),
  };
}
