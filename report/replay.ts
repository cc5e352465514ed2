/**
 * The report's replay: what the answers Rondo actually gave would bring to each member, played
 * through the client model. With answers of one member, each resolver's cache holds one member per
 * entry, and which one it holds when is in the answer log (observe.ts), so nothing needs assuming
 * about how entries are drawn: round robin deals consecutive members to interleaved resolvers,
 * which independent draws (closed-form.ts) cannot see. Behind each resolver the estimated client
 * rate (demand.ts) is simulated as clients of the model's classes, each pinning answers and
 * keeping connections as the class does, and their requests are counted per member and second.
 *
 * What it gives:
 * - member shares of the requests over the log's span (the load still carried after the snapshot
 *   by answers just given is not counted, as backends would not have counted it yet);
 * - the CV of request shares per window. The clients are split in two halves: the covariance of
 *   the halves' shares is the part the answers decide, the rest is counting noise, scaled from the
 *   simulated population to the estimated one (so large pools can be simulated thinned);
 * - per member, the drain if it had been removed at the snapshot: resolvers keep it until their
 *   entry expires, clients until their pin or connection ends, against its rate over the last TTL
 *   (at least 10 s) before.
 *
 * Bounded: about `maxRequests` simulated requests per replay (DEFAULT_REPLAY_REQUESTS).
 */
import { seededRandom } from '../lib/random.js';
import type { ClientClass, ClientModel } from './client-model.js';
import { clientRate, connectionOf } from './client-model.js';

/**
 * Requests simulated per replay by default (a few ms; the live /report replays up to 4 pools):
 * above it clients are thinned, below it up to 4 simulated clients stand for each estimated one
 * (the noise part is rescaled either way).
 */
export const DEFAULT_REPLAY_REQUESTS = 50_000;
const MAX_OVERSAMPLING = 4;
/** Seconds after the log's first answer that windows skip: every client starts without state then. */
export const REPLAY_SETTLE_SECONDS = 30;
/** The fewest answers a replay needs. */
export const MIN_REPLAY_ANSWERS = 20;
/** The longest span replayed (seconds before the snapshot): bounds its per-second counts. */
export const MAX_REPLAY_SECONDS = 3600;

export interface ReplayResolver {
  /** Answer times (epoch ms, ascending) and the member each gave. */
  readonly atMs: readonly number[];
  readonly member: readonly number[];
  /** Client requests per second behind it. */
  readonly rate: number;
  /** How long it keeps an entry (seconds): when its last answer expires after the snapshot. */
  readonly holdSeconds: number;
}

export interface ReplayInput {
  readonly members: number;
  readonly targets: readonly number[];
  readonly resolvers: readonly ReplayResolver[];
  readonly client: ClientModel;
  /** The snapshot's time (epoch ms): the replay's end, and the removal of the drain. */
  readonly endMs: number;
  readonly ttl: number;
  readonly windows: readonly number[];
  readonly seed?: number;
  /** Simulated requests, about (default DEFAULT_REPLAY_REQUESTS). */
  readonly maxRequests?: number;
}

export interface ReplayDrain {
  /** Seconds after the removal (bin centres, 1 s apart). */
  readonly seconds: number[];
  /** Requests to the member, per second, against its rate before. */
  readonly requests: number[];
  /** New decisions (lookups a request follows, new connections) to it, against before. */
  readonly lookups: number[];
}

export interface Replay {
  /** Epoch ms of the first answer replayed. */
  readonly fromMs: number;
  /** Per member: share of the requests over the span. */
  readonly shares: number[];
  /** Window length (s) → RMS over windows of the CV of request shares (target-weighted). */
  readonly windowCv: Map<number, number>;
  /** Per member. */
  readonly drains: ReplayDrain[];
  /** Simulated clients per estimated one (below 1: thinned). */
  readonly scale: number;
}

/** A member index, or one of these. */
const NONE = -1;
/** After the removal, a fresh lookup past the resolver's entry gets some other member. */
const OTHER = -2;

