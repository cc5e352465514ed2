import type { Pool, PoolMember } from '../../model/zone.js';
import type { ClientInfo, PoolSelector, Selection } from '../../dns/pool-selector.js';

/**
 * Health-blind rotation: each pool has its own counter, and every answer starts one member
 * further on, so the first address cycles through all members. The answer is a rotated copy;
 * the zone's member array is never reordered (it is shared by every query).
 */
export class RoundRobinSelector implements PoolSelector {
  private readonly counters = new Map<string, number>();

  select(pool: Pool, _client: ClientInfo): Selection {
    const members = pool.members;
    const n = members.length;
    if (n === 0) return { kind: 'nodata' };
    const seq = this.counters.get(pool.key) ?? 0;
    this.counters.set(pool.key, (seq + 1) % n);
    const start = seq % n;
    const limit = pool.config.answers === 'all' ? n : Math.max(1, Math.min(n, pool.config.answers));
    const rotated: PoolMember[] = new Array<PoolMember>(limit);
    for (let i = 0; i < limit; i++) rotated[i] = members[(start + i) % n] as PoolMember;
    return { kind: 'answer', members: rotated };
  }
}
