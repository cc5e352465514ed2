/**
 * `skew=correct`: caching-skew correction (DESIGN.md; docs/policies.md). Instead of blind
 * rotation, each answer goes to the member furthest below its target share of the load that
 * live cache entries still carry (residual load, the MRL/DAL policies of Colajanni, Yu and Dias,
 * TPDS 1998), charging the asking resolver's hidden load weight λ̂_r·T_r; and a busier resolver
 * gets a shorter TTL (adaptive TTL, Colajanni, Yu and Cardellini, ICDCS 1998) so every entry
 * carries a similar load. λ̂_r comes from the demand table (model/demand.ts) that report/ makes
 * from the ledger's normalised gaps and server/ hands in; a resolver without an estimate gets
 * a short learning TTL (the pool's if shorter, LEARNING_TTL_SECONDS) and plain rotation, or, once
 * backends report load and other resolvers are estimated, the closed loop's pick at a typical rate.
 *
 * Variants are the rotations of the live members (cut to `answers`) once per TTL bucket, so the
 * DNS side pre-encodes every (member list, TTL) pair: variant = bucket × rotations + rotation.
 * Only live members are candidates (the plan is rebuilt on every health change), so a dead or
 * drained member is never answered, and no TTL is longer than ttl-max (the pool's TTL unless
 * set), so the drain is never slower than plain rotation's.
 *
 * Closing the loop: where the members' checks report load (`load-header` / `load-json`), each
 * report is compared with what the ledger charged (SkewLedger.feedback) and picks balance the
 * rate each member carries now, reported excess included (docs/policies.md#skewcorrect).
 *
 * pick() is O(members × horizon slots) open loop, O(members) closed loop, and allocates nothing
 * once the resolver is known (SkewLedger.observe).
 * With `answers` of 2 or more, the first member decides and each member carried is charged an
 * equal part (resolvers reorder most answers, research note §2); with `answers=all` every
 * member is charged alike, so only the adaptive TTL is left to act.
 */
import type { PolicyInput, PolicyPlan } from './policy.js';
import { cycleIndex } from './policy.js';
import { rotations } from './rotations.js';
import type { SkewLedger } from './skew-ledger.js';
import type { PickContext } from './types.js';

/**
 * Seconds ahead the assignment balances: the next report window (10 s). Whole-residual balancing
 * (MRL) would let long, light entries outweigh a short, heavy one that dominates the window.
 */
export const HORIZON_SECONDS = 10;

/** How much of the reported-minus-modelled rate pick() acts on. */
export const FEEDBACK_GAIN = 1;
/**
 * Integral action: how much of what a member received beyond its share over the reported window
 * counts against it now, so the next seconds repay the window's excess instead of only matching
 * rates from here on. On the testbed (TTL 5 s, seed 2, one run) 0.5 took the CV per 10 s window
 * from 0.083 to 0.059 (plain answers=all: 0.127).
 */
export const FEEDBACK_INTEGRAL = 0.5;

export interface SkewPlan extends PolicyPlan {
  /** Seconds per variant. */
  readonly ttls: readonly number[];
}

