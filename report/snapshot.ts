/**
 * The serialisable form of the observation counters, and how two of them merge. Each DNS server
 * exports its own snapshot; merging them gives the cluster's view. Every field is a count, a sum,
 * a minimum or a maximum, so merging is commutative and associative.
 *
 * Limitation: a resolver that spreads its queries over several of our servers shows longer gaps
 * on each; merged gap aggregates are per-server gaps (see docs/report.md).
 */
import { ConfigError } from '../lib/errors.js';

export const SNAPSHOT_VERSION = 1;

/** Gap histogram: bucket 0 is < 0.5 s, bucket i covers [2^(i−2), 2^(i−1)) s, the last is open. */
export const GAP_BUCKETS = 16;

/** The bucket of a gap in milliseconds. */
export function gapBucket(gapMs: number): number {
  if (gapMs < 500) return 0;
  const b = Math.floor(Math.log2(gapMs / 500)) + 1;
  return b >= GAP_BUCKETS ? GAP_BUCKETS - 1 : b;
}

/** Lower edge of a bucket in milliseconds. */
export function gapBucketLowMs(bucket: number): number {
  return bucket === 0 ? 0 : 500 * 2 ** (bucket - 1);
}

export interface SnapshotMember {
  readonly address: string;
  readonly weight: number;
  readonly backup: boolean;
  readonly priority: number;
  /** `site=` of a pool with `map=` (issue 12). */
  readonly site?: string;
}

export interface ResolverSnapshot {
  /** Formatted resolver key (`198.51.100.0/24`). */
  readonly key: string;
  readonly queries: number;
  readonly firstMs: number;
  readonly lastMs: number;
  /** Gaps between this resolver's repeated queries for the pool's name. */
  readonly gapCount: number;
  /** Smallest gap; 0 when gapCount is 0. */
  readonly gapMinMs: number;
  readonly gapSumMs: number;
  readonly gapSumSqMs: number;
  /**
   * The gaps measured from the start of the second (on a grid at offset 0 and at 500 ms) in which
   * the previous query came: sum and minimum per offset. Resolvers that keep TTLs in whole seconds
   * expire entries on that grid (demand.ts). Absent in snapshots from older versions.
   */
  readonly gridSumMs?: readonly number[];
  readonly gridMinMs?: readonly number[];
  /**
   * Sum over the gaps of the TTL given with the answer each gap began after, and the smallest
   * gap less that TTL, plain and on the two grids (three numbers): what a skew=correct pool's
   * per-resolver TTLs need (demand.ts). Absent in snapshots from older versions.
   */
  readonly heldSumMs?: number;
  readonly idleMinMs?: readonly number[];
  /** GAP_BUCKETS counts. */
  readonly hist: readonly number[];
  /** Per member: answers given, each answer split evenly over the members it carried. */
  readonly given: readonly number[];
  /**
   * Its latest answers, oldest first: when (epoch ms) and which member came first. Only the
   * busiest pools carry them (observe.ts); the report replays them (replay.ts).
   */
  readonly answers?: AnswerLog;
}

export interface AnswerLog {
  readonly atMs: readonly number[];
  readonly member: readonly number[];
}

/** Answers an answer log keeps: per pool in the observer (observe.ts), per resolver after a merge (the newest). */
export const ANSWER_LOG_CAPACITY = 4096;

/** Resolvers no longer tracked one by one (aged out, over the cap, or cut from the export). */
export interface RestSnapshot {
  readonly resolvers: number;
  readonly queries: number;
  /** Per member: estimated client requests, fixed when the resolver was folded in. */
  readonly load: readonly number[];
}

/** What names a pool and its answering in snapshots and reports. */
export interface PoolIdentity {
  readonly key: string;
  readonly name: string;
  /** 'A' or 'AAAA'. */
  readonly type: 'A' | 'AAAA';
  readonly policy: string;
  readonly answers: number | 'all';
  /** Seconds: the TTL the pool's answers carry. */
  readonly ttl: number;
}

export interface PoolSnapshot extends PoolIdentity {
  readonly members: readonly SnapshotMember[];
  /** Answers handed out. */
  readonly answersTotal: number;
  /** Per member: answers in which it came first. */
  readonly first: readonly number[];
  /** Per member: answers that included it. */
  readonly included: readonly number[];
  readonly resolvers: readonly ResolverSnapshot[];
  readonly rest: RestSnapshot;
}

export interface ObservationSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  /** Epoch milliseconds the counters started (the earliest, after a merge). */
  readonly sinceMs: number;
  readonly takenAtMs: number;
  /** How many server snapshots were merged into this one. */
  readonly sources: number;
  readonly pools: readonly PoolSnapshot[];
}

