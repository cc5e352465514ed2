/**
 * `/status`: what this process serves and how it sees its members, as JSON — zones, pools,
 * members with their decided health, DNS counters, Redis connectivity — plus, when Redis is on,
 * the shared model `rondo status` prints (every checker's verdict, overrides, live nodes).
 * Redis is only ever named by its redacted target (no password, ever).
 */
import type { StatusModel } from '../health/status.js';
import type { HealthView, OverrideKind, TargetState } from '../model/health.js';
import type { DnsStatsLike, RrlStatsLike } from './metrics.js';

/** The parts of a served zone the status shows (structurally a zones `Zone` plus its serial). */
export interface StatusZoneSource {
  readonly origin: string;
  readonly file: string;
  readonly serial: number | undefined;
  readonly pools: readonly {
    readonly key: string;
    readonly name: string;
    readonly type: number;
    readonly ttl: number;
    readonly config: { readonly policy: string; readonly answers: number | 'all'; readonly allDown: string; readonly unknown: string; readonly quorum: number | string };
    readonly members: readonly {
      readonly address: string;
      readonly weight: number;
      readonly priority: number;
      readonly backup: boolean;
      readonly targetId: string | undefined;
    }[];
  }[];
}

export interface StatusSource {
  readonly nodeId: string;
  readonly version: string;
  readonly startedAtMs: number;
  zones(): readonly StatusZoneSource[];
  health(): HealthView;
  /** True when a pool's members are all down and its all-down rule applies. */
  allDown?(poolKey: string): boolean;
  dns?(): { readonly listen: readonly string[]; readonly stats: DnsStatsLike; readonly fastPathAnswered?: number | undefined } | undefined;
  rrl?(): RrlStatsLike | undefined;
  /** `rondo serve --workers N`: worker processes, and how many answered for this status (its DNS counters sum these). */
  workers?(): { readonly count: number; readonly answered: number } | undefined;
  /** Redacted target (`redis://user:***@host:6379/0`, `sentinel://…`) and whether it is up. */
  redis?(): { readonly target: string; readonly connected: boolean } | undefined;
  /** The shared health model read from Redis (health/status.ts `readStatus`). */
  shared?(): Promise<StatusModel>;
  /** DNSSEC: the zones signed online, their keys and states. */
  dnssec?(): readonly SignedZoneStatusLike[];
}

/** One signed zone as /status shows it (structurally dns/sign's SignedZoneStatus). */
export interface SignedZoneStatusLike {
  readonly zone: string;
  readonly keys: readonly { readonly tag: number; readonly algorithm: number; readonly role: string; readonly state: string; readonly file: string }[];
  readonly signatures: number;
  readonly earliestExpiry: string | undefined;
}

export interface MemberStatus {
  readonly address: string;
  readonly weight: number;
  readonly priority: number;
  readonly backup: boolean;
  /** The target deciding its health; null when the member is not checked. */
  readonly target: string | null;
  /** Decided state; `unchecked` for members without a check and without an override. */
  readonly state: TargetState | 'unchecked';
  readonly reason: string | null;
  readonly latencyMs: number | null;
  readonly load: number | null;
  readonly override: OverrideKind | null;
}

export interface PoolStatus {
  readonly name: string;
  readonly type: 'A' | 'AAAA';
  readonly policy: string;
  readonly answers: number | 'all';
  readonly ttl: number;
  readonly allDownRule: string;
  readonly unknownRule: string;
  readonly quorum: number | string;
  /** Every member down: the all-down rule is being applied. */
  readonly allDown: boolean | null;
  readonly members: readonly MemberStatus[];
}

export interface AdminStatus {
  readonly node: { readonly id: string; readonly version: string; readonly startedAt: string; readonly uptimeSeconds: number };
  readonly zones: readonly { readonly origin: string; readonly file: string; readonly serial: number | null; readonly pools: readonly PoolStatus[] }[];
  readonly dns: { readonly listen: readonly string[]; readonly stats: DnsStatsLike; readonly fastPathAnswered: number | null } | null;
  readonly rrl: RrlStatsLike | null;
  /** With --workers: DNS worker processes, and how many answered for the DNS counters above. */
  readonly workers: { readonly count: number; readonly answered: number } | null;
  readonly redis: { readonly target: string; readonly connected: boolean } | null;
  /** The shared model from Redis; null without Redis, or when it could not be read (see sharedError). */
  readonly shared: StatusModel | null;
  readonly sharedError: string | null;
  /** Zones signed online (with --dnssec-keys), else null. */
  readonly dnssec: readonly SignedZoneStatusLike[] | null;
}

/** How long /status waits for the shared model from Redis before answering without it. */
export const SHARED_STATUS_TIMEOUT_MS = 2000;

function memberStatus(view: HealthView, pool: string, m: StatusZoneSource['pools'][number]['members'][number]): MemberStatus {
  const memberOverride = view.member?.(pool, m.address);
  const health = m.targetId === undefined ? undefined : view.get(m.targetId);
  const override = memberOverride ?? health?.override ?? null;
  let state: MemberStatus['state'];
  if (memberOverride !== undefined) state = memberOverride === 'force-up' ? 'up' : 'down';
  else if (m.targetId === undefined) state = 'unchecked';
  else state = health?.state ?? 'unknown';
  return {
    address: m.address,
    weight: m.weight,
    priority: m.priority,
    backup: m.backup,
    target: m.targetId ?? null,
    state,
    reason: health?.reason ?? null,
    latencyMs: health?.latencyMs ?? null,
    load: health?.load ?? null,
    override,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export async function buildStatus(source: StatusSource, nowMs = Date.now()): Promise<AdminStatus> {
  const view = source.health();
  const zones = source.zones().map((z) => ({
    origin: z.origin,
    file: z.file,
    serial: z.serial ?? null,
    pools: z.pools.map(
      (p): PoolStatus => ({
        name: p.name,
        type: p.type === 28 ? 'AAAA' : 'A',
        policy: p.config.policy,
        answers: p.config.answers,
        ttl: p.ttl,
        allDownRule: p.config.allDown,
        unknownRule: p.config.unknown,
        quorum: p.config.quorum,
        allDown: source.allDown ? source.allDown(p.key) : null,
        members: p.members.map((m) => memberStatus(view, p.name, m)),
      }),
    ),
  }));
  const dns = source.dns?.();
  let shared: StatusModel | null = null;
  let sharedError: string | null = null;
  if (source.shared) {
    try {
      shared = await withTimeout(source.shared(), SHARED_STATUS_TIMEOUT_MS);
    } catch (err) {
      sharedError = err instanceof Error ? err.message : String(err);
    }
  }
  return {
    node: {
      id: source.nodeId,
      version: source.version,
      startedAt: new Date(source.startedAtMs).toISOString(),
      uptimeSeconds: Math.max(0, Math.round((nowMs - source.startedAtMs) / 1000)),
    },
    zones,
    dns: dns ? { listen: dns.listen, stats: dns.stats, fastPathAnswered: dns.fastPathAnswered ?? null } : null,
    rrl: source.rrl?.() ?? null,
    workers: source.workers?.() ?? null,
    redis: source.redis?.() ?? null,
    shared,
    sharedError,
    dnssec: source.dnssec?.() ?? null,
  };
}
