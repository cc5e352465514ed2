/**
 * The DNS counters of `rondo serve --workers N`, gathered for the admin side. The workers answer
 * DNS and keep the counters (DNS stats, queries per zone, fast-path answers, the skew report's
 * observations, RRL); the primary holds the admin HTTP server. On each scrape, status or report
 * (never per query) the primary asks every worker over the cluster IPC channel and sums what comes
 * back within `timeoutMs`; a worker that does not answer in time is left out of that result and
 * counted.
 *
 * Each request carries an id, so a late reply to an earlier request is ignored.
 */
import type { DnsStatsLike, QueryCount, RrlStatsLike } from '../admin/metrics.js';
import type { PoolAnswerCounts } from '../report/observe.js';
import { mergeAllSnapshots, type ObservationSnapshot } from '../report/snapshot.js';
import type { Runtime } from './runtime.js';

/** What one worker counted since it started (or a sum over workers). */
export interface WorkerStats {
  readonly dnsStats?: DnsStatsLike | undefined;
  readonly queryCounts: readonly QueryCount[];
  readonly fastPathAnswered?: number | undefined;
  readonly poolAnswers: readonly PoolAnswerCounts[];
  readonly observerStats?: { readonly tracked: number; readonly untrackedQueries: number } | undefined;
  readonly rrlStats?: RrlStatsLike | undefined;
  /** Only when asked for (a report, or the snapshot written to Redis): it is the large part. */
  readonly observerSnapshot?: ObservationSnapshot | undefined;
}

export type StatsRequest = {
  readonly type: 'rondo:stats-request';
  readonly id: number;
  /** Resolvers kept one by one per pool in the snapshot; null: no snapshot. */
  readonly snapshotResolvers: number | null;
};

export type StatsReply = { readonly type: 'rondo:stats'; readonly id: number; readonly stats: WorkerStats };

export function isStatsRequest(value: unknown): value is StatsRequest {
  const v = value as Partial<StatsRequest> | null;
  return v?.type === 'rondo:stats-request' && typeof v.id === 'number';
}

export function isStatsReply(value: unknown): value is StatsReply {
  const v = value as Partial<StatsReply> | null;
  return v?.type === 'rondo:stats' && typeof v.id === 'number' && typeof v.stats === 'object' && v.stats !== null;
}

/** A worker's side: its runtime's counters now, as a plain object that crosses IPC. */
export function workerStats(runtime: Runtime, snapshotResolvers: number | null, nowMs = Date.now()): WorkerStats {
  const server = runtime.server;
  const observation = runtime.observation;
  const observerStats = observation?.observer.stats();
  const rrl = runtime.rrl?.stats();
  return {
    dnsStats: server?.stats(),
    // The cells are live, mutable objects: copy them.
    queryCounts: server ? [...server.queryCounts()].map((c) => ({ zone: c.zone, qtype: c.qtype, rcode: c.rcode, count: c.count })) : [],
    fastPathAnswered: server?.fastPathStats()?.answered,
    poolAnswers: observation?.observer.answerCounts() ?? [],
    observerStats: observerStats ? { tracked: observerStats.tracked, untrackedQueries: observerStats.untrackedQueries } : undefined,
    rrlStats: rrl ? { checked: rrl.checked, exempt: rrl.exempt, limited: rrl.limited, slipped: rrl.slipped, dropped: rrl.dropped, entries: rrl.entries } : undefined,
    observerSnapshot: snapshotResolvers === null || !observation ? undefined : observation.observer.toSnapshot(nowMs, { maxResolversPerPool: snapshotResolvers }),
  };
}

function sumDnsStats(list: readonly DnsStatsLike[]): DnsStatsLike | undefined {
  if (list.length === 0) return undefined;
  const rcodes: Record<string, number> = {};
  const total = { received: 0, dropped: 0, udp: 0, tcp: 0, truncated: 0, tcpAccepted: 0, tcpOpen: 0, tcpRejected: 0, tcpIdleClosed: 0 };
  for (const s of list) {
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += s[key];
    for (const [rcode, n] of Object.entries(s.rcodes)) rcodes[rcode] = (rcodes[rcode] ?? 0) + n;
  }
  return { ...total, rcodes };
}

