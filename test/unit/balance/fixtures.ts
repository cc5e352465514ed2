/** Pools and health views for the balance tests. */
import type { HealthView, TargetHealth, TargetState } from '../../../model/health.js';
import type { PickContext } from '../../../balance/types.js';
import { seededRandom, type Random } from '../../../lib/random.js';
import { RRType, type Pool, type PoolConfig, type PoolMember } from '../../../model/zone.js';

export interface MemberSpec {
  weight?: number;
  priority?: number;
  backup?: boolean;
  /** Checked by this target; omit for an unchecked member. */
  target?: string;
}

/** Members 192.0.2.10, .11, ... in order; checked ones get target ids `t10`, `t11`, ... unless given. */
export function makePool(config: Partial<PoolConfig>, specs: readonly (MemberSpec & { checked?: boolean })[]): Pool {
  const members: PoolMember[] = specs.map((spec, i) => {
    const address = `192.0.2.${10 + i}`;
    return {
      address,
      family: 4,
      weight: spec.weight ?? 1,
      priority: spec.priority ?? 1,
      backup: spec.backup ?? false,
      targetId: spec.target ?? (spec.checked === false ? undefined : `t${10 + i}`),
      record: {
        name: 'www.example.org.',
        display: 'www.example.org.',
        type: RRType.A,
        ttl: 20,
        rdata: { kind: 'A', address },
        source: { file: 'test.zone', line: i + 1, column: 1 },
      },
    };
  });
  return {
    key: 'www.example.org./A',
    name: 'www.example.org.',
    display: 'www.example.org.',
    type: RRType.A,
    config: {
      policy: 'round-robin',
      answers: 'all',
      ttl: undefined,
      check: 'web',
      allDown: 'serve-all',
      unknown: 'up',
      quorum: 'majority',
      stickyV4Prefix: 24,
      stickyV6Prefix: 56,
      ...config,
    },
    members,
    ttl: 20,
  };
}

export type HealthSpec = TargetState | { state: TargetState; latencyMs?: number; load?: number };

/** A health view over target ids; targets not listed have no verdict. */
export function makeHealth(entries: Record<string, HealthSpec>, version = 1): HealthView {
  const map = new Map<string, TargetHealth>();
  for (const [id, spec] of Object.entries(entries)) {
    const s = typeof spec === 'string' ? { state: spec } : spec;
    map.set(id, { state: s.state, latencyMs: s.latencyMs, load: s.load, reason: 'test', since: 0 });
  }
  return { version, get: (id) => map.get(id) };
}

export function ctx(seq: number, random: Random = seededRandom(1), clientKey = '198.51.100.0/24'): PickContext {
  return { seq, random, clientKey };
}

/** The member addresses' last octet (10, 11, ...) of a variant, for readable expectations. */
export function octets(pool: Pool, variant: readonly number[]): number[] {
  return variant.map((m) => Number(pool.members[m]?.address.split('.')[3]));
}
