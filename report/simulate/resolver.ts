/**
 * Resolver caches. Each holds one answer (a variant of the plan) until its effective TTL runs
 * out, refreshes early when it prefetches, and hands clients the records in its reorder mode's
 * order. A miss asks the authoritative (the `ask` callback), which is where observations happen.
 */
import type { Random } from '../../lib/random.js';
import type { Population } from './population.js';
import { PREFETCH_BIND, PREFETCH_UNBOUND, REORDER_FROZEN, REORDER_PER_RESPONSE } from './population.js';
import type { SimulateParams } from './params.js';

/** Asks the authoritative on behalf of cache q at time t; returns a global variant id. */
export type AskAuthoritative = (cache: number, t: number) => number;

export class ResolverCaches {
  readonly variant: Int32Array;
  readonly fetched: Float64Array;
  readonly expiry: Float64Array;
  readonly offset: Int32Array;
  /** The effective TTL of the entry held (the variant's TTL, raised to the cache's floor). */
  readonly entryTtl: Float64Array;

  /** Result of the last lookup(): variant id, rotation, when the authoritative issued it, expiry. */
  outVariant = -1;
  outOffset = 0;
  outFetched = 0;
  outExpiry = 0;

  constructor(
    private readonly pop: Population,
    private readonly params: SimulateParams,
    private readonly random: Random,
    private readonly ask: AskAuthoritative,
    private readonly variantLength: (id: number) => number,
    /** Seconds the variant's answer carries; undefined: our TTL (cacheTtl applies). */
    private readonly variantTtl?: (id: number) => number | undefined,
  ) {
    this.entryTtl = new Float64Array(pop.caches);
    this.variant = new Int32Array(pop.caches).fill(-1);
    this.fetched = new Float64Array(pop.caches);
    this.expiry = new Float64Array(pop.caches);
    this.offset = new Int32Array(pop.caches);
  }

  /**
   * Starts every cache mid-life (fetched uniformly within its TTL before t = 0), as a resolver
   * population in steady state is, instead of all fetching at once.
   */
  prefill(answer: (cache: number) => number): void {
    for (let q = 0; q < this.pop.caches; q++) {
      const id = answer(q);
      const ttl = this.ttlOf(q, id);
      this.entryTtl[q] = ttl;
      if (!(ttl > 0)) continue;
      this.variant[q] = id;
      this.fetched[q] = -this.random.next() * ttl;
      this.expiry[q] = this.fetched[q]! + ttl;
      this.offset[q] = Math.floor(this.random.next() * this.variantLength(id));
    }
  }

  /** Effective TTL of variant `id` at cache q: its TTL raised to the cache's floor or clamp. */
  private ttlOf(q: number, id: number): number {
    const own = this.variantTtl?.(id);
    return own === undefined ? this.pop.cacheTtl[q]! : Math.max(own, this.pop.cacheMinTtl[q]!);
  }

  private refresh(q: number, t: number): void {
    const id = this.ask(q, t);
    const ttl = this.ttlOf(q, id);
    this.variant[q] = id;
    this.fetched[q] = t;
    this.entryTtl[q] = ttl;
    this.expiry[q] = t + ttl;
    // A frozen order is drawn once per entry (PowerDNS shuffles, then replays the packet).
    this.offset[q] = Math.floor(this.random.next() * this.variantLength(id));
  }

  private prefetchDue(q: number, t: number): boolean {
    const mode = this.pop.cachePrefetch[q]!;
    if (mode === PREFETCH_BIND) {
      const ttl = this.entryTtl[q]!;
      return ttl >= this.params.bindPrefetchMinTtl && this.expiry[q]! - t <= this.params.bindPrefetchSeconds;
    }
    if (mode === PREFETCH_UNBOUND) return this.expiry[q]! - t <= this.params.unboundPrefetchFraction * this.entryTtl[q]!;
    return false;
  }

  /** A client lookup at cache q, time t; the answer is left in the out* fields. */
  lookup(q: number, t: number): void {
    if (this.variant[q]! < 0 || this.expiry[q]! <= t || this.prefetchDue(q, t)) this.refresh(q, t);
    const id = this.variant[q]!;
    const mode = this.pop.cacheReorder[q]!;
    this.outVariant = id;
    this.outOffset =
      mode === REORDER_PER_RESPONSE ? Math.floor(this.random.next() * this.variantLength(id)) : mode === REORDER_FROZEN ? this.offset[q]! : 0;
    this.outFetched = this.fetched[q]!;
    this.outExpiry = this.expiry[q]!;
  }
}