function sumQueryCounts(list: readonly (readonly QueryCount[])[]): QueryCount[] {
  const cells = new Map<string, { zone: string; qtype: string; rcode: string; count: number }>();
  for (const counts of list) {
    for (const q of counts) {
      const key = `${q.zone}\u0000${q.qtype}\u0000${q.rcode}`;
      const cell = cells.get(key);
      if (cell) cell.count += q.count;
      else cells.set(key, { zone: q.zone, qtype: q.qtype, rcode: q.rcode, count: q.count });
    }
  }
  return [...cells.values()];
}

/** Pools meet by key, members by address (workers load the same zones, maybe not the same version). */
function sumPoolAnswers(list: readonly (readonly PoolAnswerCounts[])[]): PoolAnswerCounts[] {
  const pools = new Map<string, { key: string; name: string; type: 'A' | 'AAAA'; answersTotal: number; members: Map<string, { address: string; first: number; included: number }> }>();
  for (const answers of list) {
    for (const p of answers) {
      let pool = pools.get(p.key);
      if (!pool) {
        pool = { key: p.key, name: p.name, type: p.type, answersTotal: 0, members: new Map() };
        pools.set(p.key, pool);
      }
      pool.answersTotal += p.answersTotal;
      for (const m of p.members) {
        const member = pool.members.get(m.address);
        if (member) {
          member.first += m.first;
          member.included += m.included;
        } else {
          pool.members.set(m.address, { address: m.address, first: m.first, included: m.included });
        }
      }
    }
  }
  return [...pools.values()].map((p) => ({ key: p.key, name: p.name, type: p.type, answersTotal: p.answersTotal, members: [...p.members.values()] }));
}

function sumOptional<T extends object>(list: readonly (T | undefined)[], keys: readonly (keyof T & string)[]): T | undefined {
  const present = list.filter((s): s is T => s !== undefined);
  if (present.length === 0) return undefined;
  const out: Record<string, number> = {};
  for (const key of keys) out[key] = present.reduce((n, s) => n + (s[key] as number), 0);
  return out as T;
}

/**
 * The workers' counters summed. The merged snapshot counts as one server's (`sources: 1`): the
 * workers are one DNS server, and a report merged from Redis should say how many servers it covers.
 */
export function sumWorkerStats(list: readonly WorkerStats[]): WorkerStats {
  const fast = list.map((s) => s.fastPathAnswered).filter((n): n is number => n !== undefined);
  const snapshot = mergeAllSnapshots(list.flatMap((s) => (s.observerSnapshot ? [s.observerSnapshot] : [])));
  return {
    dnsStats: sumDnsStats(list.flatMap((s) => (s.dnsStats ? [s.dnsStats] : []))),
    queryCounts: sumQueryCounts(list.map((s) => s.queryCounts)),
    fastPathAnswered: fast.length > 0 ? fast.reduce((a, b) => a + b, 0) : undefined,
    poolAnswers: sumPoolAnswers(list.map((s) => s.poolAnswers)),
    observerStats: sumOptional(
      list.map((s) => s.observerStats),
      ['tracked', 'untrackedQueries'],
    ),
    rrlStats: sumOptional(
      list.map((s) => s.rrlStats),
      ['checked', 'exempt', 'limited', 'slipped', 'dropped', 'entries'],
    ),
    observerSnapshot: snapshot ? { ...snapshot, sources: 1 } : undefined,
  };
}

/** One gathering: the sum, and how many workers it covers. */
export interface CollectedStats {
  readonly stats: WorkerStats;
  /** Workers asked (the live ones). */
  readonly workers: number;
  /** Workers whose reply arrived in time (the sum covers these). */
  readonly answered: number;
}

/** What the admin side needs: AdminService calls this on each scrape, status and report. */
export interface WorkerStatsSource {
  /** `snapshotResolvers`: resolvers kept per pool in each worker's snapshot; null for none. */
  collect(snapshotResolvers: number | null): Promise<CollectedStats>;
  /** Requests a worker did not answer in time, since start. */
  readonly unanswered: number;
}

