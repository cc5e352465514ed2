/**
 * Health shared through Redis, for many DNS servers and checkers.
 *
 * Writing (role `checker` or `both`): `publish(verdict)` never waits. The latest verdict per
 * (target, checker) is queued; a state change (or a first verdict) is flushed on the next tick and
 * announced on `{prefix}:changes`; unchanged refreshes are flushed in one pipeline every `batchMs`.
 * Each verdict is one `EVALSHA` (HSET of the checker's field, PTTL, and a PEXPIRE when the hash has
 * less than the verdict's ttl left; never shortening it, so a key whose checkers all died vanishes). While Redis is
 * away the queue keeps only the latest verdict per (target, checker); when Redis is back ('ready')
 * every verdict still fresh is written and announced again, so an emptied (restarted) Redis is
 * refilled at once.
 *
 * Reading (role `dns` or `both`): `start()` subscribes, then loads every verdict and override
 * (warm start). Change messages carry the verdicts, so they apply without a round trip. Everything
 * is read again after a reconnect and every `resyncIntervalMs`; staleness is swept every
 * `sweepIntervalMs`. A resync merges (newest `at` wins per checker) and never drops a verdict that
 * is still fresh just because Redis lacks it: after a restart that lost the data, the DNS side keeps
 * its view until the checkers have written theirs again. `view()` never touches Redis. What is held
 * is bounded by the live targets and checkers: a checker's verdicts go when they lapse, and a
 * target that is not ours (not in `setTargets`) leaves the view once no verdict or override of it
 * is left.
 *
 * Holding the view through an outage: verdicts live a few check intervals, far shorter than an
 * outage may last, and nothing can refresh them while Redis is away. So from the moment a reader
 * loses Redis, verdict freshness is judged at that moment instead of now (the view stays exactly
 * as it was: no dead member drifts back through `unknown`), and after Redis returns the hold lasts
 * `reconnectGraceMs` more, time for the checkers to write their verdicts again. Overrides keep
 * their own wall-clock expiry.
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { decodeMessage, decodeVerdictField, encodeMessage, encodeVerdictField, type OverrideRecord } from './codec.js';
import { decideConsensus, DEFAULT_QUORUM, isFresh, type Quorum } from './consensus.js';
import { defaultNodeId, Heartbeat, type NodeRole } from './heartbeat.js';
import { DEFAULT_REDIS_PREFIX, healthKeys, memberKey, scopeId, type HealthKeys, type OverrideScope } from './keys.js';
import { significantlyDifferent } from '../model/health.js';
import { clearOverride, loadOverrides, overrideActive, setOverride } from './overrides.js';
import {
  closeClient,
  ConnectionWatch,
  createRedisClient,
  describeRedisTarget,
  redisErrorForLog,
  scanKeys,
  waitReady,
  type RedisConnectionOptions,
} from './redis-connection.js';
import type {
  HealthChange,
  HealthSource,
  HealthView,
  OverrideControl,
  OverrideKind,
  TargetHealth,
  TargetState,
  Verdict,
  VerdictSink,
} from '../model/health.js';

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
  /** Milliseconds between full re-reads. Default 5000; 0 = never. */
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

export interface TargetQuorum {
  readonly id: string;
  readonly quorum: Quorum | readonly Quorum[];
}

interface PendingWrite {
  readonly verdict: Verdict;
  /** Announce on the channel (state changed, first write, or rewrite after reconnect). */
  readonly announce: boolean;
}

interface HeldOverride {
  readonly scope: OverrideScope;
  readonly record: OverrideRecord;
  /** Local sequence number of the change that set it (a resync does not undo newer messages). */
  readonly seq: number;
}

/**
 * HSET the checker's field, then make sure the hash outlives this verdict: when less than its ttl
 * is left, extend the expiry to 2 × ttl. Never shortens it (another checker may use a longer ttl);
 * the slack means one PEXPIRE per key per ttl instead of one per write. A key whose checkers have
 * all stopped vanishes within 2 × ttl of the last write.
 */
