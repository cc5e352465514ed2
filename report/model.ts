/**
 * The report model: what `rondo report` and `rondo simulate` produce and every renderer reads.
 * Plain JSON data (no Maps, no Infinity, no functions) so it can be served as `/report`, stored,
 * and re-rendered in the browser by the same chart code. Shares are fractions (0..1); `ttl` and
 * `*Seconds` fields are seconds.
 */
import type { PoolIdentity } from './snapshot.js';

/** Which counts a set of skew metrics was computed from. */
export type SkewBasis = 'answers' | 'estimated' | 'measured' | 'requests' | 'connections' | 'lookups';

export interface SkewMetrics {
  readonly basis: SkewBasis;
  /** Largest share ÷ target over smallest share ÷ target; null when some member got nothing. */
  readonly maxMinRatio: number | null;
  /** Largest share ÷ target: how much more than intended the busiest member gets. */
  readonly overloadFactor: number;
  /** Target-weighted coefficient of variation of share ÷ target (std/mean for equal weights). */
  readonly cv: number;
  /** Gini coefficient of share ÷ target across members (0 = even). */
  readonly gini: number;
}

export interface MemberReport {
  readonly address: string;
  /** What charts print: the address, or `address (backup)`. */
  readonly label: string;
  readonly weight: number;
  readonly backup: boolean;
  /** Intended share from the policy and the weights (0 for backups while primaries exist). */
  readonly targetShare: number;
  /** Share of answers in which this member came first. */
  readonly firstShare: number;
  /** Share of answers that included it (sums to `answers` per answer, so not to 1 when answers>1). */
  readonly includedShare: number;
  /** Share of client load estimated from resolver demand; null without resolver data. */
  readonly estimatedShare: number | null;
  /**
   * The estimated client requests behind that share, over the report period (a count, so shares
   * can be added up across pools that send to the same backends); absent in older models.
   */
  readonly estimatedRequests?: number | null;
  /** Share of the load the backends report (health checks' load figure), or simulated requests. */
  readonly measuredShare: number | null;
  /** `site=` of a pool with `map=` (issue 12). */
  readonly site?: string;
}

/** One site of a pool with `map=` (issue 12): its members' shares added up. */
export interface SiteReport {
  readonly site: string;
  /** Member addresses of the site. */
  readonly members: readonly string[];
  /** Share of the pool's answers that came from this site (first member's site). */
  readonly answeredShare: number;
  /** Share of the pool's estimated client load on this site; null without resolver data. */
  readonly estimatedShare: number | null;
  /** Share of the load the site's backends report; null without load figures. */
  readonly measuredShare: number | null;
  /** Skew among the site's own members (answers basis; null with fewer than two members or no answers). */
  readonly skew: SkewMetrics | null;
}

export interface TopResolver {
  /**
   * How the row is shown: the source /24 of IPv4 resolvers (`198.51.100.0/24`), else the ECS subnet
   * or the IPv6 source /56. Each IPv4 source address in it is one cache, estimated on its own.
   */
  readonly key: string;
  /** How it is grouped for display: the source /24 of an IPv4 address, else the key. */
  readonly group?: string;
  /**
   * Caches (source addresses) in the row, each estimated on its own and added up.
   */
  readonly caches?: number;
  readonly queries: number;
  /** Share of this pool's estimated client load. */
  readonly loadShare: number;
  /** Effective TTL seen from repeat-query gaps (seconds), null when too few gaps. */
  readonly ttlEffSeconds: number | null;
  /** Estimated client requests per second behind this resolver, null when unknown. */
  readonly ratePerSecond: number | null;
  readonly flags: readonly ResolverFlag[];
  /** Per member (same order as `members`): share of that member's estimated load from this resolver. */
  readonly contribution: readonly number[];
}

export type ResolverFlag = 'prefetch' | 'extends-ttl' | 'shared-key' | 'sparse' | 'saturated';

export interface ResolverSummary {
  /** Resolver keys seen (tracked + evicted or untracked). */
  readonly seen: number;
  readonly tracked: number;
  /** Display groups (source /24s) among the tracked keys. */
  readonly groups?: number;
  /** 1/HHI of the resolvers' estimated load shares: how many independent decision units. */
  readonly nEff: number | null;
  /** 1/HHI of the resolvers' query shares. */
  readonly nEffByQueries: number | null;
  /** Share of load on resolvers whose gaps show a TTL longer than the one served. */
  readonly extendingShare: number;
  readonly prefetchShare: number;
  readonly top: readonly TopResolver[];
}

export interface ClosedFormRow {
  readonly windowSeconds: number;
  /** CV² ≈ (1−w)/w · Σ s_r² / (1 + W/T_r), averaged over members (research note §5). */
  readonly predictedCv: number;
  /** The CV seen over windows of this length (simulator) or over the whole report (observed). */
  readonly observedCv: number | null;
  /**
   * True when answers carry several members: resolvers that reorder per response are then not
   * decision units, and the prediction is an upper bound (research note §8: 3–14× too high).
   */
  readonly upperBound: boolean;
  /**
   * For answers of several members: the CV if no resolver keeps the order it was given, and if
   * every one does (PowerDNS Recursor replays one order per cache entry). The authoritative cannot
   * see which resolvers do, so `predictedCv` assumes the client model's prior share between them.
   */
  readonly range?: { readonly lower: number; readonly upper: number };
  /** From the replay of the answers given (replay.ts), not the closed form. */
  readonly replayed?: boolean;
  /** With `replayed`: what the closed form (independent draws) gives for the same estimates. */
  readonly closedFormCv?: number;
}

