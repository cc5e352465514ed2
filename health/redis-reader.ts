/**
 * The DNS servers' side of health shared through Redis: verdicts and overrides come in, and are
 * decided (consensus, overrides, expiry) into views.
 *
 * The store's `start()` subscribes, then loads every verdict and override (warm start). Change
 * messages carry the verdicts, so they apply without a round trip. Everything is read again after
 * a reconnect and every `resyncIntervalMs` (longer with many keys, see periodicResync); staleness
 * is swept every `sweepIntervalMs`. A resync merges (newest `at` wins per checker) and never drops
 * a verdict that is still fresh just because Redis lacks it: after a restart that lost the data,
 * the DNS side keeps its view until the checkers have written theirs again. `view()` never touches
 * Redis. What is held is bounded by the live targets and checkers: a checker's verdicts go when
 * they lapse, and a target that is not ours (no served zone probes it: setQuorumLookup) leaves
 * the view once no verdict or override of it is left. Nothing is held for a served target that
 * has neither: its quorums are looked up in the zones when a verdict comes.
 *
 * At scale (issue 15: 10,000 targets, three checkers, every 2 s) nearly every verdict heard is one
 * already held, announced again with a new age. Such a re-announcement only refreshes the held
 * verdict's time (applyVerdicts: same state, load and reason, latency within the band readers
 * ignore anyway); nothing is decided again and no view is made. A resync is read, decoded and
 * applied a chunk of keys at a time (one script call each, health/verdict-reads.ts), each in its
 * own event-loop turn, so the DNS side never stalls on it.
 *
 * Holding the view through an outage: verdicts live a few check intervals, far shorter than an
 * outage may last, and nothing can refresh them while Redis is away. So from the moment a reader
 * loses Redis, verdict freshness is judged at that moment instead of now (the view stays exactly
 * as it was: no dead member drifts back through `unknown`), and after Redis returns the hold lasts
 * `reconnectGraceMs` more, time for the checkers to write their verdicts again. Overrides keep
 * their own wall-clock expiry.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { HealthChange, HealthSource, HealthView, OverrideKind, TargetHealth, TargetState, Verdict } from '../model/health.js';
import { decodeMessage, decodeVerdictField, type OverrideRecord, type StampedVerdict } from './codec.js';
import { decideConsensus, DEFAULT_QUORUM, isFresh, type Quorum } from './consensus.js';
import { scopeId, type HealthKeys, type OverrideScope } from './keys.js';
import { latencySignificantlyChanged, significantlyDifferent, targetHealth } from '../model/health.js';
import { loadOverrides, overrideActive, rebaseOverride } from './overrides.js';
import { isCluster, redisErrorForLog, scanKeyBatches } from './redis-connection.js';
import { defineVerdictReads, readVerdictHashes } from './verdict-reads.js';
import { HealthViews } from './view.js';
import { runSliced, type SlicedRun } from '../lib/sliced.js';
import { Interner } from '../lib/interner.js';

export interface TargetQuorum {
  readonly id: string;
  readonly quorum: Quorum | readonly Quorum[];
}

/**
 * The quorums of every target the served zones probe, looked up where they are kept (a compact
 * zone's target rows): a zone of 100,000 checked pools has a million targets, and a map entry
 * and an id string per target held here cost 400 MB and 1.5 s of CPU at every load.
 */
export interface QuorumLookup {
  /** The quorums of the pools probing this target; undefined when no served zone probes it. */
  quorumsOf(targetId: string): readonly Quorum[] | undefined;
}

const NOTHING_SERVED: QuorumLookup = { quorumsOf: () => undefined };

/** Held targets re-decided in the lookup's own turn; more are gone through in slices (lib/sliced.ts). */
export const HELD_IN_ONE_TURN = 4096;
const HELD_PER_STEP = 256;

export interface RedisHealthReaderOptions {
  readonly client: Redis;
  readonly subscriber: Redis;
  readonly keys: HealthKeys;
  readonly clock: Clock;
  readonly log: Logger;
  /** A verdict field this long past its expiry is deleted from its hash by readers. */
  readonly pruneStaleAfterMs: number;
  /** After Redis returns from an outage, milliseconds during which the verdicts held through it still count. */
  readonly reconnectGraceMs: number;
  /** Silence from Redis longer than this, on open connections, counts as a stall (see noteContact). */
  readonly stallAfterMs: number;
}