interface Timeline {
  readonly t: Float64Array;
  readonly m: Int32Array;
  readonly end: number;
}

/** Index of the resolver's latest answer at time u (seconds from the start); 0 before the first. */
function entryAt(tl: Timeline, u: number): number {
  const t = tl.t;
  if (u < t[0]!) return 0;
  let lo = 0;
  let hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid]! <= u) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Member the resolver hands out at time u; after the removal and past its last entry: OTHER. */
function lookupAt(tl: Timeline, u: number, removedAt: number): number {
  if (u >= removedAt && u >= tl.end) return OTHER;
  return tl.m[entryAt(tl, u)]!;
}

export function replayAnswers(input: ReplayInput): Replay | null {
  const B = input.members;
  const logged = input.resolvers.map((r) => withinSpan(r, input.endMs - MAX_REPLAY_SECONDS * 1000)).filter((r) => r.atMs.length > 0 && r.rate > 0);
  const answers = logged.reduce((a, r) => a + r.atMs.length, 0);
  if (B < 2 || answers < MIN_REPLAY_ANSWERS) return null;
  const startMs = Math.min(...logged.map((r) => r.atMs[0]!));
  const span = (input.endMs - startMs) / 1000;
  if (!(span > REPLAY_SETTLE_SECONDS)) return null;
  const ttl = Math.max(1, input.ttl);
  const horizon = Math.ceil(Math.max(60, 10 * ttl) * 1.25 + 5);
  const baseSeconds = Math.max(10, ttl);
  const rho = clientRate(input.client);
  if (!(rho > 0)) return null;
  const rateTotal = logged.reduce((a, r) => a + r.rate, 0);
  const scale = Math.min(MAX_OVERSAMPLING, (input.maxRequests ?? DEFAULT_REPLAY_REQUESTS) / (rateTotal * (span + horizon)));
  const random = seededRandom(input.seed ?? 0x5eed);
  const counts = new Counts(B, Math.ceil(span) + 1, span, horizon);
  const nSec = counts.nSec;
  const { before, freshBefore, after, freshAfter } = counts;
  const run: Run = { model: input.client, span, horizon, rho, random };
  const classes = input.client.classes.filter((c) => c.share > 0);
  const classShares = classes.map((c) => c.share);
  const classTotal = classShares.reduce((a, b) => a + b, 0);
  let half: 0 | 1 = 0;
  for (const r of logged) {
    const tl: Timeline = {
      t: Float64Array.from(r.atMs, (x) => (x - startMs) / 1000),
      m: Int32Array.from(r.member),
      end: (r.atMs[r.atMs.length - 1]! - startMs) / 1000 + r.holdSeconds,
    };
    const expected = (r.rate * scale) / rho;
    let n = Math.floor(expected);
    if (random.next() < expected - n) n++;
    for (let i = 0; i < n; i++) {
      simulateClient(classes[pickIndex(classShares, classTotal, random.next())]!, tl, run, counts, half);
      half = half === 0 ? 1 : 0;
    }
  }
  const shares = new Array<number>(B).fill(0);
  for (const h of before) for (let m = 0; m < B; m++) for (let s = 0; s < nSec; s++) shares[m]! += h[m * nSec + s]!;
  const total = shares.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  for (let m = 0; m < B; m++) shares[m]! /= total;
  const windowCv = new Map<number, number>();
  const targets = normalise(input.targets, B);
  // Each half is half the simulated population: its noise is 1 / (scale · ½) times the real one.
  const noiseScale = scale / 2;
  for (const w of input.windows) {
    const cv = windowCvOf(before, B, nSec, span, w, targets, noiseScale);
    if (cv !== null) windowCv.set(w, cv);
  }
  const drains: ReplayDrain[] = [];
  // The rate before: whole seconds over the last TTL (at least 10 s) before the snapshot.
  const baseTo = Math.floor(span);
  const baseFrom = Math.max(0, Math.floor(span - baseSeconds));
  const baseLength = Math.max(1, baseTo - baseFrom);
  for (let m = 0; m < B; m++) {
    let base = 0;
    let freshBase = 0;
    for (let s = baseFrom; s < baseTo; s++) {
      base += before[0]![m * nSec + s]! + before[1]![m * nSec + s]!;
      freshBase += freshBefore[m * nSec + s]!;
    }
    const rate = base / baseLength;
    const freshRate = freshBase / baseLength;
    const seconds: number[] = [];
    const requests: number[] = [];
    const lookups: number[] = [];
    for (let s = 0; s < horizon; s++) {
      seconds.push(s + 0.5);
      requests.push(rate > 0 ? after[m * horizon + s]! / rate : 0);
      lookups.push(freshRate > 0 ? freshAfter[m * horizon + s]! / freshRate : 0);
    }
    drains.push({ seconds, requests, lookups });
  }
  return { fromMs: startMs, shares, windowCv, drains, scale };
}

