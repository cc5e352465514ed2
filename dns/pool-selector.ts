/**
 * The seam between the answerer and the load-balancing policies: respond.ts asks a PoolSelector
 * which members of a pool to answer; round-robin-selector.ts is the health-blind default, the
 * health-aware planner plugs in through the same interface.
 */
import type { Pool, PoolMember } from '../model/zone.js';

export interface ClientInfo {
  /** The resolver's address as seen on the socket. */
  readonly address: string;
  readonly family: 4 | 6;
  /** RFC 7871 EDNS Client Subnet from the query: `address` holds ceil(sourcePrefix / 8) octets. */
  readonly ecs?: { readonly family: 1 | 2; readonly sourcePrefix: number; readonly address: Buffer };
  readonly transport: 'udp' | 'tcp';
}

export type Selection =
  /** Answer these members, in this order. `ecsScope`: the prefix length the choice depended on. */
  | { readonly kind: 'answer'; readonly members: readonly PoolMember[]; readonly ecsScope?: number; /** Seconds; default the pool's TTL. */ readonly ttl?: number }
  /** NOERROR with no records (and the SOA for negative caching). */
  | { readonly kind: 'nodata'; readonly ecsScope?: number }
  | { readonly kind: 'servfail' }
  /** `all-down=cname:TARGET`: a CNAME to the fallback host (absolute, case as written). */
  | { readonly kind: 'cname'; readonly target: string; readonly ecsScope?: number };

export interface PoolSelector {
  select(pool: Pool, client: ClientInfo): Selection;
}