interface HeldOverride {
  readonly scope: OverrideScope;
  readonly record: OverrideRecord;
  /** Local sequence number of the change that set it (a resync does not undo newer messages). */
  readonly seq: number;
}

/** Keys per read (one script call, health/verdict-reads.ts); each chunk is decoded and applied in a turn of its own. */
const READ_CHUNK = 100;

/**
 * The periodic resync waits at least this long per verdict key it read last time (10,000 keys:
 * 30 s; never more than RESYNC_MAX_GAP_MS). Messages carry every change, and writers announce
 * every verdict again at its first check after a third of its ttl, so a lost change message heals
 * by then; the periodic resync is only the last safety net (an override message lost on a live
 * connection waits for it), and must not cost the DNS servers (or Redis) more as the targets grow.
 * Reconnects and cluster changes resync at once. The wait does not follow how long the last
 * resync took: that includes waiting on Redis (a failover), when the safety net matters most.
 */
const RESYNC_MS_PER_KEY = 3;
const RESYNC_MAX_GAP_MS = 60_000;

/**
 * A verdict as this reader's clock sees it: `at` moved so that its age is the one Redis (`rt`
 * against Redis's TIME) or its checker (`ageMs`) measured. Freshness is then judged on this
 * reader's clock alone; no two machines' clocks are ever compared. A verdict without either
 * (from an older writer) keeps its `at`.
 */
function rebase(v: StampedVerdict, localNow: number, redisNow: number | undefined): HeardVerdict {
  let ageMs: number | undefined;
  if (v.rt !== undefined && redisNow !== undefined) ageMs = redisNow - v.rt;
  else if (v.ageMs !== undefined) ageMs = v.ageMs;
  const at = ageMs === undefined ? v.at : localNow - ageMs;
  const sourceAt = ageMs === undefined ? NaN : v.at;
  // The same shape as heldVerdict's, from an allocation site of its own: these mostly die young,
  // held verdicts live long, and V8 decides per site where to allocate (pretenuring).
  return { targetId: v.targetId, checker: v.checker, state: v.state, latencyMs: v.latencyMs, load: v.load, reason: v.reason, at, ttlMs: v.ttlMs, sourceAt };
}

/**
 * One copy of each checker name and reason held: every verdict read decodes its own copies, and a
 * million targets' verdicts would otherwise hold three million of each.
 */
const words = new Interner();

/** A verdict as heard: `sourceAt` is its `at` by its checker's clock, which names it (see applyVerdicts). */
type HeardVerdict = Verdict & { readonly sourceAt?: number | undefined };

/**
 * A verdict as held. Private to the reader, so a re-announcement updates its time in place
 * (applyVerdicts): at scale that is thousands a second, and fresh objects for them would all live
 * long enough to be promoted, feeding the major collector. `sourceAt` is NaN when not known, so
 * all three times stay plain numbers, written in place (an `undefined` there would make each
 * write a new heap number pointed at from an old object: work for every scavenge).
 */
interface HeldVerdict extends Verdict {
  at: number;
  ttlMs: number;
  sourceAt: number;
}

/**
 * A verdict built with the same properties in the same order every time: tens of thousands are
 * held and swept every second, and one object shape keeps those loops fast.
 */
function heldVerdict(v: Verdict, at: number, ttlMs: number, sourceAt: number | undefined): HeldVerdict {
  return { targetId: v.targetId, checker: words.of(v.checker), state: v.state, latencyMs: v.latencyMs, load: v.load, reason: words.of(v.reason), at, ttlMs, sourceAt: sourceAt ?? NaN };
}

export class RedisHealthReader implements HealthSource {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly keys: HealthKeys;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pruneStaleAfterMs: number;
  private readonly reconnectGraceMs: number;
  private readonly stallAfterMs: number;
  private state: 'new' | 'running' | 'stopped' = 'new';