/** A worker as the collector sees it (a node:cluster Worker fits). */
export interface StatsWorker {
  readonly id: number;
  isConnected(): boolean;
  send(message: StatsRequest, callback: (error: Error | null) => void): boolean;
}

/** How long the primary waits for the workers' counters. */
export const WORKER_STATS_TIMEOUT_MS = 1000;

interface Pending {
  readonly expected: Set<number>;
  readonly replies: WorkerStats[];
  readonly done: () => void;
}

/**
 * What of a worker's stats still counts once it is gone (or while it is late): the counters, with
 * the gauges (open TCP connections, tracked resolvers, RRL entries) at zero and no snapshot.
 */
function countersOnly(stats: WorkerStats): WorkerStats {
  return {
    dnsStats: stats.dnsStats ? { ...stats.dnsStats, tcpOpen: 0 } : undefined,
    queryCounts: stats.queryCounts,
    fastPathAnswered: stats.fastPathAnswered,
    poolAnswers: stats.poolAnswers,
    observerStats: stats.observerStats ? { tracked: 0, untrackedQueries: stats.observerStats.untrackedQueries } : undefined,
    rrlStats: stats.rrlStats ? { ...stats.rrlStats, entries: 0 } : undefined,
  };
}

/**
 * The primary's side: asks every live worker, sums what comes back in time.
 *
 * The sums are Prometheus counters, so they never go down (issue 15): each worker's last reply is
 * kept; a worker that dies leaves its last counters in a retired total that every later sum
 * includes (its replacement starts from zero on top of it), and a worker that does not answer in
 * time counts with its last counters. What a worker counted after its last reply and before it
 * died is lost, never subtracted.
 */
export class WorkerStatsCollector implements WorkerStatsSource {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private unansweredCount = 0;
  /** Each live worker's counters as of its last reply. */
  private readonly last = new Map<number, WorkerStats>();
  /** The counters of the workers that are gone. */
  private retired: WorkerStats | undefined;

  constructor(
    private readonly workers: () => Iterable<StatsWorker>,
    private readonly timeoutMs = WORKER_STATS_TIMEOUT_MS,
  ) {}

  get unanswered(): number {
    return this.unansweredCount;
  }

  collect(snapshotResolvers: number | null): Promise<CollectedStats> {
    const id = this.nextId++;
    const asked = [...this.workers()].filter((w) => w.isConnected());
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        this.unansweredCount += entry.expected.size;
        const parts = [...entry.replies];
        for (const workerId of entry.expected) {
          const last = this.last.get(workerId);
          if (last !== undefined) parts.push(countersOnly(last));
        }
        if (this.retired !== undefined) parts.push(this.retired);
        resolve({ stats: sumWorkerStats(parts), workers: asked.length, answered: entry.replies.length });
      };
      const entry: Pending = { expected: new Set(asked.map((w) => w.id)), replies: [], done: finish };
      const timer = setTimeout(finish, asked.length === 0 ? 0 : this.timeoutMs);
      timer.unref();
      if (asked.length === 0) {
        finish();
        return;
      }
      this.pending.set(id, entry);
      const request: StatsRequest = { type: 'rondo:stats-request', id, snapshotResolvers };
      for (const worker of asked) {
        // A worker that died meanwhile: the send fails and it simply does not answer.
        worker.send(request, () => undefined);
      }
    });
  }

  /** Feed every stats reply from a worker here. */
  receive(workerId: number, reply: StatsReply): void {
    const entry = this.pending.get(reply.id);
    if (!entry?.expected.delete(workerId)) return;
    entry.replies.push(reply.stats);
    this.last.set(workerId, countersOnly(reply.stats));
    if (entry.expected.size === 0) entry.done();
  }

  /** A worker that exited will not answer: stop waiting for it. */
  forget(workerId: number): void {
    const last = this.last.get(workerId);
    if (last !== undefined) {
      this.last.delete(workerId);
      this.retired = countersOnly(sumWorkerStats(this.retired === undefined ? [last] : [this.retired, last]));
    }
    for (const entry of this.pending.values()) {
      if (entry.expected.delete(workerId) && entry.expected.size === 0) entry.done();
    }
  }
}
