/**
 * Advice in plain words, from what the report found. Each rule is one finding with a threshold;
 * the thresholds are documented in docs/report.md.
 */
import type { Advice } from './model.js';
import { ipv6Groups } from './resolver-key.js';

export interface AdviceInput {
  readonly type: 'A' | 'AAAA';
  readonly policy: string;
  readonly ttl: number;
  readonly members: readonly { readonly address: string; readonly weight: number; readonly backup: boolean }[];
  /** Intended shares, pool order. */
  readonly targets: readonly number[];
  /** Records per answer, on average (answers that included members ÷ answers). */
  readonly answerSize: number;
  readonly answersTotal: number;
  readonly estimatedShares: readonly number[] | null;
  readonly measuredShares: readonly number[] | null;
  readonly topResolver: { readonly key: string; readonly loadShare: number } | null;
  readonly nEff: number | null;
  /** Share of load on resolvers that keep answers longer than the TTL, and the longest seen. */
  readonly extendingShare: number;
  readonly longestTtlSeconds: number | null;
  /** Predicted CV per 1-minute window. */
  readonly predictedCvMinute: number | null;
}

export const ADVICE_THRESHOLDS = {
  dominantResolverShare: 0.2,
  fewUnits: 10,
  extendingShare: 0.05,
  browserFloorSeconds: 60,
  overloadFactor: 1.5,
  disagreement: 0.1,
  littleData: 200,
} as const;

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** Common prefix length, in bits, of IPv6 addresses (128 for one address). */
export function commonPrefixBits(addresses: readonly string[]): number {
  const parsed = addresses.map(ipv6Groups).filter((g): g is number[] => g !== undefined);
  if (parsed.length < 2) return 128;
  const first = parsed[0]!;
  for (let bit = 0; bit < 128; bit++) {
    const group = bit >> 4;
    const mask = 0x8000 >> (bit & 15);
    const want = first[group]! & mask;
    if (parsed.some((g) => (g[group]! & mask) !== want)) return bit;
  }
  return 128;
}

export function advise(input: AdviceInput): Advice[] {
  const out: Advice[] = [];
  const t = ADVICE_THRESHOLDS;
  const targeted = input.members.filter((_, i) => (input.targets[i] ?? 0) > 0);
  const weights = targeted.map((m) => m.weight);
  const unequal = weights.length > 1 && weights.some((w) => w !== weights[0]);
  if (unequal && input.answerSize >= targeted.length - 0.01 && targeted.length > 1) {
    out.push({
      code: 'order-weights-lost',
      severity: 'warn',
      text: 'Weights are carried only by order and resolvers reorder: use answers=1 (or fewer records than members) so the weights decide which addresses are included.',
    });
  }
  if (input.topResolver && input.topResolver.loadShare >= t.dominantResolverShare) {
    out.push({
      code: 'dominant-resolver',
      severity: 'warn',
      text: `One resolver (${input.topResolver.key}) carries ${pct(input.topResolver.loadShare)} of this pool's load: whichever member it holds gets that traffic for a whole TTL.`,
    });
  }
  if (input.nEff !== null && input.nEff < t.fewUnits && input.answerSize < 1.5) {
    const cv = input.predictedCvMinute === null ? '' : ` (expect a CV near ${input.predictedCvMinute.toFixed(2)} per minute)`;
    out.push({
      code: 'few-decision-units',
      severity: 'warn',
      text: `Only about ${input.nEff.toFixed(1)} independent resolver caches decide this pool's traffic${cv}: with equal weights, answer with every member (answers=all) so each resolver's clients spread.`,
    });
  }
  if (input.extendingShare >= t.extendingShare) {
    const longest = input.longestTtlSeconds === null ? '' : ` (up to ${Math.round(input.longestTtlSeconds)} s)`;
    out.push({
      code: 'ttl-extended',
      severity: 'warn',
      text: `Resolvers carrying ${pct(input.extendingShare)} of the load keep answers longer than the TTL${longest}: a removed member keeps their traffic that long.`,
    });
  }
  if (input.ttl < t.browserFloorSeconds) {
    out.push({
      code: 'ttl-below-browser-floor',
      severity: 'info',
      text: `A TTL below ${t.browserFloorSeconds} s barely speeds draining: browsers keep answers for ${t.browserFloorSeconds} s whatever the TTL.`,
    });
  }
  for (const [label, shares] of [
    ['measured', input.measuredShares],
    ['estimated', input.estimatedShares],
  ] as const) {
    if (!shares) continue;
    let worst = -1;
    let factor = 0;
    shares.forEach((s, i) => {
      const target = input.targets[i] ?? 0;
      if (target > 0 && s / target > factor) {
        factor = s / target;
        worst = i;
      }
    });
    if (worst >= 0 && factor >= t.overloadFactor) {
      out.push({
        code: 'overloaded-member',
        severity: 'warn',
        text: `${input.members[worst]!.address} gets ${factor.toFixed(2)}× its intended share (${label}).`,
      });
      break;
    }
  }
  if (input.type === 'AAAA' && input.members.length > 1) {
    const bits = commonPrefixBits(input.members.map((m) => m.address));
    if (bits < 64) {
      out.push({
        code: 'ipv6-rule9',
        severity: 'warn',
        text: `The members share only a /${bits}: getaddrinfo's rule 9 makes each IPv6 client prefer the address nearest its own. Keep a name's backends in one prefix.`,
      });
    }
  }
  if (input.estimatedShares && input.measuredShares) {
    let gap = 0;
    input.measuredShares.forEach((m, i) => (gap = Math.max(gap, Math.abs(m - (input.estimatedShares?.[i] ?? 0)))));
    if (gap > t.disagreement) {
      out.push({
        code: 'estimate-disagrees',
        severity: 'info',
        text: `The resolver estimate and the backends' own load differ by up to ${Math.round(gap * 100)} points: connections outlive answers, other names reach the same backends, or resolver keys hide several caches.`,
      });
    }
  }
  if (input.answersTotal < t.littleData) {
    out.push({ code: 'little-data', severity: 'info', text: `Only ${input.answersTotal} answers so far: the figures are rough.` });
  }
  return out;
}
