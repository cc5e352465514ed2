/**
 * `rondo serve --workers N`: N processes answer DNS on the same listen addresses.
 *
 * Node 20 has no SO_REUSEPORT for dgram or net (reusePort came in Node 22.12 for TCP and 23.1
 * for UDP), so this uses node:cluster: the primary process binds each listen address once and
 * shares the sockets with the workers (UDP: one socket read by every worker; TCP: the primary
 * accepts and hands connections round robin).
 *
 * The primary runs no DNS: it loads the zones, runs the checks and holds the one health store
 * (memory, or Redis with --redis), and sends its health view to every worker over IPC
 * (worker-health.ts), the whole view before a worker listens and then each change, so every
 * worker answers from the same health. Each worker loads and watches the zones itself; SIGHUP to
 * the primary reloads its zones and tells every worker to reload. A worker that dies is replaced
 * after a second; a worker whose primary is gone stops.
 *
 * The DNS counters live in the workers: the admin side (`--http`, and the observation snapshot
 * written to Redis) runs in the primary and asks the workers for their counters over IPC when it
 * needs them (worker-stats.ts), never on the query path.
 */
import type { DnssecKey } from '../dns/sign/keys.js';
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../lib/logger.js';
import type { ResponseRateLimiter } from '../dns/rrl.js';
import type { TcpLimits } from './listen.js';
import { Runtime, type HealthStoreLike } from './runtime.js';
import { formatListen, type ListenAddress } from './listen.js';
import { untilStopped, type Stoppable } from './signals.js';
import { HealthBroadcaster, IpcHealthSource, isPrimaryMessage, isWorkerMessage, type PrimaryMessage } from './worker-health.js';
import { isStatsReply, isStatsRequest, WorkerStatsCollector, workerStats, type StatsReply, type WorkerStatsSource } from './worker-stats.js';

/** The primary's part the admin side wraps: it starts, reloads and stops the runtime and the workers. */
export interface ClusterSide {
  readonly lifecycle: Stoppable;
  /** The workers' DNS counters, gathered on demand. */
  readonly stats: WorkerStatsSource;
  /** Where the workers answer DNS. */
  readonly listen: readonly ListenAddress[];
  /** Whether the workers rate-limit responses (RRL metrics are shown only then). */
  readonly rrl: boolean;
}

export interface ClusterServeOptions {
  readonly workers: number;
  readonly zonePaths: readonly string[];
  readonly listen: readonly ListenAddress[];
  readonly checks: boolean;
  readonly nodeId: string;
  readonly logger: Logger;
  readonly allowIncludeOutside: boolean;
  /** The shared store (Redis), made in the primary only; undefined: in memory. */
  readonly store: () => HealthStoreLike | undefined;
  /** Response rate limiting, one limiter per worker. */
  readonly rrl: () => ResponseRateLimiter | undefined;
  /** RFC 7766 TCP limits, per worker. */
  readonly tcp?: TcpLimits;
  /** DNSSEC keys by zone: each worker signs (its own ECDSA signatures; all validate). */
  readonly dnssecKeys?: ReadonlyMap<string, readonly DnssecKey[]>;
  /**
   * The primary's admin side (metrics, status, report, snapshots to Redis), wrapping the runtime
   * and the workers; called in the primary only. `describe()` is added to the ready line.
   */
  readonly admin?: (runtime: Runtime, cluster: ClusterSide) => Stoppable & { describe(): string };
}

/** How long stop() waits for a worker to exit after SIGTERM before SIGKILL. */
const WORKER_STOP_MS = 5000;
/** Delay before a worker that died is replaced, so a crash loop does not spin. */
const RESTART_DELAY_MS = 1000;

/** Runs this process's part: the primary or one worker. Resolves when it has stopped. */
export async function serveWithWorkers(options: ClusterServeOptions): Promise<void> {
  if (cluster.isWorker) {
    await runWorker(options);
    return;
  }
  const store = options.store();
  if (!store && !options.checks) options.logger.warn('--no-checks without --redis: no health information at all, every member is answered by its pool\'s unknown rule');
  const runtime = new Runtime({
    zonePaths: options.zonePaths,
    listen: [],
    checks: options.checks,
    nodeId: options.nodeId,
    logger: options.logger,
    allowIncludeOutside: options.allowIncludeOutside,
    store,
  });
  const primary = new ClusterPrimary(runtime, options.workers, options.logger);
  const admin = options.admin?.(runtime, { lifecycle: primary, stats: primary.stats, listen: options.listen, rrl: options.rrl() !== undefined });
  const serving = (): string => `serving on ${options.listen.map(formatListen).join(', ')} with ${options.workers} workers`;
  await untilStopped(admin ?? primary, options.logger, () => [serving(), admin?.describe() ?? ''].filter((s) => s !== '').join('; '));
}