  /** Each target's verdicts, one per checker (a list: a few checkers, and a map each cost ~150 bytes a target). */
  private readonly verdicts = new Map<string, HeldVerdict[]>();
  /** The served targets' quorums (setQuorumLookup), and those told one by one since (setQuorum). */
  private lookup: QuorumLookup = NOTHING_SERVED;
  private told = new Map<string, readonly Quorum[]>();
  /** The pass re-deciding the held targets after a new lookup, while one runs. */
  private lookupPass: SlicedRun | undefined;
  private readonly consensus = new Map<string, TargetState>();
  private readonly views: HealthViews;
  private readonly overrides = new Map<string, HeldOverride>();
  private overrideSeq = 0;
  /** No held verdict lapses before this (by freshness time): the earliest `at + ttlMs`, or earlier. */
  private verdictsExpireAt = -Infinity;
  /** The sliced walk for lapsed verdicts, while one runs (startExpiryWalk). */
  private expiryWalk: SlicedRun | undefined;
  /** The earliest expiry of the verdicts held since the running walk began. */
  private expiriesDuringWalk = Infinity;
  private subscribed = false;
  private subscribing: Promise<boolean> | undefined;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  /** A commit of the view is queued (change messages: one per loop turn, see onMessage). */
  private commitQueued = false;
  /** performance.now() when the last resync started, and how long the next periodic one waits after it. */
  private lastResyncStart = -Infinity;
  private periodicGapMs = 0;
  private readFailing = false;
  /** A resync has read every key once (logged). */
  private readOnce = false;
  /** Set while the view is held through a Redis outage: freshness is judged at this time. */
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

  constructor(options: RedisHealthReaderOptions) {
    this.client = options.client;
    this.subscriber = options.subscriber;
    this.keys = options.keys;
    this.clock = options.clock;
    this.log = options.log;
    this.pruneStaleAfterMs = options.pruneStaleAfterMs;
    this.reconnectGraceMs = options.reconnectGraceMs;
    this.stallAfterMs = options.stallAfterMs;
    this.lastContact = this.clock.now();
    this.views = new HealthViews(this.log);
    defineVerdictReads(this.client);
    this.subscriber.on('message', (channel: string, text: string) => this.onMessage(channel, text));
    this.subscriber.on('smessage', (channel: string, text: string) => this.onMessage(channel, text));
    if (isCluster(this.subscriber)) {
      // A failover or a resharding moves the channel's shard: ioredis subscribes again on the new
      // one; messages sent meanwhile are lost, so read everything again (as after a reconnect).
      for (const event of ['+node', '-node', 'subscribersReady']) this.subscriber.on(event, () => this.requestResync());
    }
    this.client.on('close', () => this.onConnectionLost());
    this.subscriber.on('close', () => this.onConnectionLost());
  }

  /** The store's start() is over (warm or not): holds, pings and resubscriptions apply from now. */
  begin(): void {
    if (this.state === 'new') this.state = 'running';
  }

  stop(): void {
    this.state = 'stopped';
    this.lookupPass?.cancel();
    this.expiryWalk?.cancel();
  }

  view(): HealthView {
    return this.views.view();
  }

  subscribe(listener: (change: HealthChange) => void): () => void {
    return this.views.subscribe(listener);
  }

  /** How much this reader holds (issue 7: bounded by the live targets and checkers). */
  heldCounts(): { targets: number; verdicts: number; checkers: number } {
    const checkers = new Set<string>();
    let verdicts = 0;
    for (const held of this.verdicts.values()) {
      verdicts += held.length;
      for (const v of held) checkers.add(v.checker);
    }
    return { targets: this.views.size, verdicts, checkers: checkers.size };
  }

  /** The quorum of one target (several when pools sharing it disagree: the strictest wins), until the next lookup. */
  setQuorum(targetId: string, quorum: Quorum | readonly Quorum[]): void {
    this.told.set(targetId, normaliseQuorums(quorum));
    this.recompute([targetId]);
  }

  /** Replaces every target's quorum (targets not listed are not ours: `majority`, and forgotten once nothing holds them). */
  setTargets(targets: readonly TargetQuorum[]): void {
    const byId = new Map<string, readonly Quorum[]>();
    for (const t of targets) byId.set(t.id, normaliseQuorums([...(byId.get(t.id) ?? []), ...normaliseQuorums(t.quorum)]));
    this.setQuorumLookup({ quorumsOf: (id) => byId.get(id) });
  }

