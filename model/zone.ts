/**
 * The zone data model shared by the parser (zones/), the answerer (dns/), the policies (balance/)
 * and the checkers (checks/). Names are normalised once at the boundary: `name` fields are
 * lowercase and absolute (trailing dot); `display` fields keep the case the zone file used.
 */
import type { SourcePosition } from '../lib/errors.js';
import type { SiteMap } from './site-map.js';

export type { SiteMap, SiteRule, SiteNet } from './site-map.js';

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
  CAA: 257,
} as const;

export const CLASS_IN = 1;

export type Rdata =
  | { readonly kind: 'A'; readonly address: string }
  | { readonly kind: 'AAAA'; readonly address: string }
  | { readonly kind: 'NS'; readonly host: string }
  | { readonly kind: 'CNAME'; readonly target: string }
  | { readonly kind: 'PTR'; readonly target: string }
  | { readonly kind: 'MX'; readonly preference: number; readonly exchange: string }
  | { readonly kind: 'TXT'; readonly strings: readonly Uint8Array[] }
  | { readonly kind: 'SRV'; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  | { readonly kind: 'CAA'; readonly flags: number; readonly tag: string; readonly value: Uint8Array }
  | {
      readonly kind: 'SOA';
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  /** RFC 3597 `TYPEnnn \# len hex`, and any type without a dedicated form. */
  | { readonly kind: 'generic'; readonly data: Uint8Array };

/**
 * One resource record. Domain names inside rdata (NS host, CNAME target, ...) are absolute and
 * keep the zone file's case; compare them lowercased.
 */
export interface ResourceRecord {
  /** Owner, lowercase absolute. */
  readonly name: string;
  /** Owner as written (case kept), absolute. */
  readonly display: string;
  readonly type: number;
  /** Seconds. */
  readonly ttl: number;
  readonly rdata: Rdata;
  readonly source: SourcePosition;
}

/** All records of one owner and type. */
export interface RRset {
  readonly name: string;
  readonly display: string;
  readonly type: number;
  /** Seconds; RFC 2181 §5.2: one TTL per RRset (the smallest of its records). */
  readonly ttl: number;
  readonly records: readonly ResourceRecord[];
  /** Present when this A/AAAA RRset is load-balanced (several records, or a `;@pool`). */
  readonly pool?: Pool;
}

/** A name in the zone's tree. Empty non-terminals are present with no RRsets. */
export interface ZoneNode {
  readonly name: string;
  readonly display: string;
  readonly rrsets: ReadonlyMap<number, RRset>;
}

export type CheckKind = 'tcp' | 'http' | 'https' | 'icmp' | 'dns';

/** A `;@check NAME KIND ...` line. Durations in milliseconds. */
export interface CheckSpec {
  readonly name: string;
  readonly kind: CheckKind;
  /** Port to probe; default by kind (http 80, https 443, dns 53, tcp: required unless the member sets port=). */
  readonly port: number | undefined;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  readonly jitterMs: number;
  // http/https
  readonly path: string;
  readonly host: string | undefined;
  readonly method: string;
  /** Inclusive ranges of accepted status codes. */
  readonly expect: readonly (readonly [number, number])[];
  readonly body: string | undefined;
  readonly bodyRegex: string | undefined;
  readonly loadHeader: string | undefined;
  /** Dotted path into a JSON body, e.g. `stats.load`. */
  readonly loadJson: string | undefined;
  readonly insecure: boolean;
  // dns
  readonly qname: string | undefined;
  readonly qtype: string;
  readonly rcode: string;
  readonly source: SourcePosition;
}

export type PolicyName =
  | 'round-robin'
  | 'weighted'
  | 'random'
  | 'weighted-random'
  | 'failover'
  | 'sticky'
  | 'fastest'
  | 'least-loaded';

/** `cname`: answer a CNAME to PoolConfig.cnameTarget (`all-down=cname:TARGET`). */
export type AllDownMode = 'serve-all' | 'serve-backup' | 'nodata' | 'servfail' | 'cname';

/** `skew=`: `off` (default) answers by the policy alone; `correct` corrects caching skew (balance/skew.ts). */
export type SkewMode = 'off' | 'correct';

export interface PoolConfig {
  readonly policy: PolicyName;
  /** Records per answer; `all` = every selected member. Default: 1 for weighted/weighted-random, all otherwise. */
  readonly answers: number | 'all';
  /** Seconds; overrides the records' TTL in answers. */
  readonly ttl: number | undefined;
  /** Name of the check (in this zone) that probes every member unless a member overrides it. */
  readonly check: string | undefined;
  readonly allDown: AllDownMode;
  /** How a member whose health is not yet known is answered. */
  readonly unknown: 'up' | 'down';
  /** How many fresh checker verdicts must agree (shared health through Redis). */
  readonly quorum: number | 'majority' | 'all';
  /** Sticky policy: client prefix lengths. */
  readonly stickyV4Prefix: number;
  readonly stickyV6Prefix: number;
  /** `map=`: the `;@map` (in this zone) that steers clients to sites. */
  readonly map?: string;
  /** `site-threshold=`: a site is up while at least this fraction (0-1] of its members' weight is up. Default 0.5. */
  readonly siteThreshold?: number;
  /** `all-down=cname:TARGET`: the CNAME target, absolute, case as written. */
  readonly cnameTarget?: string;
  /** Caching-skew correction; absent means `off`. */
  readonly skew?: SkewMode;
  /** Seconds: the shortest TTL skew correction gives a busy resolver (`ttl-min=`, default 1). */
  readonly ttlMin?: number | undefined;
  /** Seconds: the longest TTL skew correction gives (`ttl-max=`, default the pool's TTL). */
  readonly ttlMax?: number | undefined;
}

/** The pool settings `;@pool` starts from, and what a pool is when only several records (no `;@pool`) make it one. */
export const DEFAULT_POOL_CONFIG: PoolConfig = {
  policy: 'round-robin',
  answers: 'all',
  ttl: undefined,
  check: undefined,
  allDown: 'serve-all',
  unknown: 'up',
  quorum: 'majority',
  stickyV4Prefix: 24,
  stickyV6Prefix: 56,
};


export interface PoolMember {
  /** Canonical address text (IPv6 compressed, lowercase). */
  readonly address: string;
  readonly family: 4 | 6;
  readonly weight: number;
  /** Failover group, 1 = first. */
  readonly priority: number;
  readonly backup: boolean;
  /** `site=`: the site this member belongs to (pools with `map=`). */
  readonly site?: string;
  /** The target that decides this member's health, or undefined when it is not checked. */
  readonly targetId: string | undefined;
  /** The record this member came from. */
  readonly record: ResourceRecord;
}

export interface Pool {
  /** Stable key, e.g. `www.example.test./A`. */
  readonly key: string;
  readonly name: string;
  readonly display: string;
  /** RRType.A or RRType.AAAA. */
  readonly type: number;
  readonly config: PoolConfig;
  readonly members: readonly PoolMember[];
  /** Seconds: the TTL answers carry (config.ttl, else the RRset TTL). */
  readonly ttl: number;
  /** The compiled `;@map` named by config.map. */
  readonly siteMap?: SiteMap;
}

/**
 * One thing a checker probes. The id is stable across processes that load the same zone files,
 * so verdicts from many checkers in Redis meet on it:
 * `<zone origin>/<check name>/<probe address>/<port>`.
 */
export interface Target {
  readonly id: string;
  readonly zone: string;
  readonly check: CheckSpec;
  readonly address: string;
  readonly port: number;
}

/**
 * A zone's probe targets one at a time, by index: a compact zone's rows make each on demand, so
 * a pass over them can run in slices (the checks scheduler after a reload).
 */
export interface TargetSource {
  readonly count: number;
  id(i: number): string | undefined;
  checkOf(i: number): CheckSpec | undefined;
  target(i: number): Target | undefined;
}

/** A compact zone's targets as rows: each one found by id, with its pools' quorums, no pool decoded. */
export interface TargetRowSource extends TargetSource {
  /** The quorums of the pools probing target i. */
  quorumsOf(i: number): readonly PoolConfig['quorum'][];
  /** The index of the target with this id, or -1. */
  indexOf(id: string): number;
}

/** A list of targets as a TargetSource. */
export function targetList(targets: readonly Target[]): TargetSource {
  return { count: targets.length, id: (i) => targets[i]?.id, checkOf: (i) => targets[i]?.check, target: (i) => targets[i] };
}

/** A compiled, immutable zone. */
export interface Zone {
  /** Apex, lowercase absolute. */
  readonly origin: string;
  readonly display: string;
  /** The file it was loaded from (the top file, not $INCLUDEs). */
  readonly file: string;
  readonly soa: RRset;
  /** Every name in the zone, including empty non-terminals, keyed by lowercase absolute name. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  readonly pools: readonly Pool[];
  readonly checks: ReadonlyMap<string, CheckSpec>;
  readonly targets: readonly Target[];
  /** The same targets one at a time, made on demand (a compact zone); absent: `targets` is a plain list. */
  readonly targetSource?: TargetRowSource;
  /** Number of resource records. */
  readonly size: number;
  /** `;@map` lines by name (absent or empty: none). */
  readonly maps?: ReadonlyMap<string, SiteMap>;
  /**
   * Present on zones compiled compactly (zones/compact.ts), whose `pools` and `nodes` are decoded
   * on demand: the server reaches pools through this index instead of materialising every one.
   */
  readonly poolIndex?: PoolIndex;
  /** Delegation points (names below the apex with NS), when the compiler listed them. */
  readonly delegations?: readonly string[];
}

/** A zone's pools without materialising them all (a zone of 100,000 pools answers a few at a time). */
export interface PoolIndex {
  readonly count: number;
  /** The pool at owner `name` (lowercase absolute) and `type` (A or AAAA), decoded on first use. */
  find(name: string, type: number): Pool | undefined;
  /** The decoded pools with a member probing this target (only those can have a plan to rebuild). */
  decodedWithTarget(targetId: string): readonly Pool[];
  /** Whether a pool with this key (`name/A`, `name/AAAA`) exists. */
  has(key: string): boolean;
  /** Every pool with `map=` (decoded: site states for status and metrics); the others stay undecoded. */
  mapped(): readonly Pool[];
}
