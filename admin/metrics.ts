/**
 * Prometheus metrics (prom-client, a registry of our own). Almost everything is read at scrape
 * time from counters the components keep anyway (DNS stats, the report's answer counters, the
 * health view, zone loads, RRL), so the query path does nothing for metrics beyond its own
 * integer increments. Only probe latencies are observed as they happen (one per probe, off the
 * query path).
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import { onFirstUse } from '../lib/on-first-use.js';
import type { HealthView } from '../model/health.js';
import type { PoolAnswerCounts } from '../report/observe.js';

/** What the DNS server counts (dns/server.ts `stats()`), structurally. */
export interface DnsStatsLike {
  readonly received: number;
  readonly dropped: number;
  readonly udp: number;
  readonly tcp: number;
  readonly truncated: number;
  readonly rcodes: Readonly<Record<string, number>>;
  readonly tcpAccepted: number;
  readonly tcpOpen: number;
  readonly tcpRejected: number;
  readonly tcpIdleClosed: number;
}

/** Responses per zone, question type and RCODE, when the DNS side counts them. */
export interface QueryCount {
  readonly zone: string;
  readonly qtype: string;
  readonly rcode: string;
  readonly count: number;
}

/** RRL counters (dns/rrl.ts `stats()`), structurally. */
export interface RrlStatsLike {
  readonly checked: number;
  readonly exempt: number;
  readonly limited: number;
  readonly slipped: number;
  readonly dropped: number;
  readonly entries: number;
}

/** Where the metrics come from. Every part is optional: a checker has no DNS, a server may have no Redis. */
export interface MetricsSource {
  readonly version: string;
  readonly nodeId: string;
  dnsStats?(): DnsStatsLike | undefined;
  queryCounts?(): Iterable<QueryCount>;
  /** UDP fast path answers so far. */
  fastPathAnswered?(): number | undefined;
  poolAnswers?(): readonly PoolAnswerCounts[];
  /** Resolver entries the report tracks one by one, and queries it could not track (cap). */
  observerStats?(): { readonly tracked: number; readonly untrackedQueries: number } | undefined;
  /** Every target of the served zones, and the view that decides them. */
  targets?(): readonly string[];
  health?(): HealthView;
  zoneLoads?(): Iterable<readonly [zone: string, counts: { readonly loaded: number; readonly failed: number }]>;
  /** Zone worker threads that died during a compile (each is restarted). */
  zoneWorkerCrashes?(): number;
  /** Present only when Redis is configured. */
  redisConnected?(): boolean;
  rrlStats?(): RrlStatsLike | undefined;
  /**
   * `rondo serve --workers N`: DNS worker processes running, how many answered this scrape's
   * request for their counters (the DNS metrics cover these), and requests unanswered since start.
   */
  workers?(): { readonly running: number; readonly answered: number; readonly unanswered: number } | undefined;
  /** DNSSEC online signing: signatures made, seconds spent signing, earliest expiry (epoch seconds). */
  dnssec?(): { readonly signatures: number; readonly signingSeconds: number; readonly earliestExpiry: number | undefined; readonly zones: number } | undefined;
  /** Pools with `map=` (issue 12): answers per site (site '-': the all-down rule's). */
  siteAnswers?(): readonly { readonly pool: string; readonly site: string; readonly count: number }[];
  /** Times each site of each pool went up or down. */
  siteChanges?(): readonly { readonly pool: string; readonly site: string; readonly to: string; readonly count: number }[];
  /** Each site's state now: its up share of weight against its threshold. */
  siteStates?(): readonly { readonly pool: string; readonly site: string; readonly up: boolean; readonly upShare: number; readonly threshold: number }[];
  /** Write-API and webhook changes since start (the audit log's counts), by who, action and result. */
  membershipChanges?(): Iterable<MembershipChangeCount>;
  /** Members the API added, per zone (what the overlay holds now). */
  membershipMembers?(): Iterable<readonly [zone: string, members: number]>;
}

export interface MembershipChangeCount {
  /** The token name, `externaldns`, or `redis` for changes announced by another server. */
  readonly by: string;
  /** e.g. `put-member`, `delete-pool`, `externaldns-apply`. */
  readonly action: string;
  /** `applied`, `refused` (bad input), `conflict`, `failed` (store unavailable). */
  readonly result: string;
  readonly count: number;
}

