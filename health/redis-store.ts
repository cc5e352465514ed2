/**
 * Health shared through Redis, for many DNS servers and checkers: one process's connections,
 * heartbeat and timers, with a writer (health/redis-writer.ts) when it checks and a reader
 * (health/redis-reader.ts) when it serves DNS. Role `checker` writes, `dns` reads, `both` (`rondo
 * serve` with checks on) does both, and sees its own verdicts at once, with or without Redis.
 * Operator overrides are written here too (every reader applies them).
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { HealthChange, HealthSource, HealthView, OverrideControl, OverrideKind, Verdict, VerdictSink } from '../model/health.js';
import type { Quorum } from './consensus.js';
import { defaultNodeId, Heartbeat, type NodeRole } from './heartbeat.js';
import { DEFAULT_REDIS_PREFIX, healthKeys, type HealthKeys, type OverrideScope } from './keys.js';
import { clearOverride, setOverride } from './overrides.js';
import {
  closeClient,
  ConnectionWatch,
  createRedisClient,
  describeRedisTarget,
  waitReady,
  type RedisConnectionOptions,
} from './redis-connection.js';
import { RedisHealthReader, type QuorumLookup, type TargetQuorum } from './redis-reader.js';
import { RedisVerdictWriter } from './redis-writer.js';
import { HealthViews } from './view.js';

export type { QuorumLookup, TargetQuorum };

export interface RedisHealthStoreOptions {
  readonly connection: RedisConnectionOptions;
  /** `dns` reads, `checker` writes, `both` does both. Also what the heartbeat reports. */
  readonly role: NodeRole;
  readonly logger: Logger;
  /** Key prefix, default `rondo`. */
  readonly prefix?: string | undefined;
  /** Default `${hostname}:${pid}`. */
  readonly nodeId?: string | undefined;
  /** Reported in the heartbeat. */
  readonly version?: string | undefined;
  readonly clock?: Clock | undefined;
  /** Milliseconds between pipelined writes of unchanged verdicts. Default 200. */
  readonly batchMs?: number | undefined;
  /**
   * Milliseconds between full re-reads. Default 5000; 0 = never. With many keys the reader waits
   * longer (3 ms per verdict key, at most a minute: see RedisHealthReader.periodicResync);
   * reconnects re-read at once.
   */
  readonly resyncIntervalMs?: number | undefined;
  /** Milliseconds between staleness sweeps. Default 1000; 0 = never. */
  readonly sweepIntervalMs?: number | undefined;
  /** Milliseconds between heartbeats. Default 2000; 0 = no heartbeat. */
  readonly heartbeatIntervalMs?: number | undefined;
  /** How long `start()` waits for Redis before going on without it. Default 5000. */
  readonly startTimeoutMs?: number | undefined;
  /** A verdict field this long past its expiry is deleted from its hash by readers. Default 60000. */
  readonly pruneStaleAfterMs?: number | undefined;
  /** Longest pause between reconnect attempts, milliseconds. Default 2000. */
  readonly maxRetryDelayMs?: number | undefined;
  /** Milliseconds before a Redis command without reply fails. Default 2000. */
  readonly commandTimeoutMs?: number | undefined;
  /**
   * Readers: after Redis returns from an outage, milliseconds during which the verdicts held
   * through it still count, so checkers can write theirs again first. Default 5000.
   */
  readonly reconnectGraceMs?: number | undefined;
}

export class RedisHealthStore implements VerdictSink, HealthSource, OverrideControl {
  readonly nodeId: string;
  readonly keys: HealthKeys;
  readonly role: NodeRole;

  private readonly clock: Clock;
  private readonly startTimeoutMs: number;
  private readonly log: Logger;
  private readonly resyncIntervalMs: number;
  private readonly sweepIntervalMs: number;

