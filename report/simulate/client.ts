/**
 * Clients: each keeps its last answer (class rules: browsers at least 60 s, stubs the TTL, sticky
 * clients the TTL plus a lognormal lag) and one connection (exponential lifetime, closed after its
 * class's idle timeout). A request reuses the connection; a new connection starts with a lookup
 * and connects to the first address (or a random one; or, for IPv6 with rule 9, the address the
 * client prefers). When the chosen backend is dead the client tries the next address it holds.
 */
import type { Random } from '../../lib/random.js';
import type { Population } from './population.js';
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

  /** Set by request(): the backend served (−1: failed), and whether a connection was opened. */
  outBackend = -1;
  outNewConnection = false;

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
    const b = this.connBackend[k]!;
    const cls = this.pop.clientClass[k]!;
    if (b >= 0 && t < this.connEnd[k]! && t - this.connLast[k]! <= this.idle[cls]! && this.dead[b] === 0) {
      this.connLast[k] = t;
      this.outBackend = b;
      this.outNewConnection = false;
      return;
    }
    this.resolve(k, t);
    const list = this.variants[this.answer[k]!]!;
    const len = list.length;
    const start = this.choose(k, list);
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
}