export interface AdminMetrics {
  readonly registry: Registry;
  /** One probe's outcome, from the check scheduler's 'probe' event. */
  observeProbe(kind: string, ok: boolean, latencyMs: number): void;
  /** The exposition text. */
  render(): Promise<string>;
  readonly contentType: string;
}

export const PROBE_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface CreateMetricsOptions {
  /** Node process metrics (CPU, memory, event-loop lag, GC). Default true. */
  readonly processMetrics?: boolean;
}

/** prom-client, loaded by the first createMetrics (only a server with `--http` makes one). */
const promClient = onFirstUse<typeof import('prom-client')>('prom-client');

const STATE_VALUE = { up: 1, down: 0, unknown: -1 } as const;

export function createMetrics(source: MetricsSource, options: CreateMetricsOptions = {}): AdminMetrics {
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = promClient();
  const registry = new Registry();
  const registers = [registry];
  /** A metric read at scrape time: reset, then one value per label set that `rows` yields. */
  const scraped = (kind: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[], rows: () => Iterable<readonly [Record<string, string>, number]>): void => {
    const config = {
      name,
      help,
      labelNames,
      registers,
      collect(this: Counter | Gauge) {
        this.reset();
        for (const [labels, value] of rows()) {
          if (this instanceof Counter) this.inc(labels, value);
          else this.set(labels, value);
        }
      },
    };
    if (kind === 'counter') new Counter(config);
    else new Gauge(config);
  };
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'rondo_info',
    help: 'Always 1; labels: the version and this process’s node id',
    labelNames: ['version', 'node'],
    registers,
    collect() {
      this.set({ version: source.version, node: source.nodeId }, 1);
    },
  });

  if (source.dnsStats) {
    const dnsStats = source.dnsStats.bind(source);
    new Counter({
      name: 'rondo_dns_responses_total',
      help: 'DNS responses sent, by RCODE',
      labelNames: ['rcode'],
      registers,
      collect() {
        this.reset();
        for (const [rcode, n] of Object.entries(dnsStats()?.rcodes ?? {})) this.inc({ rcode }, n);
      },
    });
    new Counter({
      name: 'rondo_dns_messages_total',
      help: 'DNS messages received, by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        this.reset();
        const s = dnsStats();
        if (!s) return;
        this.inc({ transport: 'udp' }, s.udp);
        this.inc({ transport: 'tcp' }, s.tcp);
      },
    });
    const scalar = (name: string, help: string, read: (s: DnsStatsLike) => number, kind: 'counter' | 'gauge'): void => {
      const config = {
        name,
        help,
        registers,
        collect(this: Counter | Gauge) {
          const s = dnsStats();
          if (!s) return;
          this.reset();
          if (this instanceof Counter) this.inc(read(s));
          else this.set(read(s));
        },
      };
      if (kind === 'counter') new Counter(config);
      else new Gauge(config);
    };
    scalar('rondo_dns_dropped_total', 'DNS messages dropped without an answer (malformed, QR set, unencodable)', (s) => s.dropped, 'counter');
    scalar('rondo_dns_truncated_total', 'UDP responses sent with TC=1', (s) => s.truncated, 'counter');
    scalar('rondo_dns_tcp_accepted_total', 'TCP connections accepted', (s) => s.tcpAccepted, 'counter');
    scalar('rondo_dns_tcp_rejected_total', 'TCP connections closed on accept (limit reached or shutting down)', (s) => s.tcpRejected, 'counter');
    scalar('rondo_dns_tcp_idle_closed_total', 'TCP connections closed for sending no complete query in time', (s) => s.tcpIdleClosed, 'counter');
    scalar('rondo_dns_tcp_connections', 'TCP connections open now', (s) => s.tcpOpen, 'gauge');
  }

  if (source.membershipChanges) {
    const read = source.membershipChanges.bind(source);
    scraped('counter', 'rondo_membership_changes_total', 'Changes asked of the write API and the ExternalDNS webhook, by token name, action and result (applied, refused, conflict, failed)', ['by', 'action', 'result'], () => [...read()].map((c) => [{ by: c.by, action: c.action, result: c.result }, c.count] as const));
  }
  if (source.membershipMembers) {
    const read = source.membershipMembers.bind(source);
    scraped('gauge', 'rondo_membership_members', 'Pool members added through the API (the overlay on the zone files), by zone', ['zone'], () => [...read()].map(([zone, n]) => [{ zone }, n] as const));
  }

  if (source.queryCounts) {
    const queryCounts = source.queryCounts.bind(source);
    scraped('counter', 'rondo_dns_queries_total', 'DNS queries answered, by zone, question type and RCODE', ['zone', 'qtype', 'rcode'], () => [...queryCounts()].map((q) => [{ zone: q.zone, qtype: q.qtype, rcode: q.rcode }, q.count] as const));
  }

  if (source.fastPathAnswered) {
    const read = source.fastPathAnswered.bind(source);
    new Counter({
      name: 'rondo_dns_fast_path_answers_total',
      help: 'UDP queries answered from pre-encoded answers',
      registers,
      collect() {
        const n = read();
        if (n === undefined) return;
        this.reset();
        this.inc(n);
      },
    });
  }

  if (source.poolAnswers) {
    const poolAnswers = source.poolAnswers.bind(source);
    new Counter({
      name: 'rondo_pool_answers_total',
      help: 'Pool answers per member: position="first" counts answers it came first in, "included" answers that carried it',
      labelNames: ['pool', 'type', 'member', 'position'],
      registers,
      collect() {
        this.reset();
        for (const p of poolAnswers()) {
          for (const m of p.members) {
            this.inc({ pool: p.name, type: p.type, member: m.address, position: 'first' }, m.first);
            this.inc({ pool: p.name, type: p.type, member: m.address, position: 'included' }, m.included);
          }
        }
      },
    });
  }

  if (source.siteAnswers) {
    const read = source.siteAnswers.bind(source);
    scraped('counter', 'rondo_site_answers_total', 'Answers of pools with map= per site (site="-": no site of the client\'s list was up, the all-down rule answered)', ['pool', 'site'], () => [...read()].map((c) => [{ pool: c.pool, site: c.site }, c.count] as const));
  }

  if (source.siteChanges) {
    const read = source.siteChanges.bind(source);
    scraped('counter', 'rondo_site_state_changes_total', 'Times a site of a pool with map= went up or down (its live weight crossed site-threshold)', ['pool', 'site', 'to'], () => [...read()].map((c) => [{ pool: c.pool, site: c.site, to: c.to }, c.count] as const));
  }

  if (source.siteStates) {
    const read = source.siteStates.bind(source);
    scraped('gauge', 'rondo_site_up', 'Site of a pool with map=: 1 while at least site-threshold of its members\' weight is up', ['pool', 'site'], () => [...read()].map((s) => [{ pool: s.pool, site: s.site }, s.up ? 1 : 0] as const));
    scraped('gauge', 'rondo_site_up_share', 'Share (0-1) of a site\'s member weight that is up; compare with rondo_site_threshold', ['pool', 'site'], () => [...read()].map((s) => [{ pool: s.pool, site: s.site }, s.upShare] as const));
    scraped('gauge', 'rondo_site_threshold', 'The pool\'s site-threshold (0-1]', ['pool', 'site'], () => [...read()].map((s) => [{ pool: s.pool, site: s.site }, s.threshold] as const));
  }

  if (source.observerStats) {
    const read = source.observerStats.bind(source);
    new Gauge({
      name: 'rondo_report_resolvers_tracked',
      help: 'Resolver keys the skew report tracks one by one (all pools)',
      registers,
      collect() {
        const s = read();
        if (s) this.set(s.tracked);
      },
    });
    new Counter({
      name: 'rondo_report_untracked_queries_total',
      help: 'Pool answers to resolvers not tracked one by one because the cap was reached',
      registers,
      collect() {
        const s = read();
        if (!s) return;
        this.reset();
        this.inc(s.untrackedQueries);
      },
    });
  }

  if (source.targets && source.health) {
    const targets = source.targets.bind(source);
    const health = source.health.bind(source);
    new Gauge({
      name: 'rondo_target_up',
      help: 'Decided health per target: 1 up, 0 down, -1 unknown (not decided yet, or stale)',
      labelNames: ['target'],
      registers,
      collect() {
        this.reset();
        const view = health();
        for (const id of targets()) this.set({ target: id }, STATE_VALUE[view.get(id)?.state ?? 'unknown']);
      },
    });
  }

  if (source.zoneLoads) {
    const zoneLoads = source.zoneLoads.bind(source);
    new Counter({
      name: 'rondo_zone_reloads_total',
      help: 'Zone loads (the first and every reload), by zone and result (loaded, failed)',
      labelNames: ['zone', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [zone, c] of zoneLoads()) {
          this.inc({ zone, result: 'loaded' }, c.loaded);
          this.inc({ zone, result: 'failed' }, c.failed);
        }
      },
    });
  }

  if (source.zoneWorkerCrashes) {
    const crashes = source.zoneWorkerCrashes.bind(source);
    new Counter({
      name: 'rondo_zone_worker_crashes_total',
      help: 'Zone compiler worker threads that died during a compile (out of memory, say); each is restarted and the zone retried once',
      registers,
      collect() {
        this.reset();
        this.inc(crashes());
      },
    });
  }

  if (source.redisConnected) {
    const connected = source.redisConnected.bind(source);
    new Gauge({
      name: 'rondo_redis_connected',
      help: '1 while the Redis connection (and, for DNS servers, the subscription) is up, else 0',
      registers,
      collect() {
        this.set(connected() ? 1 : 0);
      },
    });
  }

  if (source.rrlStats) {
    const rrlStats = source.rrlStats.bind(source);
    new Counter({
      name: 'rondo_rrl_responses_total',
      help: 'UDP responses seen by response rate limiting, by outcome (checked, exempt, limited, slipped, dropped)',
      labelNames: ['outcome'],
      registers,
      collect() {
        const s = rrlStats();
        if (!s) return;
        this.reset();
        for (const outcome of ['checked', 'exempt', 'limited', 'slipped', 'dropped'] as const) this.inc({ outcome }, s[outcome]);
      },
    });
    new Gauge({
      name: 'rondo_rrl_buckets',
      help: 'Client prefixes response rate limiting tracks now',
      registers,
      collect() {
        const s = rrlStats();
        if (s) this.set(s.entries);
      },
    });
  }

  if (source.workers) {
    const workers = source.workers.bind(source);
    new Gauge({
      name: 'rondo_workers',
      help: 'DNS worker processes (--workers), by whether they answered this scrape’s request for their counters (answered, unanswered)',
      labelNames: ['state'],
      registers,
      collect() {
        const w = workers();
        if (!w) return;
        this.set({ state: 'answered' }, w.answered);
        this.set({ state: 'unanswered' }, w.running - w.answered);
      },
    });
    new Counter({
      name: 'rondo_worker_stats_timeouts_total',
      help: 'Requests for a DNS worker’s counters that it did not answer in time (its counts were left out of that scrape)',
      registers,
      collect() {
        const w = workers();
        if (!w) return;
        this.reset();
        this.inc(w.unanswered);
      },
    });
  }

  if (source.dnssec) {
    const dnssec = source.dnssec;
    const gauge = (name: string, help: string, read: (d: NonNullable<ReturnType<typeof dnssec>>) => number | undefined, kind: 'gauge' | 'counter'): void => {
      if (kind === 'counter') {
        new Counter({
          name,
          help,
          registers,
          collect() {
            const d = dnssec();
            const v = d ? read(d) : undefined;
            this.reset();
            if (v !== undefined) this.inc(v);
          },
        });
        return;
      }
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const d = dnssec();
          const v = d ? read(d) : undefined;
          this.reset();
          if (v !== undefined) this.set(v);
        },
      });
    };
    gauge('rondo_dnssec_signatures_total', 'DNSSEC signatures made (at load, per pool plan, per negative answer, refreshes)', (d) => d.signatures, 'counter');
    gauge('rondo_dnssec_signing_seconds_total', 'Time spent making DNSSEC signatures', (d) => d.signingSeconds, 'counter');
    gauge('rondo_dnssec_earliest_expiry_seconds', 'Earliest expiration of the kept DNSSEC signatures, seconds since the epoch', (d) => d.earliestExpiry, 'gauge');
    gauge('rondo_dnssec_signed_zones', 'Zones signed online now', (d) => d.zones, 'gauge');
  }

  const probes = new Histogram({
    name: 'rondo_probe_latency_seconds',
    help: 'Health probe latency, by check kind and result (ok, fail)',
    labelNames: ['kind', 'result'],
    buckets: PROBE_BUCKETS_SECONDS,
    registers,
  });

  return {
    registry,
    contentType: registry.contentType,
    observeProbe(kind, ok, latencyMs) {
      if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
      probes.observe({ kind, result: ok ? 'ok' : 'fail' }, latencyMs / 1000);
    },
    render: () => registry.metrics(),
  };
}