async function runWorker(options: ClusterServeOptions): Promise<void> {
  const id = cluster.worker?.id ?? 0;
  const logger = options.logger.child({ worker: id });
  const health = new IpcHealthSource((message) => process.send?.(message));
  const runtime = new Runtime({
    zonePaths: options.zonePaths,
    listen: options.listen,
    checks: false,
    nodeId: `${options.nodeId}/w${id}`,
    logger,
    allowIncludeOutside: options.allowIncludeOutside,
    store: health,
    rrl: options.rrl(),
    tcp: options.tcp,
    dnssecKeys: options.dnssecKeys,
    sharedListeners: true,
  });
  const onMessage = (message: unknown): void => {
    if (isStatsRequest(message)) {
      const reply: StatsReply = { type: 'rondo:stats', id: message.id, stats: workerStats(runtime, message.snapshotResolvers) };
      process.send?.(reply, undefined, {}, () => undefined);
      return;
    }
    if (!isPrimaryMessage(message)) return;
    if (message.type === 'rondo:health') health.receive(message);
    else runtime.reload().catch((err: unknown) => logger.error({ err }, 'reload failed'));
  };
  process.on('message', onMessage);
  // The primary is gone (killed, crashed): nobody feeds health any more, so stop like on SIGTERM.
  const orphaned = (): void => {
    logger.error('primary process gone, stopping');
    process.kill(process.pid, 'SIGTERM');
  };
  process.once('disconnect', orphaned);
  const worker: Stoppable = {
    start: async () => {
      await runtime.start();
      process.send?.({ type: 'rondo:ready' });
    },
    stop: () => runtime.stop(),
    reload: () => runtime.reload(),
  };
  try {
    await untilStopped(worker, logger, () => `worker ${id} serving`);
  } finally {
    process.off('message', onMessage);
    process.off('disconnect', orphaned);
    // The IPC channel keeps the event loop alive; let the process end.
    if (process.connected) process.disconnect();
  }
}

/** The primary: forks the workers, feeds them health, replaces the ones that die. */
export class ClusterPrimary implements Stoppable {
  /** The workers' DNS counters, for the admin side. */
  readonly stats: WorkerStatsCollector;
  private readonly log: Logger;
  private readonly workers = new Set<Worker>();
  private broadcaster: HealthBroadcaster | undefined;
  private stopping = false;
  private readonly restarts = new Set<NodeJS.Timeout>();

  constructor(
    private readonly runtime: Runtime,
    private readonly count: number,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'cluster' });
    this.stats = new WorkerStatsCollector(() => this.workers);
  }

  async start(): Promise<void> {
    await this.runtime.start();
    this.broadcaster = new HealthBroadcaster(this.runtime.store, () => this.runtime.zones(), (message) => this.broadcast(message));
    await Promise.all(Array.from({ length: this.count }, () => this.fork()));
  }

  async reload(): Promise<void> {
    await this.runtime.reload();
    this.broadcast({ type: 'rondo:reload' });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
    await Promise.all([...this.workers].map((w) => stopWorker(w)));
    this.broadcaster?.close();
    await this.runtime.stop();
  }

  /** Forks one worker; resolves when it is ready, rejects if it exits first. */
  private fork(): Promise<void> {
    const worker = cluster.fork();
    this.workers.add(worker);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: unknown) => {
        if (isStatsReply(message)) {
          this.stats.receive(worker.id, message);
          return;
        }
        if (!isWorkerMessage(message)) return;
        if (message.type === 'rondo:hello') {
          if (this.broadcaster) send(worker, this.broadcaster.full());
        } else if (!ready) {
          ready = true;
          this.log.info({ worker: worker.id, pid: worker.process.pid }, 'worker ready');
          resolve();
        }
      });
      worker.on('error', (err) => this.log.warn({ err, worker: worker.id }, 'worker channel error'));
      worker.once('exit', (code, signal) => {
        this.workers.delete(worker);
        this.stats.forget(worker.id);
        if (!ready) {
          reject(new Error(`worker ${worker.id} exited (${signal ?? `code ${code}`}) before it was ready; see its log above`));
          return;
        }
        if (this.stopping) return;
        this.log.error({ worker: worker.id, code, signal }, 'worker died, starting another');
        const timer = setTimeout(() => {
          this.restarts.delete(timer);
          this.fork().catch((err: unknown) => this.log.error({ err }, 'replacement worker failed to start'));
        }, RESTART_DELAY_MS);
        this.restarts.add(timer);
      });
    });
  }

  private broadcast(message: PrimaryMessage): void {
    for (const worker of this.workers) send(worker, message);
  }
}

function send(worker: Worker, message: PrimaryMessage): void {
  if (!worker.isConnected()) return;
  // A worker that just died may still look connected: ignore the send error, its exit handler acts.
  worker.send(message, () => undefined);
}

function stopWorker(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), WORKER_STOP_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.process.kill('SIGTERM');
  });
}