const PUT_VERDICT_LUA = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], 2 * ttl) end
return 1`;

interface PutVerdictCommand {
  rondoPutVerdict(key: string, checker: string, value: string, ttlMs: number): unknown;
}

/** Verdicts per change message: keeps one message well under a megabyte. */
const MESSAGE_CHUNK = 500;
/** Keys per pipelined read. */
const READ_CHUNK = 500;

export class RedisHealthStore implements VerdictSink, HealthSource, OverrideControl {
  readonly nodeId: string;
  readonly keys: HealthKeys;
  readonly role: NodeRole;

  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly reads: boolean;
  private readonly target: string;
  private readonly batchMs: number;
  private readonly resyncIntervalMs: number;
  private readonly sweepIntervalMs: number;
  private readonly startTimeoutMs: number;
  private readonly pruneStaleAfterMs: number;
  private readonly reconnectGraceMs: number;
  /** Silence from Redis longer than this, on open connections, counts as a stall (see noteContact). */
  private readonly stallAfterMs: number;

  private readonly client: Redis;
  private readonly subscriber: Redis | undefined;
  private readonly watch: ConnectionWatch;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  // Writing
  private readonly pending = new Map<string, PendingWrite>();
  private readonly latest = new Map<string, Verdict>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushDueAt = Infinity;
  private flushing: Promise<void> | undefined;
  private writeFailing = false;

  // Reading
  private readonly verdicts = new Map<string, Map<string, Verdict>>();
  private readonly quorums = new Map<string, readonly Quorum[]>();
  private readonly consensus = new Map<string, TargetState>();
  private readonly decided = new Map<string, TargetHealth>();
  /** When each (target, checker) verdict was last announced on the channel. */
  private readonly announcedAt = new Map<string, number>();
  private readonly overrides = new Map<string, HeldOverride>();
  private readonly memberOverrides = new Map<string, OverrideKind>();
  private overrideSeq = 0;
  private current: HealthView;
  private readonly listeners = new Set<(change: HealthChange) => void>();
  private subscribed = false;
  private subscribing: Promise<boolean> | undefined;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private readFailing = false;
  /** Set while a reader holds its view through a Redis outage: freshness is judged at this time. */
  private holdFrom: number | undefined;
  /** When the hold ends: Infinity while Redis is away, then `reconnectGraceMs` after it is back. */
  private holdUntil = Infinity;
  /**
   * The last time this reader heard from Redis (a PING reply, a resync, a change message).
   * Verdicts are judged fresh as of then, not now: a Redis that hangs (SIGSTOP, a congested
   * network) with its connections open must not let verdicts lapse and dead members drift back
   * in as `unknown`, exactly as a closed connection does not.
   */
  private lastContact: number;
  private pinging = false;

  constructor(options: RedisHealthStoreOptions) {
    this.role = options.role;
    this.reads = options.role !== 'checker';
    this.keys = healthKeys(options.prefix ?? DEFAULT_REDIS_PREFIX);
    this.nodeId = options.nodeId ?? defaultNodeId();
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'health', store: 'redis' });
    this.batchMs = options.batchMs ?? 200;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 5000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000;
    this.startTimeoutMs = options.startTimeoutMs ?? 5000;
    this.pruneStaleAfterMs = options.pruneStaleAfterMs ?? 60_000;
    this.reconnectGraceMs = options.reconnectGraceMs ?? 5000;
    this.stallAfterMs = 2 * (options.sweepIntervalMs ?? 1000) + 500;
    this.lastContact = this.clock.now();
    this.target = describeRedisTarget(options.connection);
    this.current = makeView(0, new Map(), new Map());

    const connection = { ...options.connection, maxRetryDelayMs: options.maxRetryDelayMs ?? options.connection.maxRetryDelayMs };
    const name = `rondo:${this.role}:${this.nodeId}`.replace(/[^\x21-\x7e]/g, '_');
    this.client = createRedisClient(connection, 'commands', this.log, {
      connectionName: name,
      commandTimeoutMs: options.commandTimeoutMs,
    });
    this.client.defineCommand('rondoPutVerdict', { numberOfKeys: 1, lua: PUT_VERDICT_LUA });
    this.subscriber = this.reads ? createRedisClient(connection, 'subscriber', this.log, { connectionName: `${name}:sub` }) : undefined;
    this.watch = new ConnectionWatch(this.subscriber ? [this.client, this.subscriber] : [this.client], this.log, this.target);
    const heartbeatMs = options.heartbeatIntervalMs ?? 2000;
    this.heartbeat =
      heartbeatMs > 0
        ? new Heartbeat(this.client, this.keys, { nodeId: this.nodeId, role: this.role, version: options.version ?? '', intervalMs: heartbeatMs, clock: this.clock }, this.log)
        : undefined;

    this.client.on('ready', () => this.onCommandsReady());
    this.subscriber?.on('ready', () => this.onSubscriberReady());
    this.subscriber?.on('message', (channel: string, text: string) => this.onMessage(channel, text));
    if (this.reads) {
      this.client.on('close', () => this.onConnectionLost());
      this.subscriber?.on('close', () => this.onConnectionLost());
    }
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
   * `startTimeoutMs` without Redis (logged once at error; the store catches up when Redis comes).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    const deadline = performance.now() + this.startTimeoutMs;
    this.client.connect().catch(() => undefined);
    this.subscriber?.connect().catch(() => undefined);
    const ready = await waitReady(this.client, this.startTimeoutMs);
    if (ready && this.subscriber) {
      const remaining = () => Math.max(0, deadline - performance.now());
      if (await waitReady(this.subscriber, remaining())) await Promise.race([this.ensureSubscribed(), waitMs(remaining())]);
    }
    if (ready && this.reads) {
      await this.resync().catch(() => undefined);
    }
    if (!ready) this.watch.markUnreachable(`not ready within ${this.startTimeoutMs}ms`);
    if (this.state !== 'starting') return; // stopped meanwhile
    this.state = 'running';
    this.heartbeat?.start();
    if (this.reads && this.resyncIntervalMs > 0) this.every(this.resyncIntervalMs, () => this.requestResync());
    if (this.sweepIntervalMs > 0) this.every(this.sweepIntervalMs, () => this.sweep());
    if (this.pending.size > 0) this.scheduleFlush(0);
  }

  /** Flushes what is queued (bounded by the command timeout), removes the heartbeat, disconnects. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state !== 'new';
    this.state = 'stopped';
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (wasRunning) {
      await this.flushing?.catch(() => undefined);
      await this.writePending().catch(() => undefined);
      await this.heartbeat?.stop();
    }
    this.watch.close();
    await Promise.all([closeClient(this.client), this.subscriber ? closeClient(this.subscriber) : Promise.resolve()]);
  }

  // ---- VerdictSink ---------------------------------------------------------------------------

  publish(verdict: Verdict): void {
    if (this.state === 'stopped') return;
    const key = pairKey(verdict.targetId, verdict.checker);
    const previous = this.latest.get(key);
    if (previous !== undefined && previous.at > verdict.at) return;
    this.latest.set(key, verdict);
    const changed = previous === undefined || previous.state !== verdict.state;
    const queued = this.pending.get(key);
    // Readers hold verdicts in memory and let them lapse at `at + ttlMs`; an unchanged verdict is
    // announced again once a third of its lifetime has passed, so readers never see a live
    // checker's verdict expire between resyncs (the batch makes this one message per flush).
    const lastAnnounced = this.announcedAt.get(key);
    const refreshDue = lastAnnounced === undefined || verdict.at - lastAnnounced >= verdict.ttlMs / 3;
    const announce = changed || refreshDue || queued?.announce === true;
    if (announce) this.announcedAt.set(key, verdict.at);
    this.pending.set(key, { verdict, announce });
    // A process that also serves DNS sees its own verdicts at once, with or without Redis.
    if (this.reads) this.applyVerdicts([verdict]);
    this.scheduleFlush(changed ? 0 : this.batchMs);
  }

  /** Writes everything queued now (tests and shutdown; normally the batch timer does it). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushDueAt = Infinity;
    await this.flushing?.catch(() => undefined);
    await this.writePending();
  }

  // ---- HealthSource --------------------------------------------------------------------------

  view(): HealthView {
    return this.current;
  }

  subscribe(listener: (change: HealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * How much this store holds, for tests and diagnostics (issue 7: bounded by the live targets and
   * checkers, not by every target or checker identity ever seen).
   */
  heldCounts(): { targets: number; verdicts: number; checkers: number; written: number; queued: number } {
    const checkers = new Set<string>();
    let verdicts = 0;
    for (const byChecker of this.verdicts.values()) {
      verdicts += byChecker.size;
      for (const checker of byChecker.keys()) checkers.add(checker);
    }
    return { targets: this.decided.size, verdicts, checkers: checkers.size, written: this.latest.size, queued: this.pending.size };
  }

  /** The quorum of one target (several when pools sharing it disagree: the strictest wins). */
  setQuorum(targetId: string, quorum: Quorum | readonly Quorum[]): void {
    this.quorums.set(targetId, normaliseQuorums(quorum));
    this.recompute([targetId]);
  }

  /** Replaces every target's quorum (targets not listed fall back to `majority`). */
  setTargets(targets: readonly TargetQuorum[]): void {
    const touched = new Set(this.quorums.keys());
    this.quorums.clear();
    for (const t of targets) {
      const previous = this.quorums.get(t.id) ?? [];
      this.quorums.set(t.id, normaliseQuorums([...previous, ...normaliseQuorums(t.quorum)]));
      touched.add(t.id);
    }
    this.recompute([...touched]);
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
      this.applyOverride(scope, null);
      return;
    }
    const ttlMs = untilMs === undefined ? undefined : Math.max(1, Math.ceil(untilMs - this.clock.now()));
    const record = await setOverride(this.client, this.keys, scope, override, { ttlMs, by: this.nodeId, clock: this.clock });
    this.applyOverride(scope, record);
  }

  // ---- Reading -------------------------------------------------------------------------------

  /** Reads every verdict and override again (coalesced: one runs at a time, plus one after it). */
  resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    const run = async (): Promise<void> => {
      do {
        this.resyncAgain = false;
        await this.readEverything();
      } while (this.resyncAgain && this.state !== 'stopped');
    };
    this.resyncing = run().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private requestResync(): void {
    if (this.client.status !== 'ready' || this.state === 'stopped') return;
    this.resync().catch(() => undefined);
  }

  private async readEverything(): Promise<void> {
    if (this.client.status !== 'ready') return;
    const startSeq = this.overrideSeq;
    const now = this.clock.now();
    const found: Verdict[] = [];
    const prune: [string, string[]][] = [];
    try {
      const keys = await scanKeys(this.client, this.keys.verdictPattern);
      for (let i = 0; i < keys.length; i += READ_CHUNK) {
        const batch = keys.slice(i, i + READ_CHUNK);
        const pipe = this.client.pipeline();
        for (const key of batch) pipe.hgetall(key);
        const results = (await pipe.exec()) ?? [];
        batch.forEach((key, j) => {
          const targetId = this.keys.targetIdOf(key);
          const [err, fields] = results[j] ?? [null, null];
          if (targetId === undefined || err !== null || fields === null || typeof fields !== 'object') return;
          const dead: string[] = [];
          for (const [checker, text] of Object.entries(fields as Record<string, string>)) {
            const v = decodeVerdictField(targetId, checker, text);
            if (v === undefined || v.at + v.ttlMs + this.pruneStaleAfterMs < now) dead.push(checker);
            else found.push(v);
          }
          if (dead.length > 0) prune.push([key, dead]);
        });
      }
      const overrides = await loadOverrides(this.client, this.keys);
      this.noteContact();
      this.applyVerdicts(found);
      this.replaceOverrides(overrides, startSeq);
      if (prune.length > 0) {
        const pipe = this.client.pipeline();
        for (const [key, fields] of prune) pipe.hdel(key, ...fields);
        await pipe.exec();
      }
      if (this.readFailing) this.log.info('health resync succeeded again');
      this.readFailing = false;
    } catch (err) {
      // While the connection is down the watch has said so; report other failures once per streak.
      if (!this.readFailing && this.client.status === 'ready') this.log.warn({ err: redisErrorForLog(err) }, 'health resync failed; keeping the last view');
      this.readFailing = true;
      throw err;
    }
  }

  private onMessage(channel: string, text: string): void {
    if (channel !== this.keys.channel || this.state === 'stopped') return;
    this.noteContact();
    const message = decodeMessage(text);
    if (message === undefined) {
      this.log.debug('ignoring malformed change message');
      return;
    }
    if (message.kind === 'verdicts') this.applyVerdicts(message.verdicts);
    else this.applyOverride(message.scope, message.override);
  }

  private applyVerdicts(list: readonly Verdict[]): void {
    if (!this.reads || list.length === 0) return;
    const freshAt = this.freshnessTime(this.clock.now());
    const touched = new Set<string>();
    for (const v of list) {
      if (!isFresh(v, freshAt)) continue;
      let byChecker = this.verdicts.get(v.targetId);
      if (byChecker === undefined) {
        byChecker = new Map();
        this.verdicts.set(v.targetId, byChecker);
      }
      const held = byChecker.get(v.checker);
      if (held !== undefined && held.at > v.at) continue;
      byChecker.set(v.checker, v);
      touched.add(v.targetId);
    }
    this.recompute([...touched]);
  }

  private applyOverride(scope: OverrideScope, record: OverrideRecord | null): void {
    if (!this.reads) return;
    const id = scopeId(scope);
    this.overrideSeq++;
    if (record === null) this.overrides.delete(id);
    else this.overrides.set(id, { scope, record, seq: this.overrideSeq });
    this.afterOverridesChanged([scope]);
  }

  /** Replaces the overrides with a snapshot, keeping those changed by messages since `startSeq`. */
  private replaceOverrides(snapshot: ReadonlyMap<string, { scope: OverrideScope; record: OverrideRecord }>, startSeq: number): void {
    const touched: OverrideScope[] = [];
    for (const [id, held] of this.overrides) {
      if (held.seq > startSeq || snapshot.has(id)) continue;
      this.overrides.delete(id);
      touched.push(held.scope);
    }
    for (const [id, item] of snapshot) {
      const held = this.overrides.get(id);
      if (held !== undefined && (held.seq > startSeq || sameOverride(held.record, item.record))) continue;
      this.overrides.set(id, { scope: item.scope, record: item.record, seq: startSeq });
      touched.push(item.scope);
    }
    if (touched.length > 0) this.afterOverridesChanged(touched);
  }

  private afterOverridesChanged(scopes: readonly OverrideScope[]): void {
    const targets: string[] = [];
    const members: { pool: string; address: string }[] = [];
    const now = this.clock.now();
    for (const scope of scopes) {
      if (scope.kind === 'target') {
        targets.push(scope.targetId);
        continue;
      }
      const key = memberKey(scope.pool, scope.address);
      const held = this.overrides.get(scopeId(scope));
      const kind = held !== undefined && overrideActive(held.record, now) ? held.record.kind : undefined;
      if (this.memberOverrides.get(key) === kind) continue;
      if (kind === undefined) this.memberOverrides.delete(key);
      else this.memberOverrides.set(key, kind);
      const slash = key.lastIndexOf('/');
      members.push({ pool: key.slice(0, slash), address: key.slice(slash + 1) });
    }
    this.recompute(targets, members);
  }

  /** Drops expired verdicts and overrides and decides again where that changes anything. */
  private sweep(): void {
    const now = this.clock.now();
    for (const [key, v] of this.latest) {
      if (!isFresh(v, now) && !this.pending.has(key)) {
        this.latest.delete(key);
        this.announcedAt.delete(key);
      }
    }
    if (!this.reads) return;
    this.ping();
    if (this.holdFrom !== undefined && now >= this.holdUntil) this.holdFrom = undefined;
    const freshAt = this.freshnessTime(now);
    const touched: string[] = [];
    for (const [targetId, byChecker] of this.verdicts) {
      let expired = false;
      for (const [checker, v] of byChecker) {
        if (isFresh(v, freshAt)) continue;
        byChecker.delete(checker);
        expired = true;
      }
      if (expired) touched.push(targetId);
      if (byChecker.size === 0) this.verdicts.delete(targetId);
    }
    const lapsed: OverrideScope[] = [];
    for (const [id, held] of this.overrides) {
      if (overrideActive(held.record, now)) continue;
      this.overrides.delete(id);
      lapsed.push(held.scope);
    }
    if (lapsed.length > 0) this.afterOverridesChanged(lapsed);
    this.recompute(touched);
  }

  /** Decides the given targets again; publishes a new view if anything that answers use changed. */
  private recompute(targetIds: readonly string[], changedMembers: readonly { pool: string; address: string }[] = []): void {
    if (!this.reads) return;
    const now = this.clock.now();
    const changed: string[] = [];
    for (const id of new Set(targetIds)) {
      if (this.forgettable(id)) {
        // Issue 7: a target nothing holds any more leaves the view (and the consensus memory),
        // or every target ever seen would stay there for good, copied into every new view.
        this.decided.delete(id);
        this.consensus.delete(id);
        changed.push(id);
        continue;
      }
      const next = this.decide(id, now);
      const previous = this.decided.get(id);
      if (next === undefined) continue;
      const since = previous !== undefined && previous.state === next.state ? previous.since : now;
      const health: TargetHealth = Object.freeze({ ...next, since });
      if (previous !== undefined && !significantlyDifferent(previous, health, { reason: true })) continue;
      this.decided.set(id, health);
      changed.push(id);
    }
    if (changed.length === 0 && changedMembers.length === 0) return;
    this.current = makeView(this.current.version + 1, this.decided, this.memberOverrides);
    const change: HealthChange = Object.freeze({
      view: this.current,
      changed: Object.freeze(changed),
      ...(changedMembers.length > 0 ? { changedMembers: Object.freeze([...changedMembers]) } : {}),
    });
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ err }, 'health subscriber failed');
      }
    }
  }

  /**
   * True for a target still in the view that is not one of ours (not in setTargets: a zone edit
   * removed it, or another server's zone uses it) and has no verdict or override left: nothing
   * can say anything about it any more. Targets we serve stay, `unknown` when nothing is fresh.
   */
  private forgettable(targetId: string): boolean {
    return (
      this.decided.has(targetId) &&
      !this.quorums.has(targetId) &&
      !this.verdicts.has(targetId) &&
      !this.overrides.has(scopeId({ kind: 'target', targetId }))
    );
  }

  private decide(targetId: string, now: number): Omit<TargetHealth, 'since'> | undefined {
    const byChecker = this.verdicts.get(targetId);
    const held = this.overrides.get(scopeId({ kind: 'target', targetId }));
    const override = held !== undefined && overrideActive(held.record, now) ? held.record : undefined;
    if (byChecker === undefined && override === undefined && !this.decided.has(targetId)) return undefined;
    const quorum = this.quorums.get(targetId) ?? [DEFAULT_QUORUM];
    const c = decideConsensus(byChecker ? [...byChecker.values()] : [], quorum, this.freshnessTime(now), this.consensus.get(targetId));
    this.consensus.set(targetId, c.state);
    if (override === undefined) return { state: c.state, latencyMs: c.latencyMs, load: c.load, reason: c.reason };
    const state: TargetState = override.kind === 'force-up' ? 'up' : 'down';
    const why = override.reason !== undefined && override.reason !== '' ? `: ${override.reason}` : '';
    return { state, latencyMs: c.latencyMs, load: c.load, reason: `override ${override.kind}${why}`, override: override.kind };
  }

  /** The time verdict freshness is judged at: now, or the moment Redis was lost while the view is held. */
  private freshnessTime(now: number): number {
    const heard = Math.min(now, this.lastContact);
    return this.holdFrom !== undefined && now < this.holdUntil ? Math.min(heard, this.holdFrom) : heard;
  }

  /**
   * Redis answered. After a silence longer than `stallAfterMs` (a hung Redis whose connections
   * stayed open), the verdicts held through it count for `reconnectGraceMs` more, as after a
   * reconnect, so the checkers can refresh them first.
   */
  private noteContact(): void {
    const now = this.clock.now();
    if (now - this.lastContact > this.stallAfterMs && this.holdFrom === undefined && this.state === 'running') {
      this.holdFrom = this.lastContact;
      this.holdUntil = now + this.reconnectGraceMs;
      this.log.info({ silentMs: now - this.lastContact }, 'redis answers again after a stall');
    }
    this.lastContact = Math.max(this.lastContact, now);
  }

  /** One PING at a time, so a hung Redis is noticed (no reply) and its return too (a reply). */
  private ping(): void {
    if (this.pinging || this.client.status !== 'ready' || this.state !== 'running') return;
    this.pinging = true;
    this.client
      .ping()
      .then(() => this.noteContact())
      .catch(() => undefined)
      .finally(() => {
        this.pinging = false;
      });
  }

  // ---- Writing -------------------------------------------------------------------------------

  private scheduleFlush(delayMs: number): void {
    if (this.state === 'stopped' || this.state === 'new') return;
    const due = this.clock.now() + delayMs;
    if (this.flushTimer !== undefined && this.flushDueAt <= due) return;
    clearTimeout(this.flushTimer);
    this.flushDueAt = due;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushDueAt = Infinity;
      this.runFlush();
    }, delayMs);
    this.flushTimer.unref();
  }

  private runFlush(): void {
    if (this.flushing) {
      // One flush at a time; what arrived meanwhile goes in the next one.
      this.flushing.finally(() => this.scheduleFlush(0)).catch(() => undefined);
      return;
    }
    this.flushing = this.writePending()
      .catch((err: unknown) => {
        this.log.debug({ err: redisErrorForLog(err) }, 'verdict flush failed');
      })
      .finally(() => {
        this.flushing = undefined;
        if (this.pending.size > 0 && this.client.status === 'ready') this.scheduleFlush(this.writeFailing ? this.batchMs : 0);
      });
  }

  /** One pipeline: every queued verdict, plus the change messages. Failed writes are queued again. */
  private async writePending(): Promise<void> {
    if (this.pending.size === 0 || this.client.status !== 'ready') return;
    const now = this.clock.now();
    const batch = [...this.pending.entries()].filter(([, w]) => isFresh(w.verdict, now));
    this.pending.clear();
    if (batch.length === 0) return;
    const pipe = this.client.pipeline();
    const put = pipe as unknown as PutVerdictCommand;
    for (const [, { verdict }] of batch) {
      put.rondoPutVerdict(this.keys.verdictKey(verdict.targetId), verdict.checker, encodeVerdictField(verdict), Math.ceil(verdict.ttlMs));
    }
    const announce = batch.filter(([, w]) => w.announce).map(([, w]) => w.verdict);
    for (let i = 0; i < announce.length; i += MESSAGE_CHUNK) {
      pipe.publish(this.keys.channel, encodeMessage({ kind: 'verdicts', verdicts: announce.slice(i, i + MESSAGE_CHUNK) }));
    }
    let results: [Error | null, unknown][] | null = null;
    let failure: unknown;
    try {
      results = await pipe.exec();
    } catch (err) {
      failure = err;
    }
    const writeErrors = batch.map((_, i) => failure ?? results?.[i]?.[0] ?? (results === null ? 'no reply' : null));
    const messagesFailed = failure !== undefined || (results ?? []).slice(batch.length).some(([err]) => err !== null);
    batch.forEach(([key, w], i) => {
      if (writeErrors[i] === null && !(messagesFailed && w.announce)) return;
      // Requeue, unless a newer verdict is already queued (then it inherits the announcement).
      const newer = this.pending.get(key);
      this.pending.set(key, newer === undefined ? w : { verdict: newer.verdict, announce: newer.announce || w.announce });
    });
    const firstError = failure ?? writeErrors.find((e) => e !== null);
    if (firstError !== undefined) {
      if (!this.writeFailing && this.client.status === 'ready') {
        this.log.warn({ err: redisErrorForLog(firstError), queued: this.pending.size }, 'verdict write failed; will retry');
      }
      this.writeFailing = true;
    } else if (this.writeFailing) {
      this.writeFailing = false;
      this.log.info('verdict writes succeed again');
    }
  }

  // ---- Connection events ---------------------------------------------------------------------

  /** A reader's connection dropped: hold the view (see the header) until Redis is back. */
  private onConnectionLost(): void {
    if (this.state !== 'running') return;
    this.holdFrom ??= this.clock.now();
    this.holdUntil = Infinity;
  }

  /** Both connections are back: the held verdicts count for `reconnectGraceMs` more. */
  private onConnectionBack(): void {
    if (this.holdFrom === undefined || !this.watch.allReady) return;
    this.holdUntil = this.clock.now() + this.reconnectGraceMs;
  }

  private onCommandsReady(): void {
    if (this.state !== 'running') return;
    this.onConnectionBack();
    // Redis may have restarted empty: write (and announce) every verdict that still counts.
    const now = this.clock.now();
    for (const [key, v] of this.latest) {
      if (isFresh(v, now)) this.pending.set(key, { verdict: v, announce: true });
    }
    if (this.pending.size > 0) this.scheduleFlush(0);
    void this.heartbeat?.beat();
    if (this.reads) this.requestResync();
  }

  private onSubscriberReady(): void {
    this.onConnectionBack();
    // After the first SUBSCRIBE, ioredis resubscribes by itself on every reconnect.
    if (!this.subscribed) {
      void this.ensureSubscribed().then((ok) => {
        if (ok && this.state === 'running') this.requestResync();
      });
      return;
    }
    // Messages were missed while unsubscribed: read everything again.
    if (this.state === 'running') this.requestResync();
  }

  /**
   * SUBSCRIBE once the subscriber is ready, never queued before: a queued SUBSCRIBE can reach the
   * server ahead of ioredis's own ready check (seen with Sentinel), which then fails in subscriber mode.
   */
  private ensureSubscribed(): Promise<boolean> {
    const sub = this.subscriber;
    if (sub === undefined || sub.status !== 'ready') return Promise.resolve(false);
    if (this.subscribed) return Promise.resolve(true);
    this.subscribing ??= sub
      .subscribe(this.keys.channel)
      .then(
        () => {
          this.subscribed = true;
          return true;
        },
        () => false,
      )
      .finally(() => {
        this.subscribing = undefined;
      });
    return this.subscribing;
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }
}

function pairKey(targetId: string, checker: string): string {
  return `${targetId}\n${checker}`;
}

function normaliseQuorums(quorum: Quorum | readonly Quorum[]): readonly Quorum[] {
  const list: readonly Quorum[] = Array.isArray(quorum) ? quorum : [quorum as Quorum];
  return [...new Set(list)];
}

function sameOverride(a: OverrideRecord, b: OverrideRecord): boolean {
  return a.kind === b.kind && a.at === b.at && a.expiresAt === b.expiresAt && a.reason === b.reason && a.by === b.by;
}

function makeView(
  version: number,
  targets: ReadonlyMap<string, TargetHealth>,
  members: ReadonlyMap<string, OverrideKind>,
): HealthView {
  const targetSnapshot = new Map(targets);
  const memberSnapshot = new Map(members);
  return Object.freeze({
    version,
    get: (targetId: string) => targetSnapshot.get(targetId),
    member: (pool: string, address: string) => (memberSnapshot.size === 0 ? undefined : memberSnapshot.get(memberKey(pool, address))),
  });
}

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
