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