export function emptySnapshot(nowMs: number): ObservationSnapshot {
  return { version: SNAPSHOT_VERSION, sinceMs: nowMs, takenAtMs: nowMs, sources: 1, pools: [] };
}

/** Checks the shape of a snapshot read from elsewhere (Redis); throws ConfigError if it is not one. */
export function assertSnapshot(value: unknown): asserts value is ObservationSnapshot {
  const v = value as Partial<ObservationSnapshot> | null;
  if (!v || typeof v !== 'object' || v.version !== SNAPSHOT_VERSION || !Array.isArray(v.pools)) {
    throw new ConfigError('REPORT_BAD_SNAPSHOT', `not an observation snapshot (expected version ${SNAPSHOT_VERSION})`);
  }
}

function addAligned(target: number[], source: readonly number[], map: readonly number[]): void {
  for (let i = 0; i < source.length; i++) {
    const to = map[i] ?? -1;
    if (to >= 0) target[to] = (target[to] ?? 0) + (source[i] ?? 0);
  }
}

function mergeResolver(a: ResolverSnapshot, b: ResolverSnapshot, mapA: readonly number[], mapB: readonly number[], size: number): ResolverSnapshot {
  const given = new Array<number>(size).fill(0);
  addAligned(given, a.given, mapA);
  addAligned(given, b.given, mapB);
  const hist = new Array<number>(GAP_BUCKETS).fill(0);
  for (let i = 0; i < GAP_BUCKETS; i++) hist[i] = (a.hist[i] ?? 0) + (b.hist[i] ?? 0);
  const gapMinMs =
    a.gapCount === 0 ? b.gapMinMs : b.gapCount === 0 ? a.gapMinMs : Math.min(a.gapMinMs, b.gapMinMs);
  const grid = mergeGrid(a, b);
  const answers = mergeLogs(remapLog(a.answers, mapA), remapLog(b.answers, mapB));
  return {
    key: a.key,
    queries: a.queries + b.queries,
    firstMs: Math.min(a.firstMs, b.firstMs),
    lastMs: Math.max(a.lastMs, b.lastMs),
    gapCount: a.gapCount + b.gapCount,
    gapMinMs,
    gapSumMs: a.gapSumMs + b.gapSumMs,
    gapSumSqMs: a.gapSumSqMs + b.gapSumSqMs,
    ...grid,
    ...mergeHeld(a, b),
    hist,
    given,
    ...(answers ? { answers } : {}),
  };
}

/** A log with its members moved to merged positions (those with no position dropped). */
function remapLog(log: AnswerLog | undefined, map: readonly number[]): AnswerLog | undefined {
  if (!log) return undefined;
  const atMs: number[] = [];
  const member: number[] = [];
  for (let i = 0; i < log.atMs.length; i++) {
    const to = map[log.member[i]!] ?? -1;
    if (to < 0) continue;
    atMs.push(log.atMs[i]!);
    member.push(to);
  }
  return { atMs, member };
}

/** Both logs in time order, the newest ANSWER_LOG_CAPACITY kept. */
function mergeLogs(a: AnswerLog | undefined, b: AnswerLog | undefined): AnswerLog | undefined {
  if (!a || !b) return a ?? b;
  const order = [...a.atMs.map((t, i) => [t, a.member[i]!] as const), ...b.atMs.map((t, i) => [t, b.member[i]!] as const)].sort((x, y) => x[0] - y[0]);
  const kept = order.slice(Math.max(0, order.length - ANSWER_LOG_CAPACITY));
  return { atMs: kept.map((x) => x[0]), member: kept.map((x) => x[1]) };
}

/** Held sums add and idle minima take the smaller; dropped when a side with gaps lacks them (older version). */
function mergeHeld(a: ResolverSnapshot, b: ResolverSnapshot): Pick<ResolverSnapshot, 'heldSumMs' | 'idleMinMs'> {
  const has = (r: ResolverSnapshot): boolean => r.heldSumMs !== undefined && r.idleMinMs !== undefined;
  if (a.gapCount === 0 && has(b)) return { heldSumMs: b.heldSumMs, idleMinMs: [...b.idleMinMs!] };
  if (b.gapCount === 0 && has(a)) return { heldSumMs: a.heldSumMs, idleMinMs: [...a.idleMinMs!] };
  if (!has(a) || !has(b)) return {};
  const n = Math.min(a.idleMinMs!.length, b.idleMinMs!.length);
  const idleMinMs = Array.from({ length: n }, (_, i) => Math.min(a.idleMinMs![i]!, b.idleMinMs![i]!));
  return { heldSumMs: a.heldSumMs! + b.heldSumMs!, idleMinMs };
}

