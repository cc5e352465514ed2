/**
 * Observation snapshots shared through Redis, so a report covers the whole cluster: each DNS
 * server writes its own snapshot to `{prefix}:obs:{nodeId}` every `intervalMs` (default 10 s),
 * with an expiry of a few intervals so a server that stopped drops out; a report reads every live
 * snapshot (SCAN + MGET) and merges them (snapshot.ts). Writing happens on a timer, never on the
 * query path; the snapshot keeps the busiest resolvers one by one and folds the rest, so what
 * crosses Redis stays small (about 300 bytes per resolver kept).
 */
import type { Logger } from '../lib/logger.js';
import { assertSnapshot, mergeAllSnapshots } from './snapshot.js';
import type { ObservationSnapshot } from './snapshot.js';

/** The Redis commands used (an ioredis client fits). */
export interface SnapshotRedis {
  set(key: string, value: string, px: 'PX', ttlMs: number): Promise<unknown>;
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  mget(keys: string[]): Promise<(string | null)[]>;
}

export const DEFAULT_PUBLISH_INTERVAL_MS = 10_000;
/** Resolvers kept one by one per pool in what a server writes to Redis. */
export const REDIS_RESOLVERS_PER_POOL = 1_000;
const SCAN_MAX_ROUNDS = 10_000;
const MGET_CHUNK = 100;

export function observationKey(prefix: string, nodeId: string): string {
  return `${prefix}:obs:${nodeId}`;
}

export function observationPattern(prefix: string): string {
  return `${prefix}:obs:*`;
}

export interface SnapshotPublisherOptions {
  readonly redis: SnapshotRedis;
  readonly prefix: string;
  readonly nodeId: string;
  /** This server's snapshot now (called on the timer; may gather it, e.g. from worker processes). */
  readonly snapshot: () => ObservationSnapshot | Promise<ObservationSnapshot>;
  readonly logger: Logger;
  readonly intervalMs?: number;
  /** Expiry of the written key; default 3 × intervalMs. */
  readonly ttlMs?: number;
}

/** Writes this server's snapshot to Redis periodically. Failures are logged once per outage. */
export class SnapshotPublisher {
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly ttlMs: number;
  private readonly key: string;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failing = false;

  constructor(private readonly options: SnapshotPublisherOptions) {
    this.log = options.logger.child({ component: 'report' });
    this.intervalMs = options.intervalMs ?? DEFAULT_PUBLISH_INTERVAL_MS;
    this.ttlMs = options.ttlMs ?? 3 * this.intervalMs;
    this.key = observationKey(options.prefix, options.nodeId);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.publish(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a write in progress. The key lapses by its expiry. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Writes the snapshot now (the timer calls this; tests too). Never rejects. */
  publish(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const run = async (): Promise<void> => {
      try {
        const text = JSON.stringify(await this.options.snapshot());
        await this.options.redis.set(this.key, text, 'PX', this.ttlMs);
        if (this.failing) this.log.info('observation snapshots written to Redis again');
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.log.warn({ err: errorSummary(err) }, 'could not write the observation snapshot to Redis; retrying');
        this.failing = true;
      }
    };
    this.inFlight = run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }
}

function errorSummary(err: unknown): { type: string; message: string } {
  return err instanceof Error ? { type: err.name, message: err.message } : { type: typeof err, message: String(err) };
}

export interface StoredSnapshot {
  readonly nodeId: string;
  readonly snapshot: ObservationSnapshot;
}

export interface ReadSnapshotsResult {
  readonly snapshots: readonly StoredSnapshot[];
  /** Keys whose value was not a snapshot this version understands (skipped). */
  readonly skipped: readonly string[];
}

/** Every live snapshot under the prefix, except `exclude` (this server, whose own is fresher). */
export async function readSnapshots(redis: SnapshotRedis, prefix: string, options: { readonly exclude?: string } = {}): Promise<ReadSnapshotsResult> {
  const head = `${prefix}:obs:`;
  const keys = new Set<string>();
  let cursor = '0';
  for (let round = 0; ; round++) {
    if (round >= SCAN_MAX_ROUNDS) break;
    const [next, found] = await redis.scan(cursor, 'MATCH', observationPattern(prefix), 'COUNT', 500);
    for (const k of found) keys.add(k);
    cursor = next;
    if (cursor === '0') break;
  }
  const wanted = [...keys].filter((k) => k.startsWith(head) && k.length > head.length && k.slice(head.length) !== options.exclude).sort();
  const snapshots: StoredSnapshot[] = [];
  const skipped: string[] = [];
  for (let i = 0; i < wanted.length; i += MGET_CHUNK) {
    const chunk = wanted.slice(i, i + MGET_CHUNK);
    const values = await redis.mget(chunk);
    chunk.forEach((key, j) => {
      const text = values[j];
      if (text === null || text === undefined) return; // expired between SCAN and MGET
      try {
        const value: unknown = JSON.parse(text);
        assertSnapshot(value);
        if (!wellFormed(value)) throw new Error('malformed');
        snapshots.push({ nodeId: key.slice(head.length), snapshot: value });
      } catch {
        skipped.push(key);
      }
    });
  }
  return { snapshots, skipped };
}

const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const numArray = (v: unknown): boolean => Array.isArray(v) && v.every(isNum);

/** Deeper than assertSnapshot: every field the report reads has the right type. */
function wellFormed(s: ObservationSnapshot): boolean {
  if (!isNum(s.sinceMs) || !isNum(s.takenAtMs) || !isNum(s.sources)) return false;
  return s.pools.every((p) => {
    if (typeof p !== 'object' || p === null || typeof p.key !== 'string' || typeof p.name !== 'string' || !isNum(p.ttl) || !isNum(p.answersTotal)) return false;
    if (!Array.isArray(p.members) || !p.members.every((m) => typeof m?.address === 'string' && isNum(m.weight))) return false;
    if (!numArray(p.first) || !numArray(p.included) || !Array.isArray(p.resolvers)) return false;
    if (typeof p.rest !== 'object' || p.rest === null || !numArray(p.rest.load) || !isNum(p.rest.resolvers) || !isNum(p.rest.queries)) return false;
    return p.resolvers.every(
      (r) =>
        typeof r?.key === 'string' &&
        [r.queries, r.firstMs, r.lastMs, r.gapCount, r.gapMinMs, r.gapSumMs, r.gapSumSqMs].every(isNum) &&
        numArray(r.hist) &&
        numArray(r.given) &&
        (r.gridSumMs === undefined || numArray(r.gridSumMs)) &&
        (r.gridMinMs === undefined || numArray(r.gridMinMs)) &&
        (r.heldSumMs === undefined || Number.isFinite(r.heldSumMs)) &&
        (r.idleMinMs === undefined || numArray(r.idleMinMs)),
    );
  });
}

/** This server's snapshot merged with every other live one in Redis. */
export async function clusterSnapshot(redis: SnapshotRedis, prefix: string, own: ObservationSnapshot | undefined, ownNodeId?: string): Promise<ObservationSnapshot | undefined> {
  const { snapshots } = await readSnapshots(redis, prefix, ownNodeId === undefined ? {} : { exclude: ownNodeId });
  return mergeAllSnapshots([...(own ? [own] : []), ...snapshots.map((s) => s.snapshot)]);
}
