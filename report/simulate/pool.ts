/**
 * The simulated pool, answered by the real selection code (balance/plan.ts buildPlan), so the
 * simulator exercises the same policies the server runs. A removed member is marked down in the
 * health view; member indices stay stable across the removal.
 */
import { buildPlan } from '../../balance/plan.js';
import type { SkewLedger } from '../../balance/skew-ledger.js';
import type { HealthView, TargetHealth } from '../../model/health.js';
import { DEFAULT_POOL_CONFIG, RRType } from '../../model/zone.js';
import type { Pool, PoolMember } from '../../model/zone.js';
import type { SimulateParams } from './params.js';

/** Example addresses (RFC 5737 / RFC 3849): 192.0.2.10… or 2001:db8::10…. */
export function memberAddress(family: 4 | 6, index: number): string {
  return family === 4 ? `192.0.2.${10 + index}` : `2001:db8::${(0x10 + index).toString(16)}`;
}

export function simulatedPool(p: SimulateParams): Pool {
  const name = 'sim.example.test.';
  const type = p.family === 4 ? RRType.A : RRType.AAAA;
  const members: PoolMember[] = [];
  for (let i = 0; i < p.backends; i++) {
    const address = memberAddress(p.family, i);
    members.push({
      address,
      family: p.family,
      weight: p.weights[i] ?? 1,
      priority: 1,
      backup: false,
      targetId: `sim/${i}`,
      record: {
        name,
        display: name,
        type,
        ttl: p.ttl,
        rdata: p.family === 4 ? { kind: 'A', address } : { kind: 'AAAA', address },
        source: { file: '(simulated)', line: i + 1, column: 1 },
      },
    });
  }
  return {
    key: `${name}/${p.family === 4 ? 'A' : 'AAAA'}`,
    name,
    display: name,
    type,
    config: { ...DEFAULT_POOL_CONFIG, policy: p.policy, answers: p.answers, ttl: p.ttl, skew: p.skew, ttlMin: p.ttlMin ?? undefined, ttlMax: p.ttlMax ?? undefined },
    members,
    ttl: p.ttl,
  };
}

const DOWN: TargetHealth = { state: 'down', latencyMs: undefined, load: undefined, reason: 'removed by the simulation', since: 0 };

/** A health view with the given members down (unknown for the others, which the pool answers). */
export function healthWithDown(down: ReadonlySet<number>): HealthView {
  return { version: down.size, get: (targetId) => (down.has(Number(targetId.slice(4))) ? DOWN : undefined) };
}

export interface SimPlan {
  /** Member lists in answer order. */
  readonly variants: readonly (readonly number[])[];
  /** Seconds per variant (skew correction's TTL buckets); undefined: the pool's TTL. */
  readonly ttls: readonly number[] | undefined;
  readonly pick: (ctx: { seq: number; random: { next(): number }; clientKey: string; resolver?: string; nowMs?: number }) => number;
}

/** The plan for the pool with `down` members removed; throws if the policy gives no answer. */
export function simulatedPlan(pool: Pool, down: ReadonlySet<number>, skew?: SkewLedger): SimPlan {
  const plan = buildPlan(pool, healthWithDown(down), skew ? { skew } : undefined);
  if (plan.kind !== 'answer') throw new Error(`simulated pool gave ${plan.kind}`);
  return { variants: plan.variants, ttls: plan.ttls, pick: (ctx) => plan.pick(ctx) };
}