/** Grid sums add and minima take the smaller; dropped when either side lacks them (older version). */
function mergeGrid(a: ResolverSnapshot, b: ResolverSnapshot): Pick<ResolverSnapshot, 'gridSumMs' | 'gridMinMs'> {
  if (a.gapCount === 0 && b.gridSumMs && b.gridMinMs) return { gridSumMs: [...b.gridSumMs], gridMinMs: [...b.gridMinMs] };
  if (b.gapCount === 0 && a.gridSumMs && a.gridMinMs) return { gridSumMs: [...a.gridSumMs], gridMinMs: [...a.gridMinMs] };
  if (!a.gridSumMs || !a.gridMinMs || !b.gridSumMs || !b.gridMinMs) return {};
  const n = Math.min(a.gridSumMs.length, b.gridSumMs.length, a.gridMinMs.length, b.gridMinMs.length);
  const sum: number[] = [];
  const min: number[] = [];
  for (let i = 0; i < n; i++) {
    sum.push((a.gridSumMs[i] ?? 0) + (b.gridSumMs[i] ?? 0));
    min.push(Math.min(a.gridMinMs[i] ?? Infinity, b.gridMinMs[i] ?? Infinity));
  }
  return { gridSumMs: sum, gridMinMs: min };
}

function remapResolver(r: ResolverSnapshot, map: readonly number[], size: number): ResolverSnapshot {
  const given = new Array<number>(size).fill(0);
  addAligned(given, r.given, map);
  const answers = remapLog(r.answers, map);
  return { ...r, hist: [...r.hist], given, ...(answers ? { answers } : {}) };
}

function mergePool(a: PoolSnapshot, b: PoolSnapshot, newerIsB: boolean): PoolSnapshot {
  const members: SnapshotMember[] = [...a.members];
  const position = new Map(members.map((m, i) => [m.address, i]));
  const mapA = a.members.map((_, i) => i);
  const mapB = b.members.map((m) => {
    let at = position.get(m.address);
    if (at === undefined) {
      at = members.length;
      members.push(m);
      position.set(m.address, at);
    } else if (newerIsB) {
      members[at] = m;
    }
    return at;
  });
  const size = members.length;
  const first = new Array<number>(size).fill(0);
  const included = new Array<number>(size).fill(0);
  const restLoad = new Array<number>(size).fill(0);
  addAligned(first, a.first, mapA);
  addAligned(first, b.first, mapB);
  addAligned(included, a.included, mapA);
  addAligned(included, b.included, mapB);
  addAligned(restLoad, a.rest.load, mapA);
  addAligned(restLoad, b.rest.load, mapB);
  const identity = members.map((_, i) => i);
  const byKey = new Map<string, ResolverSnapshot>();
  for (const r of a.resolvers) byKey.set(r.key, remapResolver(r, mapA, size));
  for (const r of b.resolvers) {
    const seen = byKey.get(r.key);
    byKey.set(r.key, seen ? mergeResolver(seen, r, identity, mapB, size) : remapResolver(r, mapB, size));
  }
  const meta = newerIsB ? b : a;
  return {
    key: a.key,
    name: meta.name,
    type: meta.type,
    policy: meta.policy,
    answers: meta.answers,
    ttl: meta.ttl,
    members,
    answersTotal: a.answersTotal + b.answersTotal,
    first,
    included,
    resolvers: [...byKey.values()],
    rest: { resolvers: a.rest.resolvers + b.rest.resolvers, queries: a.rest.queries + b.rest.queries, load: restLoad },
  };
}

/**
 * Merges two snapshots (two servers, or two periods of one). Pools meet by key, members by
 * address, resolvers by key. Pool settings (TTL, policy, weights) come from the newer snapshot.
 */
export function mergeSnapshots(a: ObservationSnapshot, b: ObservationSnapshot): ObservationSnapshot {
  const newerIsB = b.takenAtMs > a.takenAtMs;
  const pools = new Map<string, PoolSnapshot>();
  for (const p of a.pools) pools.set(p.key, p);
  for (const p of b.pools) {
    const seen = pools.get(p.key);
    pools.set(p.key, seen ? mergePool(seen, p, newerIsB) : p);
  }
  return {
    version: SNAPSHOT_VERSION,
    sinceMs: Math.min(a.sinceMs, b.sinceMs),
    takenAtMs: Math.max(a.takenAtMs, b.takenAtMs),
    sources: a.sources + b.sources,
    pools: [...pools.values()],
  };
}

/** Merges any number of snapshots; undefined for none. */
export function mergeAllSnapshots(snapshots: readonly ObservationSnapshot[]): ObservationSnapshot | undefined {
  let out: ObservationSnapshot | undefined;
  for (const s of snapshots) out = out ? mergeSnapshots(out, s) : s;
  return out;
}
