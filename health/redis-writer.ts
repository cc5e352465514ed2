/**
 * The checkers' side of health shared through Redis: verdicts go out, nothing is read back.
 *
 * `publish(verdict)` never waits. The latest verdict per (target, checker) is queued; a state
 * change (or a first verdict) is flushed on the next tick and announced on `{prefix}:changes`;
 * unchanged refreshes are flushed in one pipeline every `batchMs`. Each verdict is one `EVALSHA`
 * (HSET of the checker's field, PTTL, and a PEXPIRE when the hash has less than the verdict's ttl
 * left; never shortening it, so a key whose checkers all died vanishes). While Redis is away the
 * queue keeps only the latest verdict per (target, checker); when Redis is back (`rewriteAll`,
 * on 'ready') every verdict still fresh is written and announced again, so an emptied
 * (restarted) Redis is refilled at once.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Verdict } from '../model/health.js';
import { announcedVerdict, encodeMessage, encodeVerdictField } from './codec.js';
import { isFresh } from './consensus.js';
import type { HealthKeys } from './keys.js';
import { announceIn, redisErrorForLog } from './redis-connection.js';

export interface RedisVerdictWriterOptions {
  readonly client: Redis;
  readonly keys: HealthKeys;
  readonly clock: Clock;
  readonly log: Logger;
  /** Milliseconds between pipelined writes of unchanged verdicts. */
  readonly batchMs: number;
}

interface PendingWrite {
  readonly verdict: Verdict;
  /** Announce on the channel (state changed, first write, or rewrite after reconnect). */
  readonly announce: boolean;
}

/**
 * Stamp the verdict with Redis's own clock (`rt`: TIME minus the verdict's age by its checker's
 * clock), so readers judge freshness from durations only, never comparing machine clocks; HSET
 * the checker's field, then make sure the hash outlives this verdict: when less than its ttl
 * is left, extend the expiry to 2 × ttl. Never shortens it (another checker may use a longer ttl);
 * the slack means one PEXPIRE per key per ttl instead of one per write. A key whose checkers have
 * all stopped vanishes within 2 × ttl of the last write.
 */
const PUT_VERDICT_LUA = `local t = redis.call('TIME')
local rt = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], string.sub(ARGV[2], 1, -2) .. ',"rt":' .. string.format('%d', rt) .. '}')
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], 2 * ttl) end
return 1`;

interface PutVerdictCommand {
  rondoPutVerdict(key: string, checker: string, value: string, ttlMs: number, ageMs: number): unknown;
}

/** Verdicts per change message: keeps one message well under a megabyte. */
const MESSAGE_CHUNK = 500;

export class RedisVerdictWriter {
  private readonly client: Redis;
  private readonly keys: HealthKeys;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly batchMs: number;
  private state: 'new' | 'running' | 'stopped' = 'new';

  private readonly pending = new Map<string, PendingWrite>();
  private readonly latest = new Map<string, Verdict>();
  /** When each (target, checker) verdict was last announced on the channel. */
  private readonly announcedAt = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushDueAt = Infinity;
  private flushing: Promise<void> | undefined;
  private writeFailing = false;

  constructor(options: RedisVerdictWriterOptions) {
    this.client = options.client;
    this.keys = options.keys;
    this.clock = options.clock;
    this.log = options.log;
    this.batchMs = options.batchMs;
    this.client.defineCommand('rondoPutVerdict', { numberOfKeys: 1, lua: PUT_VERDICT_LUA });
  }

  /** Verdicts written (or to write) and those queued, for heldCounts. */
  counts(): { written: number; queued: number } {
    return { written: this.latest.size, queued: this.pending.size };
  }

  /** Starts flushing (what was published before goes out now). */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    if (this.pending.size > 0) this.scheduleFlush(0);
  }

  /** Writes what is queued (bounded by the command timeout); publish() is ignored from now on. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!wasRunning) return;
    await this.flushing?.catch(() => undefined);
    await this.writePending().catch(() => undefined);
  }

  /** Queues a verdict; false when it was ignored (older than the one held, or stopped). */
  publish(verdict: Verdict): boolean {
    if (this.state === 'stopped') return false;
    const key = pairKey(verdict.targetId, verdict.checker);
    const previous = this.latest.get(key);
    if (previous !== undefined && previous.at > verdict.at) return false;
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
    this.scheduleFlush(changed ? 0 : this.batchMs);
    return true;
  }

  /** Writes everything queued now (tests and shutdown; normally the batch timer does it). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushDueAt = Infinity;
    await this.flushing?.catch(() => undefined);
    await this.writePending();
  }

  /** Redis is (back) ready, maybe restarted empty: write and announce every verdict that still counts. */
  rewriteAll(): void {
    if (this.state !== 'running') return;
    const now = this.clock.now();
    for (const [key, v] of this.latest) {
      if (isFresh(v, now)) this.pending.set(key, { verdict: v, announce: true });
    }
    if (this.pending.size > 0) this.scheduleFlush(0);
  }

  /** Forgets verdicts past their expiry that are not queued. */
  sweep(now: number): void {
    for (const [key, v] of this.latest) {
      if (!isFresh(v, now) && !this.pending.has(key)) {
        this.latest.delete(key);
        this.announcedAt.delete(key);
      }
    }
  }

  private scheduleFlush(delayMs: number): void {
    if (this.state !== 'running') return;
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
      const ageMs = Math.max(0, Math.round(now - verdict.at));
      put.rondoPutVerdict(this.keys.verdictKey(verdict.targetId), verdict.checker, encodeVerdictField(verdict), Math.ceil(verdict.ttlMs), ageMs);
    }
    const announce = batch.filter(([, w]) => w.announce).map(([, w]) => announcedVerdict(w.verdict, now));
    for (let i = 0; i < announce.length; i += MESSAGE_CHUNK) {
      announceIn(pipe, this.client, this.keys.channel, encodeMessage({ kind: 'verdicts', verdicts: announce.slice(i, i + MESSAGE_CHUNK) }));
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
}

function pairKey(targetId: string, checker: string): string {
  return `${targetId}\n${checker}`;
}
