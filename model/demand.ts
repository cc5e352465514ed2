/**
 * The per-resolver demand table skew correction runs on: how many client requests per second
 * stand behind each resolver cache that asks for a pool. report/ estimates it from repeat-query
 * gaps (report/skew-demand.ts), server/ hands it to the plans as data, and balance/skew.ts reads
 * it on the query path through an index it builds once per table. Plain data: no behaviour.
 */

/** One resolver cache's estimated demand. */
export interface ResolverDemandEntry {
  /** The cache identity: the query's source address as the socket reports it (`192.0.2.1`). */
  readonly key: string;
  /** Estimated client requests per second behind it; > 0. */
  readonly ratePerSecond: number;
  /**
   * Seconds the resolver keeps an answer beyond the TTL it is given (a TTL floor such as Knot's
   * 5 s, or a clamp), as its gaps show; 0 when it honours the TTL.
   */
  readonly extraHoldSeconds: number;
}

/** The demand table of one pool. */
export interface PoolDemandTable {
  /** Pool key, e.g. `www.example.org./A`. */
  readonly poolKey: string;
  /** Epoch milliseconds the estimate was made. */
  readonly atMs: number;
  /** Resolvers with an estimate; any other resolver is answered by plain rotation. */
  readonly entries: readonly ResolverDemandEntry[];
  /** How the load of one answer is spent over time (from the report's client model). */
  readonly carry: CarryProfile;
}

/**
 * How the λ̂·T client requests one answer commits are spent: `followShare` of them while the
 * resolver's entry lives (clients that follow the TTL), the rest afterwards, decaying with mean
 * `tailSeconds` (clients that pin the answer and keep their connections: browsers' 60 s, keep-alive).
 */
export interface CarryProfile {
  readonly followShare: number;
  readonly tailSeconds: number;
}

/**
 * What skew correction records of one resolver (balance/skew-ledger.ts): the idle time between
 * the expiry of the entry it was last given (that answer's TTL after our answer) and its next
 * query, in milliseconds — plain, and measured from the whole second (and half second) before the
 * previous query, because resolvers keep TTLs in whole seconds (report/demand.ts). Re-asks before
 * the expiry (prefetch, several caches behind one address) are only counted (`early`).
 */
export interface NormalisedGaps {
  readonly key: string;
  readonly queries: number;
  /** Idle samples (re-asks at or after expiry). */
  readonly gapCount: number;
  readonly early: number;
  /** Sum of every gap, early ones included (ms). */
  readonly spanMs: number;
  /** Prefetch re-asks (before the expiry, after half the TTL): count, sum and minimum of gap − TTL (ms, negative). */
  readonly prefetch: readonly [number, number, number];
  readonly gapMinMs: number;
  readonly gapSumMs: number;
  readonly gapSumSqMs: number;
  readonly gridSumMs: readonly [number, number];
  readonly gridMinMs: readonly [number, number];
}