export interface DrainPoint {
  readonly seconds: number;
  /** What the time is, e.g. `1×TTL`, `5 min`. */
  readonly label: string;
  /** Fraction of lookups (new connections) still going to the removed member, vs before. */
  readonly lookups: number;
  /** Fraction of requests (connections live on) still going to it. */
  readonly requests: number;
}

export interface DrainCurve {
  /** Whose curve: a member address, or `pool`. */
  readonly label: string;
  readonly points: readonly { readonly seconds: number; readonly lookups: number; readonly requests: number }[];
}

export interface DrainReport {
  readonly ttl: number;
  /** `estimated` from the resolver gaps and the client model; `simulated` from a run. */
  readonly source: 'estimated' | 'simulated';
  /** The member removed (simulated), or null for the pool-wide estimate. */
  readonly member: string | null;
  readonly marks: readonly DrainPoint[];
  /** Seconds until lookups to the member fall below 10% / 1% of before; null if not within the horizon. */
  readonly drained90Seconds: number | null;
  readonly drained99Seconds: number | null;
  readonly curves: readonly DrainCurve[];
  /** The member curves come from the replay of the answers given: each member removed at the report's time. */
  readonly membersReplayed?: boolean;
}

export interface WindowSummary {
  readonly windowSeconds: number;
  readonly basis: SkewBasis;
  readonly windows: number;
  readonly cvMean: number;
  /** Root mean square of the per-window CVs: what the closed form predicts. */
  readonly cvRms: number;
  readonly cvP50: number;
  readonly cvP95: number;
  readonly cvP99: number;
  readonly maxMinP50: number | null;
  readonly overloadP95: number;
  readonly overloadP99: number;
}

export type AdviceCode =
  | 'order-weights-lost'
  | 'dominant-resolver'
  | 'few-decision-units'
  | 'ttl-extended'
  | 'ttl-below-browser-floor'
  | 'overloaded-member'
  | 'ipv6-rule9'
  | 'estimate-disagrees'
  | 'little-data';

export interface Advice {
  readonly code: AdviceCode;
  readonly severity: 'info' | 'warn';
  readonly text: string;
}

/** A `skew=correct` pool's correction (report/skew-correction.ts). */
export interface SkewCorrectionReport {
  readonly resolversTracked: number;
  /** Resolvers with a demand estimate; the others get plain rotation. */
  readonly resolversEstimated: number;
  /** Σ λ̂ over them: client requests per second the correction steers. */
  readonly steeredRatePerSecond: number;
  readonly correctedAnswers: number;
  readonly rotatedAnswers: number;
  /** TTL buckets (seconds) and how many estimated resolvers each holds. */
  readonly buckets: readonly { readonly ttl: number; readonly resolvers: number }[];
  readonly windows: readonly {
    readonly windowSeconds: number;
    /** Finished windows counted. */
    readonly windows: number;
    /** RMS CV across members of the load the correction charged (its own count). */
    readonly withCorrection: number | null;
    /**
     * RMS CV across members of the load the backends reported (`load-header` / `load-json`) with the
     * correction on: their own count, null without load reports.
     */
    readonly reported?: number | null;
    /** Finished windows of reported load. */
    readonly reportedWindows?: number;
    /** The closed form for the same resolvers under plain rotation at the pool TTL (the estimate with it off). */
    readonly rotationEstimate: number | null;
    /** True when answers carry several members: the estimate is then an upper bound. */
    readonly upperBound: boolean;
  }[];
  /**
   * Closing the loop on the load the backends report (`load-header` / `load-json`): rounds
   * applied, and per member the last reported load beside the rate the model had charged it.
   * Absent when no member reports load.
   */
  readonly feedback?: {
    readonly rounds: number;
    readonly ageSeconds: number | null;
    readonly members: readonly { readonly index: number; readonly reported: number | null; readonly modelled: number }[];
  };
}

export interface PoolReport extends PoolIdentity {
  /** Answers handed out for this pool in the report period. */
  readonly answersTotal: number;
  readonly members: readonly MemberReport[];
  readonly skew: readonly SkewMetrics[];
  readonly resolvers: ResolverSummary;
  readonly closedForm: readonly ClosedFormRow[];
  readonly drain: DrainReport;
  /** Per-window skew (simulator only). */
  readonly windows?: readonly WindowSummary[];
  readonly advice: readonly Advice[];
  /** Pools with `map=`: the same figures per site. */
  readonly sites?: readonly SiteReport[];
  /** Present for `skew=correct` pools (served by this process, or simulated). */
  readonly correction?: SkewCorrectionReport;
}

export interface ReportModel {
  readonly kind: 'observed' | 'simulated';
  /** ISO time the model was built. */
  readonly generatedAt: string;
  /** Epoch milliseconds the observations cover (simulated: simulated seconds × 1000 from 0). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly pools: readonly PoolReport[];
  readonly notes: readonly string[];
}