  private readonly client: Redis;
  private readonly subscriber: Redis | undefined;
  private readonly watch: ConnectionWatch;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly writer: RedisVerdictWriter;
  private readonly reader: RedisHealthReader | undefined;
  /** What a store that does not read shows: nothing, ever. */
  private readonly noViews: HealthViews | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  constructor(options: RedisHealthStoreOptions) {
    this.role = options.role;
    this.keys = healthKeys(options.prefix ?? DEFAULT_REDIS_PREFIX, { cluster: (options.connection.cluster?.length ?? 0) > 0 });
    this.nodeId = options.nodeId ?? defaultNodeId();
    this.clock = options.clock ?? systemClock;
    const log = options.logger.child({ component: 'health', store: 'redis' });
    this.log = log;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 5000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000;
    this.startTimeoutMs = options.startTimeoutMs ?? 5000;
    const target = describeRedisTarget(options.connection);

    const connection = { ...options.connection, maxRetryDelayMs: options.maxRetryDelayMs ?? options.connection.maxRetryDelayMs };
    const name = `rondo:${this.role}:${this.nodeId}`.replace(/[^\x21-\x7e]/g, '_');
    this.client = createRedisClient(connection, 'commands', log, { connectionName: name, commandTimeoutMs: options.commandTimeoutMs });
    const reads = options.role !== 'checker';
    this.subscriber = reads ? createRedisClient(connection, 'subscriber', log, { connectionName: `${name}:sub` }) : undefined;
    this.watch = new ConnectionWatch(this.subscriber ? [this.client, this.subscriber] : [this.client], log, target);
    const heartbeatMs = options.heartbeatIntervalMs ?? 2000;
    this.heartbeat =
      heartbeatMs > 0
        ? new Heartbeat(this.client, this.keys, { nodeId: this.nodeId, role: this.role, version: options.version ?? '', intervalMs: heartbeatMs, clock: this.clock }, log)
        : undefined;

    this.writer = new RedisVerdictWriter({ client: this.client, keys: this.keys, clock: this.clock, log, batchMs: options.batchMs ?? 200 });
    this.reader = this.subscriber
      ? new RedisHealthReader({
          client: this.client,
          subscriber: this.subscriber,
          keys: this.keys,
          clock: this.clock,
          log,
          pruneStaleAfterMs: options.pruneStaleAfterMs ?? 60_000,
          reconnectGraceMs: options.reconnectGraceMs ?? 5000,
          stallAfterMs: 2 * this.sweepIntervalMs + 500,
        })
      : undefined;
    this.noViews = this.reader ? undefined : new HealthViews();

    this.client.on('ready', () => this.onCommandsReady());
    this.subscriber?.on('ready', () => this.reader?.onSubscriberReady(this.watch.allReady));
  }

  /** True while the command connection (and, for readers, the subscription) is up. */
  get connected(): boolean {
    return this.watch.allReady;
  }

  /** The command connection, e.g. for `readStatus` in the same process. */
  get redis(): Redis {
    return this.client;
  }

