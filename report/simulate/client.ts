/**
 * Clients: each keeps its last answer (class rules: browsers at least 60 s, stubs the TTL, sticky
 * clients the TTL plus a lognormal lag) and one connection (exponential lifetime, closed after its
 * class's idle timeout). Every request looks the name up (through the client's cache); it reuses
 * the connection if one is open, else connects to the answer's first address (or a random one;
 * or, for IPv6 with rule 9, the address the client prefers). When the chosen backend is dead the
 * client tries the next address it holds.
 */
import type { Random } from '../../lib/random.js';
import type { Population } from './population.js';
import { REORDER_FROZEN, REORDER_PRESERVE } from './population.js';
import type { SimulateParams } from './params.js';
import type { ResolverCaches } from './resolver.js';

export class Clients {
  private readonly answer: Int32Array;
  private readonly answerOffset: Int32Array;
  private readonly answerExpiry: Float64Array;
  private readonly connBackend: Int32Array;
  private readonly connEnd: Float64Array;
  private readonly connLast: Float64Array;
  private readonly pinSeconds: Float64Array;
  private readonly lagMedian: Float64Array;
  private readonly lagSigma: Float64Array;
  private readonly idle: Float64Array;
  private readonly pinFromIssue: boolean;
  private readonly lifetime: number;
  private readonly backends: number;
  /** Members that refuse connections (removal = dead). */
  readonly dead: Uint8Array;

  /**
   * Set by request(): the backend served (−1: failed), whether a connection was opened, and the
   * backend the client's current answer points to (what a new connection would try first).
   */
  outBackend = -1;
  outNewConnection = false;
  outLookup = -1;

  constructor(
    private readonly pop: Population,
    params: SimulateParams,
    private readonly random: Random,
    private readonly resolvers: ResolverCaches,
    private readonly variants: readonly (readonly number[])[],
  ) {
    const n = pop.clients;
    this.answer = new Int32Array(n).fill(-1);
    this.answerOffset = new Int32Array(n);
    this.answerExpiry = new Float64Array(n);
    this.connBackend = new Int32Array(n).fill(-1);
    this.connEnd = new Float64Array(n);
    this.connLast = new Float64Array(n);
    const classes = params.client.classes;
    this.pinSeconds = Float64Array.from(classes, (c) => c.pinSeconds);
    this.lagMedian = Float64Array.from(classes, (c) => c.lagMedianSeconds);
    this.lagSigma = Float64Array.from(classes, (c) => c.lagSigma);
    this.idle = Float64Array.from(classes, (c) => c.idleTimeoutSeconds);
    this.pinFromIssue = params.client.pinFrom === 'issue';
    this.lifetime = params.client.connectionLifetimeSeconds;
    this.backends = params.backends;
    this.dead = new Uint8Array(params.backends);
  }