  /**
   * The served targets' quorums from now on (after every zone load). Only the targets this reader
   * holds something for (a verdict, a view, an override) can decide differently: those whose
   * quorums changed, or that are no longer served, are decided again; a few thousand in this
   * turn, more in slices. A lookup set while such a pass runs re-decides every held target.
   */
  setQuorumLookup(next: QuorumLookup): void {
    const running = this.lookupPass !== undefined && !this.lookupPass.finished;
    this.lookupPass?.cancel();
    this.lookupPass = undefined;
    const told = this.told;
    const lookup = this.lookup;
    const before = (id: string): readonly Quorum[] | undefined => told.get(id) ?? lookup.quorumsOf(id);
    this.told = new Map();
    this.lookup = next;
    const changed = (id: string): boolean => {
      if (running) return true;
      const was = before(id);
      const now = next.quorumsOf(id);
      return was === undefined || now === undefined ? was !== now : !sameQuorums(was, now);
    };
    const held = this.heldTargetIds();
    const step = (max: number): boolean => {
      const batch: string[] = [];
      for (let n = 0; n < max; n++) {
        const item = held.next();
        if (item.done === true) {
          this.recompute(batch);
          return true;
        }
        if (item.value !== undefined && changed(item.value)) batch.push(item.value);
      }
      this.recompute(batch);
      return false;
    };
    if (this.views.size + this.verdicts.size <= HELD_IN_ONE_TURN) {
      step(Number.POSITIVE_INFINITY);
      return;
    }
    this.lookupPass = runSliced(() => step(HELD_PER_STEP), { onError: (err) => this.log.error({ err }, 'deciding the held targets against the new zones failed') });
  }

  /**
   * Every target something is held for (a target in two of these is named twice: harmless). Live:
   * read over several turns. Each entry looked at is one step, undefined when it is skipped: a
   * million verdicts of targets already in the view are skipped a slice at a time, not in one turn.
   */
  private *heldTargetIds(): Generator<string | undefined> {
    yield* this.views.targetIds();
    for (const id of this.verdicts.keys()) yield this.views.has(id) ? undefined : id;
    for (const held of this.overrides.values()) yield held.scope.kind === 'target' ? held.scope.targetId : undefined;
  }

  /** The quorums of a target: undefined when it is not ours. */
  private quorumsOf(targetId: string): readonly Quorum[] | undefined {
    return this.told.get(targetId) ?? this.lookup.quorumsOf(targetId);
  }

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

  requestResync(): void {
    if (this.client.status !== 'ready' || this.state !== 'running') return;
    this.resync().catch(() => undefined);
  }

  /**
   * The store's resync timer: a resync unless the last one started less than its size allows ago
   * (RESYNC_MS_PER_KEY). Reconnects and cluster changes resync at once (requestResync).
   */
  periodicResync(): void {
    // A running resync (a first one of a million keys takes a while) is not followed by another.
    if (this.resyncing || performance.now() - this.lastResyncStart < this.periodicGapMs) return;
    this.requestResync();
  }

  /**
   * Verdicts heard (a change message, a resync, or this process's own checks). The view is made at
   * once, or with `commit: 'soon'` once this loop turn's I/O is done (see commitSoon).
   */
  applyVerdicts(list: readonly HeardVerdict[], commit: 'now' | 'soon' = 'now'): void {
    if (list.length === 0) return;
    const freshAt = this.freshnessTime(this.clock.now());
    const touched: string[] = [];
    for (const v of list) {
      if (!isFresh(v, freshAt)) continue;
      let byChecker = this.verdicts.get(v.targetId);
      if (byChecker === undefined) {
        byChecker = [];
        this.verdicts.set(v.targetId, byChecker);
      }
      const at = byChecker.findIndex((h) => h.checker === v.checker);
      const held: HeldVerdict | undefined = byChecker[at];
      if (held !== undefined && held.at > v.at) continue;
      // The very verdict already held (a resync reading back what a message brought): nothing to
      // decide again. This keeps a resync of 10,000 targets from re-deciding every one of them.
      const source = v.sourceAt;
      if (held !== undefined && source !== undefined && held.sourceAt === source && held.state === v.state) continue;
      if (held !== undefined && isFresh(held, freshAt) && sameContent(held, v)) {
        // A re-announcement (or the next probe saying the same): the decision cannot change, as
        // the fresh verdicts, their states, loads and latencies stay what they were (when checkers
        // word their reasons differently, the view keeps quoting the one it last decided with).
        // Only the time moves on; the held content stays, so a latency that creeps is measured
        // from where it was last decided, not from the previous reading.
        held.at = v.at;
        held.ttlMs = v.ttlMs;
        held.sourceAt = v.sourceAt ?? NaN;
        this.verdictsExpireAt = Math.min(this.verdictsExpireAt, v.at + v.ttlMs);
        this.expiriesDuringWalk = Math.min(this.expiriesDuringWalk, v.at + v.ttlMs);
        continue;
      }
      const fresh = heldVerdict(v, v.at, v.ttlMs, v.sourceAt);
      if (at >= 0) byChecker[at] = fresh;
      else byChecker.push(fresh);
      this.verdictsExpireAt = Math.min(this.verdictsExpireAt, v.at + v.ttlMs);
      this.expiriesDuringWalk = Math.min(this.expiriesDuringWalk, v.at + v.ttlMs);
      touched.push(v.targetId);
    }
    if (touched.length === 0) return;
    this.recompute(touched, commit === 'now');
    if (commit === 'soon') this.commitSoon();
  }

