/** Per-second counters of a simulation run and the window statistics drawn from them. */
import type { SkewBasis, WindowSummary } from '../model.js';
import { mean, quantile, skewMetrics } from '../skew.js';

export class SecondCounters {
  readonly requests: Uint32Array;
  readonly connections: Uint32Array;
  /** Per request: the backend the client's answer points to (its DNS view, before connections). */
  readonly lookups: Uint32Array;
  readonly queries: Uint32Array;
  readonly failed: Uint32Array;

  constructor(
    readonly seconds: number,
    readonly backends: number,
  ) {
    this.requests = new Uint32Array(seconds * backends);
    this.connections = new Uint32Array(seconds * backends);
    this.lookups = new Uint32Array(seconds * backends);
    this.queries = new Uint32Array(seconds);
    this.failed = new Uint32Array(seconds);
  }

  /** Per backend totals of `counts` over seconds [from, to). */
  totals(counts: Uint32Array, from: number, to: number): number[] {
    const out = new Array<number>(this.backends).fill(0);
    for (let s = Math.max(0, from); s < Math.min(to, this.seconds); s++) {
      for (let b = 0; b < this.backends; b++) out[b]! += counts[s * this.backends + b]!;
    }
    return out;
  }

  sum(counts: Uint32Array, from: number, to: number): number {
    let total = 0;
    for (let s = Math.max(0, from); s < Math.min(to, counts.length); s++) total += counts[s]!;
    return total;
  }
}

/** Skew over consecutive windows of `windowSeconds` in [from, to), summarised. */
export function windowSummary(
  counters: SecondCounters,
  counts: Uint32Array,
  basis: SkewBasis,
  from: number,
  to: number,
  windowSeconds: number,
  targets: readonly number[],
): WindowSummary {
  const cvs: number[] = [];
  const maxMin: number[] = [];
  const overload: number[] = [];
  for (let start = from; start + windowSeconds <= to; start += windowSeconds) {
    const m = skewMetrics(basis, counters.totals(counts, start, start + windowSeconds), targets);
    if (!m) continue;
    cvs.push(m.cv);
    overload.push(m.overloadFactor);
    // A member with nothing in a window has an unbounded ratio; count it as the largest.
    maxMin.push(m.maxMinRatio ?? Number.MAX_VALUE);
  }
  const mm = quantile(maxMin, 0.5);
  return {
    windowSeconds,
    basis,
    windows: cvs.length,
    cvMean: round(mean(cvs)),
    cvRms: round(Math.sqrt(mean(cvs.map((c) => c * c)))),
    cvP50: round(quantile(cvs, 0.5)),
    cvP95: round(quantile(cvs, 0.95)),
    cvP99: round(quantile(cvs, 0.99)),
    maxMinP50: Number.isFinite(mm) && mm !== Number.MAX_VALUE ? round(mm) : null,
    overloadP95: round(quantile(overload, 0.95)),
    overloadP99: round(quantile(overload, 0.99)),
  };
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10000) / 10000 : 0;
}