/** The answers from `fromMs` on, and the one in force then (moved to `fromMs`). */
function withinSpan(r: ReplayResolver, fromMs: number): ReplayResolver {
  const first = r.atMs.findIndex((t) => t >= fromMs);
  if (first === 0) return r;
  const from = first < 0 ? r.atMs.length - 1 : first - 1;
  const atMs = r.atMs.slice(from);
  atMs[0] = Math.max(atMs[0]!, fromMs);
  return { ...r, atMs, member: r.member.slice(from) };
}

function normalise(targets: readonly number[], B: number): number[] {
  const t = Array.from({ length: B }, (_, i) => Math.max(0, targets[i] ?? 0));
  const sum = t.reduce((a, b) => a + b, 0);
  return sum > 0 ? t.map((x) => x / sum) : t.map(() => 1 / B);
}

function pickIndex(shares: readonly number[], total: number, u: number): number {
  let x = u * total;
  for (let i = 0; i < shares.length; i++) {
    x -= shares[i]!;
    if (x < 0) return i;
  }
  return shares.length - 1;
}

/**
 * RMS over windows of W seconds (ending at the snapshot, after the settle) of the target-weighted
 * CV of request shares: Σ_b w_b (x_b/w_b − 1)². The halves' covariance is the answers' part; each
 * half's excess over it is noise, scaled to the estimated population.
 */
function windowCvOf(halves: Float64Array[], B: number, nSec: number, span: number, w: number, targets: readonly number[], noiseScale: number): number | null {
  const end = Math.floor(span);
  const first = REPLAY_SETTLE_SECONDS;
  let sum = 0;
  let count = 0;
  for (let b = end; b - w >= first; b -= w) {
    const a = b - w;
    const x = windowShares(halves[0]!, B, nSec, a, b);
    const y = windowShares(halves[1]!, B, nSec, a, b);
    if (!x || !y) continue;
    let signal = 0;
    let ownX = 0;
    let ownY = 0;
    for (let m = 0; m < B; m++) {
      const t = targets[m]!;
      if (!(t > 0)) continue;
      const u = x[m]! / t - 1;
      const v = y[m]! / t - 1;
      signal += t * u * v;
      ownX += t * u * u;
      ownY += t * v * v;
    }
    const noise = Math.max(0, (ownX + ownY) / 2 - signal);
    sum += Math.max(0, signal + noise * noiseScale);
    count++;
  }
  return count > 0 ? Math.sqrt(sum / count) : null;
}

function windowShares(h: Float64Array, B: number, nSec: number, a: number, b: number): number[] | null {
  const out = new Array<number>(B).fill(0);
  let total = 0;
  for (let m = 0; m < B; m++) {
    for (let s = Math.max(0, a); s < b && s < nSec; s++) out[m]! += h[m * nSec + s]!;
    total += out[m]!;
  }
  if (!(total > 0)) return null;
  return out.map((v) => v / total);
}

