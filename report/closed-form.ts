/**
 * The closed-form skew prediction of the research note (§5). A decision unit r (a resolver cache
 * when answers carry one address, or an order frozen per cache entry) with traffic share s_r and
 * effective TTL T_r pins one member per cache epoch, drawn with the member's target w. Over a
 * window W it makes about 1 + W/T_r independent draws, so a member's share has
 *
 *     CV_b² ≈ (1 − w_b)/w_b · Σ_r s_r² / (1 + W/T_r)
 *
 * and the target-weighted CV across members that skew.ts reports has expectation
 * Σ_b w_b · CV_b² = (B − 1) · Σ_r s_r² / (1 + W/T_r): with equal TTLs, (B − 1) · HHI / (1 + W/T).
 */
import { seededRandom } from '../lib/random.js';
import type { ClientClass, ClientModel } from './client-model.js';
import { clientRate, connectionOf, connectionResidual } from './client-model.js';
import { toShares } from './skew.js';

export interface DecisionUnit {
  /** Traffic share (normalised over all units). */
  readonly share: number;
  /** Effective TTL in seconds: how long one decision holds. */
  readonly ttlSeconds: number;
}

/** Σ s_r² / (1 + W/T_r): the HHI discounted by the draws each unit makes within the window. */
export function windowedHhi(units: readonly DecisionUnit[], windowSeconds: number): number {
  const shares = toShares(units.map((u) => u.share));
  let sum = 0;
  for (let i = 0; i < units.length; i++) {
    const t = units[i]!.ttlSeconds;
    if (!(t > 0)) continue;
    const s = shares[i]!;
    sum += (s * s) / (1 + windowSeconds / t);
  }
  return sum;
}

/** CV of one member with target share w (0 < w ≤ 1). */
export function predictMemberCv(target: number, units: readonly DecisionUnit[], windowSeconds: number): number {
  if (!(target > 0)) return 0;
  return Math.sqrt(((1 - target) / target) * windowedHhi(units, windowSeconds));
}

/** Expected CV across members (targets need not be normalised; zero targets are left out). */
export function predictCv(targets: readonly number[], units: readonly DecisionUnit[], windowSeconds: number): number {
  const targeted = targets.filter((t) => t > 0).length;
  if (targeted < 2) return 0;
  return Math.sqrt((targeted - 1) * windowedHhi(units, windowSeconds));
}

/** Zipf(α) shares over R ranks, largest first. */
export function zipfShares(count: number, alpha: number): number[] {
  const raw = new Array<number>(count);
  let sum = 0;
  for (let k = 1; k <= count; k++) {
    const v = k ** -alpha;
    raw[k - 1] = v;
    sum += v;
  }
  return raw.map((v) => v / sum);
}

/**
 * The CV prediction made to match counted requests behind real resolvers (bench/skew; the
 * measurements are in docs/report.md). Requests to a member in a window of W seconds are clumps of
 * requests that share one decision; with targets w the expected target-weighted CV² is
 * (B − 1) · E[Σ_d m_d²] / n², n = Λ·W requests in the window. Three kinds of pairs:
 *
 * - **counting** (each request with itself): 1/(Λ·W). Real backends count whole requests;
 * - **cache entries**: two requests whose clients looked the name up within one cache entry of a
 *   resolver that fixes the first member for the entry (answers of one member, or a resolver that
 *   keeps the order it was given) share it. A request's lookup is older than the request by the
 *   class's lookup age A (0 for stubs, U(0, pin) for pinning clients, plus the connection's age for
 *   clients whose connections outlive answers), so the pairs are Σ_r s_r² κ_r E[h(A − A′)]/W² with
 *   h(D) = ∫(W − |u|)·max(0, 1 − |u − D|/E_r) du over |u| < W, E_r the resolver's mean gap. The
 *   note's 1/(1 + W/T) took A = 0: browsers' and long-lived apps' older lookups spread one entry's
 *   decision over minutes, which measured 2–5× lower than the note's form at TTL 5 s;
 * - **clients**: with a resolver that reorders per response, only one client's requests that reuse
 *   one answer or connection share a decision: (ρ/Λ) Σ_r s_r (1 − κ_r) Σ_c φ_c G_c/W² with
 *   G_c = ∫(W − |u|) P_c(same | u) du.
 */

export interface WindowUnit {
  /** Request share (normalised over all units, the rest included). */
  readonly share: number;
  /** Mean gap between its queries: how long one cache entry decides (seconds); 0: no entries. */
  readonly epochSeconds: number;
}

export interface WindowCvInput {
  readonly targets: readonly number[];
  readonly units: readonly WindowUnit[];
  readonly client: ClientModel;
  /** Requests per second the pool gets (estimated). */
  readonly requestRate: number;
  /** Answers carry one member (every unit fixes it per entry), or several. */
  readonly singleMember: boolean;
}

export interface WindowCv {
  /** With the order-keeping prior (`client.orderKeepingShare`, default 0.1). */
  readonly cv: number;
  /** No resolver keeps order (for answers of one member: the same as cv). */
  readonly lower: number;
  /** Every resolver keeps the order it was given. */
  readonly upper: number;
}

const AGE_SAMPLES = 240;
const ageCache = new WeakMap<ClientModel, { readonly bins: Float64Array; readonly step: number }>();

