/**
 * Skew metrics across a pool's members. Everything is computed on share ÷ target, so a weighted
 * pool that gets exactly its weights shows no skew. Members with a zero target (backups while
 * primaries serve) are left out.
 */
import type { SkewBasis, SkewMetrics } from './model.js';

/** Counts to shares (all zero when the total is zero). */
export function toShares(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] ?? 0;
  const out = new Array<number>(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = total > 0 ? (counts[i] ?? 0) / total : 0;
  return out;
}

/** Herfindahl–Hirschman index Σ s² of shares (normalised first). */
export function hhi(shares: ArrayLike<number>): number {
  const s = toShares(shares);
  let sum = 0;
  for (const v of s) sum += v * v;
  return sum;
}

/** Effective number of independent units, 1/HHI; null for no data. */
export function nEff(shares: ArrayLike<number>): number | null {
  const h = hhi(shares);
  return h > 0 ? 1 / h : null;
}

/** Gini coefficient of non-negative values (0 = all equal, → 1 = one holds everything). */
export function gini(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    sum += v;
    weighted += (i + 1) * v;
  }
  if (sum === 0) return 0;
  return (2 * weighted) / (n * sum) - (n + 1) / n;
}

/**
 * Skew of observed shares against target shares (both over the same members). Returns null when
 * nothing was observed or no member has a target.
 */
export function skewMetrics(basis: SkewBasis, shares: readonly number[], targets: readonly number[]): SkewMetrics | null {
  const observed = toShares(shares);
  const target = toShares(targets);
  const ratios: number[] = [];
  const weights: number[] = [];
  let total = 0;
  for (let i = 0; i < observed.length; i++) {
    const t = target[i] ?? 0;
    total += observed[i] ?? 0;
    if (t <= 0) continue;
    ratios.push((observed[i] ?? 0) / t);
    weights.push(t);
  }
  if (total === 0 || ratios.length === 0) return null;
  // Renormalise over the targeted members so traffic to untargeted ones shows as a deficit.
  let variance = 0;
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < ratios.length; i++) {
    const r = ratios[i]!;
    variance += weights[i]! * (r - 1) ** 2;
    if (r > max) max = r;
    if (r < min) min = r;
  }
  return {
    basis,
    maxMinRatio: min > 0 ? max / min : null,
    overloadFactor: max,
    cv: Math.sqrt(variance),
    gini: gini(ratios),
  };
}

/** Nearest-rank quantile of values (q in 0..1); NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}