/** What one replay's clients share: the client model, the times and the random source. */
interface Run {
  readonly model: ClientModel;
  /** Seconds from the first answer to the snapshot (the removal of the drain). */
  readonly span: number;
  /** Seconds of drain counted after it. */
  readonly horizon: number;
  /** Requests per second of one client. */
  readonly rho: number;
  readonly random: { next(): number };
}

/**
 * Requests per member and second: before the snapshot per half of the clients, after it (the drain)
 * for all; and of them the fresh ones (a lookup followed, a new connection).
 */
class Counts {
  readonly before: [Float64Array, Float64Array];
  readonly freshBefore: Float64Array;
  readonly after: Float64Array;
  readonly freshAfter: Float64Array;

  constructor(
    members: number,
    readonly nSec: number,
    private readonly span: number,
    private readonly horizon: number,
  ) {
    this.before = [new Float64Array(members * nSec), new Float64Array(members * nSec)];
    this.freshBefore = new Float64Array(members * nSec);
    this.after = new Float64Array(members * horizon);
    this.freshAfter = new Float64Array(members * horizon);
  }

  add(half: 0 | 1, member: number, u: number, fresh: boolean): void {
    if (u < this.span) {
      const s = Math.floor(u);
      if (s < 0 || s >= this.nSec) return;
      this.before[half][member * this.nSec + s]!++;
      if (fresh) this.freshBefore[member * this.nSec + s]!++;
      return;
    }
    const s = Math.floor(u - this.span);
    if (s >= this.horizon) return;
    this.after[member * this.horizon + s]!++;
    if (fresh) this.freshAfter[member * this.horizon + s]!++;
  }
}

/**
 * One client behind one resolver, from the resolver's first answer to the snapshot and on through
 * the drain horizon, as its class keeps answers and connections (bench/skew/clients.ts does the
 * same with real sockets). A client met mid-life starts with a residual pin and a size-biased
 * connection, so the start is near stationary.
 */
function simulateClient(c: ClientClass, tl: Timeline, run: Run, counts: Counts, half: 0 | 1): void {
  const { model, span, horizon, rho, random } = run;
  const conn = connectionOf(model, c);
  const connected = conn.seconds > 0;
  const keeps = c.pinSeconds > 0 || c.lagMedianSeconds > 0;
  const fromLookup = model.pinFrom === 'lookup';
  const exp = (mean: number): number => -Math.log(1 - random.next()) * mean;
  const lognormal = (median: number, sigma: number): number =>
    median * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next()));
  const life = (first: boolean): number => {
    if (conn.sigma > 0) {
      const l = lognormal(conn.seconds * (first ? Math.exp(conn.sigma * conn.sigma) : 1), conn.sigma);
      return first ? random.next() * l : l;
    }
    return exp(conn.seconds);
  };
  let answer = NONE;
  let answerUntil = 0;
  let firstPin = true;
  let link = NONE;
  let linkUntil = 0;
  let firstLink = true;
  const stop = span + horizon;
  for (let u = tl.t[0]! + exp(1 / rho); u < stop; u += exp(1 / rho)) {
    let fresh = false;
    let decision: number;
    if (keeps) {
      if (answer === NONE || u >= answerUntil) {
        answer = lookupAt(tl, u, span);
        // A pin counted from the answer (pinFrom 'issue') starts when the resolver got it.
        const from = fromLookup || answer === OTHER ? u : Math.min(u, tl.t[entryAt(tl, u)]!);
        const pin = c.pinSeconds * (firstPin ? random.next() : 1);
        const lag = c.lagMedianSeconds > 0 ? lognormal(c.lagMedianSeconds, c.lagSigma) : 0;
        answerUntil = from + pin + lag;
        firstPin = false;
        if (!connected) fresh = true;
      }
      decision = answer;
    } else {
      decision = lookupAt(tl, u, span);
      if (!connected) fresh = true;
    }
    if (connected) {
      if (link === NONE || u >= linkUntil) {
        link = decision;
        linkUntil = u + life(firstLink);
        firstLink = false;
        fresh = true;
      }
      decision = link;
    }
    if (decision >= 0) counts.add(half, decision, u, fresh);
  }
}