  /**
   * Connects, subscribes and (readers) loads everything. Resolves when the view is warm, or after
   * `startTimeoutMs` without Redis (logged once at error; the store catches up when Redis comes),
   * or after `startTimeoutMs` of reading (a million targets' verdicts take longer: the rest is
   * read while the server answers, and members not read yet follow their pool's unknown rule).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    this.writer.start();
    const deadline = performance.now() + this.startTimeoutMs;
    this.client.connect().catch(() => undefined);
    this.subscriber?.connect().catch(() => undefined);
    const ready = await waitReady(this.client, this.startTimeoutMs);
    if (ready && this.subscriber && this.reader) {
      const remaining = () => Math.max(0, deadline - performance.now());
      if (await waitReady(this.subscriber, remaining())) await Promise.race([this.reader.ensureSubscribed(), waitMs(remaining())]);
    }
    if (ready && this.reader) {
      const read = this.reader.resync().then(
        () => true,
        () => true,
      );
      const warm = await Promise.race([read, waitMs(Math.max(0, deadline - performance.now())).then(() => false)]);
      if (!warm) this.log.warn({ waitedMs: this.startTimeoutMs }, "health still being read from Redis: answering meanwhile (members not read yet follow their pool's unknown rule)");
    }
    if (!ready) this.watch.markUnreachable(`not ready within ${this.startTimeoutMs}ms`);
    if (this.state !== 'starting') return; // stopped meanwhile
    this.state = 'running';
    this.reader?.begin();
    this.heartbeat?.start();
    if (this.reader && this.resyncIntervalMs > 0) this.every(this.resyncIntervalMs, () => this.reader?.periodicResync());
    if (this.sweepIntervalMs > 0) this.every(this.sweepIntervalMs, () => this.sweep());
  }

  /** Flushes what is queued (bounded by the command timeout), removes the heartbeat, disconnects. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state !== 'new';
    this.state = 'stopped';
    for (const t of this.timers) clearInterval(t);
    this.reader?.stop();
    await this.writer.stop();
    if (wasRunning) await this.heartbeat?.stop();
    this.watch.close();
    await Promise.all([closeClient(this.client), this.subscriber ? closeClient(this.subscriber) : Promise.resolve()]);
  }

  // ---- VerdictSink ---------------------------------------------------------------------------

  publish(verdict: Verdict): void {
    if (this.state === 'stopped') return;
    // A process that also serves DNS sees its own verdicts at once, with or without Redis.
    if (this.writer.publish(verdict)) this.reader?.applyVerdicts([verdict]);
  }

  /** Writes everything queued now (tests and shutdown; normally the batch timer does it). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  // ---- HealthSource --------------------------------------------------------------------------

  view(): HealthView {
    return (this.reader ?? this.noViews!).view();
  }

  subscribe(listener: (change: HealthChange) => void): () => void {
    return (this.reader ?? this.noViews!).subscribe(listener);
  }

  /**
   * How much this store holds, for tests and diagnostics (issue 7: bounded by the live targets and
   * checkers, not by every target or checker identity ever seen).
   */
  heldCounts(): { targets: number; verdicts: number; checkers: number; written: number; queued: number } {
    return { ...(this.reader?.heldCounts() ?? { targets: 0, verdicts: 0, checkers: 0 }), ...this.writer.counts() };
  }

  /** The quorum of one target (several when pools sharing it disagree: the strictest wins). */
  setQuorum(targetId: string, quorum: Quorum | readonly Quorum[]): void {
    this.reader?.setQuorum(targetId, quorum);
  }

  /** Replaces every target's quorum (targets not listed fall back to `majority`). */
  setTargets(targets: readonly TargetQuorum[]): void {
    this.reader?.setTargets(targets);
  }

  /** The served targets' quorums, looked up in the zones (RedisHealthReader.setQuorumLookup); a checker reads nothing. */
  setQuorumLookup(lookup: QuorumLookup): void {
    this.reader?.setQuorumLookup(lookup);
  }

  /** Reads every verdict and override again (readers; coalesced). */
  resync(): Promise<void> {
    return this.reader?.resync() ?? Promise.resolve();
  }

  // ---- Overrides -----------------------------------------------------------------------------

  /** OverrideControl: sets or clears a target's override in Redis (every server applies it). */
  async setOverride(targetId: string, override: OverrideKind | undefined, untilMs?: number): Promise<void> {
    await this.writeOverride({ kind: 'target', targetId }, override, untilMs);
  }

  /** Sets or clears the override of a pool member (pool name + address), checked or not. */
  async setMemberOverride(pool: string, address: string, override: OverrideKind | undefined, untilMs?: number): Promise<void> {
    await this.writeOverride({ kind: 'member', pool, address }, override, untilMs);
  }

  private async writeOverride(scope: OverrideScope, override: OverrideKind | undefined, untilMs: number | undefined): Promise<void> {
    if (override === undefined) {
      await clearOverride(this.client, this.keys, scope);
      this.reader?.applyOverride(scope, null);
      return;
    }
    const ttlMs = untilMs === undefined ? undefined : Math.max(1, Math.ceil(untilMs - this.clock.now()));
    const record = await setOverride(this.client, this.keys, scope, override, { ttlMs, by: this.nodeId, clock: this.clock });
    this.reader?.applyOverride(scope, record);
  }

  // ---- Internals -----------------------------------------------------------------------------

  private sweep(): void {
    this.writer.sweep(this.clock.now());
    this.reader?.sweep();
  }

  private onCommandsReady(): void {
    if (this.state !== 'running') return;
    this.writer.rewriteAll();
    void this.heartbeat?.beat();
    this.reader?.onCommandsReady(this.watch.allReady);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }
}

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