  applyOverride(scope: OverrideScope, record: OverrideRecord | null): void {
    const id = scopeId(scope);
    this.overrideSeq++;
    if (record === null) this.overrides.delete(id);
    else this.overrides.set(id, { scope, record, seq: this.overrideSeq });
    this.afterOverridesChanged([scope]);
  }

  /** Drops expired verdicts and overrides and decides again where that changes anything. */
  sweep(): void {
    const now = this.clock.now();
    this.ping();
    if (this.holdFrom !== undefined && now >= this.holdUntil) this.holdFrom = undefined;
    const freshAt = this.freshnessTime(now);
    const touched: string[] = [];
    // Nothing held can have lapsed before the earliest expiry seen (refreshes only move it on):
    // at 30,000 verdicts refreshed every few seconds, most sweeps skip the pass.
    if (freshAt >= this.verdictsExpireAt && this.expiryWalk === undefined) {
      if (this.verdicts.size <= HELD_IN_ONE_TURN) this.verdictsExpireAt = this.dropLapsed(this.verdicts.entries(), Infinity, freshAt, touched, Infinity).earliest;
      else this.startExpiryWalk(freshAt);
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

  /**
   * Drops the lapsed verdicts of up to `max` targets from `entries` (their ids go to `touched`):
   * whether it came to the end, and the earliest expiry of those kept, `earliest` included.
   */
  private dropLapsed(entries: Iterator<[string, HeldVerdict[]]>, max: number, freshAt: number, touched: string[], earliest: number): { done: boolean; earliest: number } {
    for (let n = 0; n < max; n++) {
      const item = entries.next();
      if (item.done === true) return { done: true, earliest };
      const [targetId, byChecker] = item.value;
      let kept = 0;
      for (const v of byChecker) {
        if (!isFresh(v, freshAt)) continue;
        earliest = Math.min(earliest, v.at + v.ttlMs);
        byChecker[kept++] = v;
      }
      if (kept === byChecker.length) continue;
      byChecker.length = kept;
      touched.push(targetId);
      if (kept === 0) this.verdicts.delete(targetId);
    }
    return { done: false, earliest };
  }

  /**
   * The walk over every held verdict in slices (a million targets' took 30-60 ms in one turn, every
   * time the earliest expiry passed). Verdicts held meanwhile count towards the next expiry too.
   */
  private startExpiryWalk(freshAt: number): void {
    const entries = this.verdicts.entries();
    let earliest = Infinity;
    this.expiriesDuringWalk = Infinity;
    this.expiryWalk = runSliced(
      () => {
        const touched: string[] = [];
        const step = this.dropLapsed(entries, HELD_PER_STEP, freshAt, touched, earliest);
        earliest = step.earliest;
        if (step.done) {
          this.verdictsExpireAt = Math.min(earliest, this.expiriesDuringWalk);
          this.expiryWalk = undefined;
        }
        this.recompute(touched);
        return step.done;
      },
      {
        onError: (err) => {
          this.expiryWalk = undefined;
          this.verdictsExpireAt = -Infinity; // walk again at the next sweep
          this.log.error({ err }, 'dropping lapsed verdicts failed');
        },
      },
    );
  }

  // ---- Connection events (wired by the store) ------------------------------------------------

  /** The command connection is (back) ready. */
  onCommandsReady(allReady: boolean): void {
    if (this.state !== 'running') return;
    this.onConnectionBack(allReady);
    this.requestResync();
  }

  /** The subscriber is (back) ready. */
  onSubscriberReady(allReady: boolean): void {
    this.onConnectionBack(allReady);
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
  ensureSubscribed(): Promise<boolean> {
    const sub = this.subscriber;
    if (sub.status !== 'ready') return Promise.resolve(false);
    if (this.subscribed) return Promise.resolve(true);
    this.subscribing ??= (isCluster(sub) ? sub.ssubscribe(this.keys.channel) : sub.subscribe(this.keys.channel))
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

  /** A connection dropped: hold the view (see the header) until Redis is back. */
  private onConnectionLost(): void {
    if (this.state !== 'running') return;
    this.holdFrom ??= this.clock.now();
    this.holdUntil = Infinity;
  }

  /** Both connections are back: the held verdicts count for `reconnectGraceMs` more. */
  private onConnectionBack(allReady: boolean): void {
    if (this.holdFrom === undefined || !allReady) return;
    this.holdUntil = this.clock.now() + this.reconnectGraceMs;
  }

  // ---- Reading -------------------------------------------------------------------------------

  private async readEverything(): Promise<void> {
    if (this.client.status !== 'ready') return;
    this.lastResyncStart = performance.now();
    const startSeq = this.overrideSeq;
    const prune: [string, string[]][] = [];
    try {
      let keyCount = 0;
      // Each SCAN reply is read as it comes (a key SCAN returns twice is read twice: harmless).
      for await (const keys of scanKeyBatches(this.client, this.keys.verdictPattern)) {
        // A million keys take a while: a stopped reader does not read the rest.
        if (this.state === 'stopped') return;
        keyCount += keys.length;
        for (let i = 0; i < keys.length; i += READ_CHUNK) await this.readChunk(keys.slice(i, i + READ_CHUNK), prune);
      }
      const overrides = await loadOverrides(this.client, this.keys, () => this.clock.now());
      this.noteContact();
      this.replaceOverrides(overrides, startSeq);
      if (prune.length > 0) {
        const pipe = this.client.pipeline();
        for (const [key, fields] of prune) pipe.hdel(key, ...fields);
        await pipe.exec();
      }
      if (this.readFailing) this.log.info('health resync succeeded again');
      this.readFailing = false;
      this.periodicGapMs = Math.min(keyCount * RESYNC_MS_PER_KEY, RESYNC_MAX_GAP_MS);
      // The first full read (a million keys take tens of seconds, while the server already answers).
      if (!this.readOnce) this.log.info({ keys: keyCount, targets: this.verdicts.size, ms: Math.round(performance.now() - this.lastResyncStart) }, 'health read from Redis');
      this.readOnce = true;
    } catch (err) {
      // While the connection is down the watch has said so; report other failures once per streak.
      if (!this.readFailing && this.client.status === 'ready') this.log.warn({ err: redisErrorForLog(err) }, 'health resync failed; keeping the last view');
      this.readFailing = true;
      throw err;
    }
  }

  /**
   * Reads, decodes and applies one chunk of verdict keys, in the turn its reply arrives (newest
   * `at` wins, so messages heard between two chunks merge as they would at the end). Fields past
   * saving go to `prune`.
   */
  private async readChunk(keys: readonly string[], prune: [string, string[]][]): Promise<void> {
    const { redisNow, hashes } = await readVerdictHashes(this.client, keys, this.keys.channel);
    const now = this.clock.now();
    const found: HeardVerdict[] = [];
    for (const [key, fields] of hashes) {
      const targetId = this.keys.targetIdOf(key);
      if (targetId === undefined) continue;
      const dead: string[] = [];
      for (const [checker, text] of Object.entries(fields)) {
        const stamped = decodeVerdictField(targetId, checker, text);
        const v = stamped === undefined ? undefined : rebase(stamped, now, redisNow);
        if (v === undefined || v.at + v.ttlMs + this.pruneStaleAfterMs < now) dead.push(checker);
        else found.push(v);
      }
      if (dead.length > 0) prune.push([key, dead]);
    }
    this.noteContact();
    this.applyVerdicts(found);
  }

  private onMessage(channel: string, text: string): void {
    if (channel !== this.keys.channel || this.state === 'stopped') return;
    this.noteContact();
    const message = decodeMessage(text);
    if (message === undefined) {
      this.log.debug('ignoring malformed change message');
      return;
    }
    if (message.kind === 'verdicts') {
      const now = this.clock.now();
      this.applyVerdicts(message.verdicts.map((v) => rebase(v, now, undefined)), 'soon');
    } else this.applyOverride(message.scope, message.override === null ? null : rebaseOverride(message.override, this.clock.now()));
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
    const now = this.clock.now();
    for (const scope of scopes) {
      if (scope.kind === 'target') {
        targets.push(scope.targetId);
        continue;
      }
      const held = this.overrides.get(scopeId(scope));
      const kind: OverrideKind | undefined = held !== undefined && overrideActive(held.record, now) ? held.record.kind : undefined;
      this.views.setMember(scope.pool, scope.address, kind);
    }
    this.recompute(targets);
  }

  /**
   * Several change messages often arrive in one loop turn (a burst of state changes: each
   * checker's flush is a message of up to 500 verdicts): one view for all of them, made once the
   * turn's I/O callbacks are done (setImmediate), instead of one per message. A commit made
   * meanwhile (an override, a sweep) takes their changes along, and this one finds nothing.
   */
  private commitSoon(): void {
    if (this.commitQueued) return;
    this.commitQueued = true;
    setImmediate(() => {
      this.commitQueued = false;
      this.views.commit();
    });
  }

  /** Decides the given targets again; publishes a new view (unless `commit` is false) if anything that answers use changed. */
  private recompute(targetIds: readonly string[], commit = true): void {
    const now = this.clock.now();
    for (const id of new Set(targetIds)) {
      if (this.forgettable(id)) {
        // Issue 7: a target nothing holds any more leaves the view (and the consensus memory),
        // or every target ever seen would stay there for good, copied into every new view.
        this.views.delete(id);
        this.consensus.delete(id);
        continue;
      }
      const next = this.decide(id, now);
      const previous = this.views.get(id);
      if (next === undefined) continue;
      const since = previous !== undefined && previous.state === next.state ? previous.since : now;
      const health: TargetHealth = targetHealth({ ...next, reason: words.of(next.reason) }, since);
      // The reason counts here: it carries the vote count, which operators read from the view.
      if (previous !== undefined && !significantlyDifferent(previous, health, { reason: true })) continue;
      this.views.set(id, health);
    }
    if (commit) this.views.commit();
  }

  /**
   * True for a target still in the view that is not one of ours (not served: a zone edit
   * removed it, or another server's zone uses it) and has no verdict or override left: nothing
   * can say anything about it any more. Targets we serve stay, `unknown` when nothing is fresh.
   */
  private forgettable(targetId: string): boolean {
    return (
      this.views.has(targetId) &&
      this.quorumsOf(targetId) === undefined &&
      !this.verdicts.has(targetId) &&
      !this.overrides.has(scopeId({ kind: 'target', targetId }))
    );
  }

  private decide(targetId: string, now: number): Omit<TargetHealth, 'since'> | undefined {
    const byChecker = this.verdicts.get(targetId);
    const held = this.overrides.get(scopeId({ kind: 'target', targetId }));
    const override = held !== undefined && overrideActive(held.record, now) ? held.record : undefined;
    if (byChecker === undefined && override === undefined && !this.views.has(targetId)) return undefined;
    const quorum = this.quorumsOf(targetId) ?? DEFAULT_QUORUMS;
    const c = decideConsensus(byChecker ?? [], quorum, this.freshnessTime(now), this.consensus.get(targetId));
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
}

/**
 * Whether a verdict says what the held one says, as far as any decision goes: state, load and
 * reason alike, and a latency that moved no more than readers ignore (latencySignificantlyChanged).
 */
function sameContent(held: Verdict, v: Verdict): boolean {
  return held.state === v.state && held.load === v.load && held.reason === v.reason && !latencySignificantlyChanged(held.latencyMs, v.latencyMs);
}

const DEFAULT_QUORUMS: readonly Quorum[] = [DEFAULT_QUORUM];

function sameQuorums(a: readonly Quorum[], b: readonly Quorum[]): boolean {
  return a === b || (a.length === b.length && a.every((q, i) => q === b[i]));
}

function normaliseQuorums(quorum: Quorum | readonly Quorum[]): readonly Quorum[] {
  const list: readonly Quorum[] = Array.isArray(quorum) ? quorum : [quorum as Quorum];
  return [...new Set(list)];
}

function sameOverride(a: OverrideRecord, b: OverrideRecord): boolean {
  // Expiries are rebased on this reader's clock at every read, so they agree within a second.
  const sameExpiry = a.expiresAt === undefined || b.expiresAt === undefined ? a.expiresAt === b.expiresAt : Math.abs(a.expiresAt - b.expiresAt) < 1000;
  return a.kind === b.kind && a.at === b.at && sameExpiry && a.reason === b.reason && a.by === b.by;
}