/** Lookup ages (seconds) of one class's requests: pin residual + lag age + connection age. */
function classAges(model: ClientModel, c: ClientClass, count: number, seed: number): number[] {
  const random = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const conn = connectionOf(model, c);
  const connected = c.connectionSeconds !== undefined ? conn.seconds > 0 : false;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    let a = 0;
    if (c.pinSeconds > 0) a += random.next() * c.pinSeconds;
    // Stationary age of a renewal of lognormal length: size-biased (median × e^σ²) times U.
    if (c.lagMedianSeconds > 0) a += random.next() * c.lagMedianSeconds * Math.exp(c.lagSigma * c.lagSigma + c.lagSigma * gauss());
    if (connected) a += conn.sigma > 0 ? random.next() * conn.seconds * Math.exp(conn.sigma * conn.sigma + conn.sigma * gauss()) : -Math.log(1 - random.next()) * conn.seconds;
    out.push(a);
  }
  return out;
}

/** Histogram of |A − A′| for two requests drawn by traffic share, in steps of `step` seconds. */
function ageDifferences(model: ClientModel): { readonly bins: Float64Array; readonly step: number } {
  const cached = ageCache.get(model);
  if (cached) return cached;
  const step = 0.25;
  const total = model.classes.reduce((a, c) => a + c.share, 0) || 1;
  const samples = model.classes.map((c, i) => ({ w: c.share / total, ages: classAges(model, c, AGE_SAMPLES, 7919 + i) }));
  let max = 0;
  for (const s of samples) for (const a of s.ages) max = Math.max(max, a);
  const bins = new Float64Array(Math.ceil(max / step) + 2);
  for (const x of samples) {
    for (const y of samples) {
      const w = (x.w * y.w) / (AGE_SAMPLES * AGE_SAMPLES);
      if (w === 0) continue;
      for (const a of x.ages) for (const b of y.ages) bins[Math.floor(Math.abs(a - b) / step)]! += w;
    }
  }
  const out = { bins, step };
  ageCache.set(model, out);
  return out;
}

/** h(D) = ∫_{−W}^{W} (W − |u|)·max(0, 1 − |u − D|/E) du. */
function entryOverlap(d: number, w: number, e: number): number {
  const lo = Math.max(-w, d - e);
  const hi = Math.min(w, d + e);
  if (hi <= lo) return 0;
  const steps = 48;
  const h = (hi - lo) / steps;
  let sum = 0;
  for (let k = 0; k < steps; k++) {
    const u = lo + (k + 0.5) * h;
    sum += (w - Math.abs(u)) * Math.max(0, 1 - Math.abs(u - d) / e);
  }
  return sum * h;
}

/** E[h(A − A′)] / W²: the share of same-entry pairs among a window's pairs of one resolver. */
function entryPairs(model: ClientModel, w: number, e: number): number {
  if (!(e > 0)) return 0;
  const { bins, step } = ageDifferences(model);
  const reach = Math.min(bins.length, Math.ceil((w + e) / step) + 1);
  let sum = 0;
  for (let k = 0; k < reach; k++) {
    const p = bins[k]!;
    if (p > 0) sum += p * entryOverlap((k + 0.5) * step, w, e);
  }
  return sum / (w * w);
}

/** P(two requests of one client u seconds apart share its decision). */
function sameDecision(model: ClientModel, c: ClientClass, u: number): number {
  const pinned = c.pinSeconds > 0 ? Math.max(0, 1 - u / c.pinSeconds) : 0;
  const lag = c.lagMedianSeconds > 0 ? connectionResidual({ seconds: c.lagMedianSeconds, sigma: c.lagSigma }, u) : 0;
  const conn = connectionOf(model, c);
  const connected = c.connectionSeconds !== undefined && conn.seconds > 0 ? connectionResidual(conn, u) : 0;
  const answer = Math.max(pinned, lag);
  return 1 - (1 - answer) * (1 - connected);
}

/** Σ_c φ_c G_c / W² for the client pairs. */
function clientPairs(model: ClientModel, w: number): number {
  const total = model.classes.reduce((a, c) => a + c.share, 0) || 1;
  const steps = 64;
  let sum = 0;
  for (const c of model.classes) {
    let g = 0;
    const h = w / steps;
    for (let k = 0; k < steps; k++) {
      const u = (k + 0.5) * h;
      g += 2 * (w - u) * sameDecision(model, c, u) * h;
    }
    sum += (c.share / total) * g;
  }
  return sum / (w * w);
}

/** Predicted CV of request shares over windows of `windowSeconds` (see above). */
export function predictWindowCv(input: WindowCvInput, windowSeconds: number): WindowCv {
  const targeted = input.targets.filter((t) => t > 0).length;
  const zero = { cv: 0, lower: 0, upper: 0 };
  if (targeted < 2 || !(windowSeconds > 0) || !(input.requestRate > 0)) return zero;
  const w = windowSeconds;
  const shares = toShares(input.units.map((u) => u.share));
  let entries = 0;
  let spread = 0;
  for (let i = 0; i < input.units.length; i++) {
    const s = shares[i]!;
    const e = input.units[i]!.epochSeconds;
    if (!(s > 0)) continue;
    if (e > 0) entries += s * s * entryPairs(input.client, w, e);
    spread += s;
  }
  const counting = 1 / (input.requestRate * w);
  const clients = (clientRate(input.client) / input.requestRate) * clientPairs(input.client, w) * spread;
  const cvOf = (keep: number): number => Math.sqrt((targeted - 1) * (counting + keep * entries + (1 - keep) * clients));
  if (input.singleMember) {
    const cv = cvOf(1);
    return { cv, lower: cv, upper: cv };
  }
  const prior = Math.min(1, Math.max(0, input.client.orderKeepingShare ?? 0.1));
  return { cv: cvOf(prior), lower: cvOf(0), upper: cvOf(1) };
}
