/**
 * Which members may be answered. A member with no target is not checked and always counts as
 * live; otherwise its target's decided state does, and `unknown` (or no verdict yet) counts as
 * live only when the pool says `unknown=up`. Backup members are answered only when no non-backup
 * member is live; when nothing is live at all, the pool's all-down rule decides (all-down.ts).
 */
import type { HealthView, TargetState } from '../model/health.js';
import type { Pool, PoolConfig, PoolMember } from '../model/zone.js';
import { allDownCandidates } from './all-down.js';

/**
 * A member's state. An operator override of the member itself (by pool name and address, shared
 * through Redis) comes first: drain and force-down take it out, force-up keeps it in.
 */
export function memberState(member: PoolMember, health: HealthView, poolName?: string): TargetState | 'unchecked' {
  const override = poolName === undefined ? undefined : health.member?.(poolName, member.address);
  if (override !== undefined) return override === 'force-up' ? 'up' : 'down';
  if (member.targetId === undefined) return 'unchecked';
  return health.get(member.targetId)?.state ?? 'unknown';
}

export function isLive(member: PoolMember, health: HealthView, unknown: PoolConfig['unknown'], poolName?: string): boolean {
  const state = memberState(member, health, poolName);
  return state === 'unchecked' || state === 'up' || (state === 'unknown' && unknown === 'up');
}

export type Candidates =
  /** Indices into pool.members, in pool order, never empty. */
  | { readonly kind: 'members'; readonly members: readonly number[]; readonly allDown: boolean }
  | { readonly kind: 'nodata' }
  | { readonly kind: 'servfail' }
  | { readonly kind: 'cname' };

/** The members a policy chooses from, after liveness, the backup rule and the all-down rule. */
export function selectCandidates(pool: Pool, health: HealthView): Candidates {
  const primaries: number[] = [];
  const backups: number[] = [];
  pool.members.forEach((member, index) => {
    if (!isLive(member, health, pool.config.unknown, pool.name)) return;
    (member.backup ? backups : primaries).push(index);
  });
  if (primaries.length > 0) return { kind: 'members', members: primaries, allDown: false };
  if (backups.length > 0) return { kind: 'members', members: backups, allDown: false };
  return allDownCandidates(pool);
}