export function skewCorrect(input: PolicyInput, ledger: SkewLedger): SkewPlan {
  const { pool, members, maxAnswers } = input;
  ledger.configure(pool);
  const rot = rotations(members, maxAnswers);
  const n = rot.length;
  const k = rot[0]?.length ?? 1;
  const buckets = [...ledger.buckets];
  const B = buckets.length;
  const weighted = pool.config.policy === 'weighted';
  const weightOf = (m: number): number => {
    const w = weighted ? (pool.members[m]?.weight ?? 0) : 1;
    return Number.isFinite(w) && w > 0 ? w : 0;
  };
  let weightSum = 0;
  for (const m of members) weightSum += weightOf(m);
  // A pool whose every candidate has weight 0 still answers: zero weights then mean "equal".
  const equal = weightSum <= 0;
  const share = new Float64Array(n);
  const targets = new Float64Array(ledger.size);
  for (let i = 0; i < n; i++) {
    const m = members[i]!;
    const w = equal ? 1 / n : weightOf(m) / weightSum;
    share[i] = w;
    targets[m] = w;
  }
  ledger.setTargets(targets);
  // Closing the loop: what the backends report through their checks (load-header / load-json).
  const reported = new Float64Array(ledger.size).fill(Number.NaN);
  for (const m of members) {
    const id = pool.members[m]?.targetId;
    const load = id === undefined ? undefined : input.health.get(id)?.load;
    if (load !== undefined) reported[m] = load;
  }
  ledger.reportLoads(reported);
  const first = Int32Array.from(rot, (v) => v[0]!);
  const flat = Int32Array.from(rot.flat());
  const residual = new Float64Array(n);

  const variants: (readonly number[])[] = [];
  const ttls: number[] = [];
  const shares: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < n; r++) {
      variants.push(rot[r]!);
      ttls.push(buckets[b]!);
      shares.push(share[r]! / B);
    }
  }

  const pick = (ctx: PickContext): number => {
    const nowMs = ctx.nowMs ?? Date.now();
    const t = ledger.seconds(nowMs);
    const resolver = ctx.resolver;
    const slot = resolver === undefined || resolver === '' ? -1 : ledger.observe(resolver, nowMs);
    ledger.advance(t);
    ledger.applyFeedback(t);
    const weight = ledger.biasWeight(t) * FEEDBACK_GAIN;
    let rate = slot >= 0 ? ledger.rate[slot]! : 0;
    let b: number;
    if (rate > 0) {
      b = ledger.bucket[slot]!;
    } else if (slot >= 0 && weight > 0 && ledger.typicalRate > 0) {
      // Not estimated yet, but the backends report their load: place it where the load is lowest
      // (the learning TTL, charged as a typical resolver) instead of rotating blindly.
      rate = ledger.typicalRate;
      b = ledger.defaultBucket;
    } else {
      // Unknown resolver, nothing reported: plain rotation with the learning TTL, nothing charged.
      b = ledger.defaultBucket < B ? ledger.defaultBucket : B - 1;
      ledger.gave(slot, buckets[b]!);
      ledger.rotated++;
      return b * n + cycleIndex(ctx.seq, n);
    }
    if (b >= B) b = B - 1;
    const ttl = buckets[b]!;
    // What the resolver will really hold it for: the TTL given, plus its floor or clamp if it has one.
    const hold = ttl + ledger.extraHold[slot]!;
    if (k === 1) ledger.releaseEntry(slot, t);
    const served = ledger.servedSeconds(rate, hold);
    let total = 0;
    let load: number;
    if (weight > 0) {
      // Closed loop: balance the rate each member carries now, as the model has it plus what the
      // backends reported beyond it, plus part of its recent excess over its share. Rates, not
      // load over a horizon: a reported excess persists while the model's short entries would
      // look like they end, and that herded every entry onto the members whose load was modelled
      // (measured on the testbed).
      // Not clamped at 0: a member far below its share must still show each entry placed on it
      // (clamped, a warm-up's starved members all read 0, and entries went to them in turn
      // whatever was already placed on each).
      for (let i = 0; i < n; i++) {
        const m = first[i]!;
        const v = ledger.modelRate(m) + weight * (ledger.bias[m]! + FEEDBACK_INTEGRAL * ledger.excess[m]!);
        residual[i] = v;
        total += v > 0 ? v : 0;
      }
      load = rate * (ledger.followShare + ((1 - ledger.followShare) * served) / ledger.tailSeconds);
    } else {
      const loads = ledger.loads;
      ledger.horizonLoads(t, HORIZON_SECONDS, loads);
      for (let i = 0; i < n; i++) {
        const v = loads[first[i]!]!;
        residual[i] = v;
        total += v;
      }
      load = rate * Math.min(served, HORIZON_SECONDS);
    }
    const after = total + load;
    const eps = 1e-9 * (after + 1);
    // Furthest below target after this entry is placed; ties go round from the rotation counter.
    const start = cycleIndex(ctx.seq, n);
    let best = start;
    let bestDeficit = -Infinity;
    for (let j = 0; j < n; j++) {
      const i = start + j < n ? start + j : start + j - n;
      const deficit = share[i]! * after - residual[i]!;
      if (deficit > bestDeficit + eps) {
        best = i;
        bestDeficit = deficit;
      }
    }
    const part = rate / k;
    for (let j = 0; j < k; j++) ledger.charge(flat[best * k + j]!, part, t, served);
    if (k === 1) ledger.holdEntry(slot, first[best]!, rate * ledger.followShare, t + hold, t + served);
    ledger.gave(slot, ttl);
    ledger.corrected++;
    ledger.account(t);
    return b * n + best;
  };

  return { variants, pick, shares, clientDependent: false, ttls };
}