  private gaussian(): number {
    const u = 1 - this.random.next();
    const v = this.random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Makes sure client k holds an answer valid at t (from its cache, else from its resolver). */
  private resolve(k: number, t: number): void {
    if (this.answer[k]! >= 0 && this.answerExpiry[k]! > t) return;
    const r = this.resolvers;
    r.lookup(this.pop.clientCache[k]!, t);
    const cls = this.pop.clientClass[k]!;
    const pin = this.pinSeconds[cls]!;
    let expiry = r.outExpiry;
    if (pin > 0) expiry = this.pinFromIssue ? Math.max(expiry, r.outFetched + pin) : t + pin;
    const median = this.lagMedian[cls]!;
    if (median > 0) expiry += median * Math.exp(this.lagSigma[cls]! * this.gaussian());
    this.answer[k] = r.outVariant;
    this.answerOffset[k] = r.outOffset;
    this.answerExpiry[k] = expiry;
  }

  /** The position in the answer list that client k connects to first. */
  private choose(k: number, list: readonly number[]): number {
    const len = list.length;
    const pref = this.pop.clientPreference;
    if (pref !== undefined) {
      // RFC 6724 rule 9 as glibc applies it to IPv6: the address sharing the longest prefix wins.
      let best = 0;
      let bestScore = -1;
      for (let i = 0; i < len; i++) {
        const score = pref[k * this.backends + list[i]!]!;
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      }
      return best;
    }
    if (this.pop.clientFirst[k] === 1) return this.answerOffset[k]! % len;
    return Math.floor(this.random.next() * len);
  }

  /** One request of client k at time t. */
  request(k: number, t: number): void {
    // Every request resolves the name through the client's cache (applications ask per request;
    // the cache answers most of them), so a client's answer is fresh whenever it is in use.
    this.resolve(k, t);
    const list = this.variants[this.answer[k]!]!;
    const len = list.length;
    const start = this.choose(k, list);
    this.outLookup = list[start]!;
    const b = this.connBackend[k]!;
    const cls = this.pop.clientClass[k]!;
    if (b >= 0 && t < this.connEnd[k]! && t - this.connLast[k]! <= this.idle[cls]! && this.dead[b] === 0) {
      this.connLast[k] = t;
      this.outBackend = b;
      this.outNewConnection = false;
      return;
    }
    let chosen = -1;
    for (let j = 0; j < len; j++) {
      // Rotated order: the answer as the resolver handed it starts at answerOffset.
      const m = list[(start + j) % len]!;
      if (this.dead[m] === 0) {
        chosen = m;
        break;
      }
    }
    this.outNewConnection = chosen >= 0;
    this.outBackend = chosen;
    if (chosen < 0) {
      this.connBackend[k] = -1;
      return;
    }
    this.connBackend[k] = chosen;
    this.connEnd[k] = t - this.lifetime * Math.log(1 - this.random.next());
    this.connLast[k] = t;
  }

  /**
   * Chance that client k's next new connection goes to `member` (first attempt), read from the
   * state at t without changing it: its own answer if still held, else what its resolver would
   * hand out, else a fresh answer (`fresh`: the member's chance in a new answer).
   */
  private lookupChance(k: number, member: number, t: number, fresh: number): number {
    let id: number;
    let offset: number;
    if (this.answer[k]! >= 0 && this.answerExpiry[k]! > t) {
      id = this.answer[k]!;
      offset = this.answerOffset[k]!;
    } else {
      const q = this.pop.clientCache[k]!;
      const r = this.resolvers;
      if (r.variant[q]! < 0 || r.expiry[q]! <= t) return fresh;
      id = r.variant[q]!;
      // −1: reordered per response, so the first address is any of them.
      const mode = this.pop.cacheReorder[q];
      offset = mode === REORDER_FROZEN ? r.offset[q]! : mode === REORDER_PRESERVE ? 0 : -1;
    }
    const list = this.variants[id]!;
    const len = list.length;
    if (!list.includes(member)) return 0;
    if (this.pop.clientPreference !== undefined) {
      let best = -1;
      let bestScore = -1;
      for (const m of list) {
        const score = this.pop.clientPreference[k * this.backends + m]!;
        if (score > bestScore) {
          bestScore = score;
          best = m;
        }
      }
      return best === member ? 1 : 0;
    }
    if (this.pop.clientFirst[k] === 1 && offset >= 0) return list[offset % len] === member ? 1 : 0;
    return 1 / len;
  }

  /**
   * Rate-weighted share of clients whose next new connection (`lookups`) or next request
   * (`requests`, which follows a live connection first) would go to `member` at time t.
   */
  probe(member: number, t: number, weightOf: (k: number) => number, fresh: number): { lookups: number; requests: number } {
    let lookups = 0;
    let requests = 0;
    let total = 0;
    for (let k = 0; k < this.pop.clients; k++) {
      const w = weightOf(k);
      total += w;
      const chance = this.lookupChance(k, member, t, fresh);
      lookups += w * chance;
      const b = this.connBackend[k]!;
      const cls = this.pop.clientClass[k]!;
      const live = b >= 0 && t < this.connEnd[k]! && t - this.connLast[k]! <= this.idle[cls]! && this.dead[b] === 0;
      requests += w * (live ? (b === member ? 1 : 0) : chance);
    }
    return total > 0 ? { lookups: lookups / total, requests: requests / total } : { lookups: 0, requests: 0 };
  }
}
