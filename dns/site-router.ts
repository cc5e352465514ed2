/**
 * Which rule of a `;@map` a client falls under (issue 12), and the ECS scope of that decision.
 * The client is the EDNS Client Subnet when the query carries one (RFC 7871), else the query's
 * source address. The most specific match wins: the longest `net:` prefix, then the country, then
 * the continent (from the GeoIP database), then `default=`.
 *
 * Scope (RFC 7871 §7.2.1): the shortest prefix around the client with the same outcome, so an
 * ECS-caching resolver may reuse the answer for exactly the clients it fits: the matched `net:`
 * prefix (longer where a more specific prefix sits inside it), or, for country, continent and
 * default, the database's network for the address (and no shorter than the gap between `net:`
 * prefixes around it).
 *
 * The fast path asks ruleOfSource() for queries without ECS: a Map from the source address text
 * to the rule, filled on first sight (resolvers are few; the map is cleared at a bound), so a
 * repeat query costs one Map lookup and no allocation.
 */
import type { GeoLookup, SiteMap } from '../model/site-map.js';
import type { ClientInfo } from './pool-selector.js';
import { ipv4Number, PrefixTable, type PrefixMatch } from './fast/prefix-table.js';
import { formatIPv4, formatIPv6, ipv6Bytes, withoutZoneId } from '../lib/ip.js';

/** Source addresses remembered per map before the cache starts over. */
export const SOURCE_CACHE_LIMIT = 100_000;

export interface RouteDecision {
  /** Index into map.rules. */
  readonly rule: number;
  /** The prefix length the decision holds for (see the file comment). */
  readonly scope: number;
}

const NONE: PrefixMatch = { rule: -1, scope: 0 };

export class SiteRouter {
  private readonly v4: PrefixTable;
  private readonly v6: PrefixTable;
  private readonly sources = new Map<string, number>();

  constructor(
    readonly map: SiteMap,
    private readonly geo: GeoLookup | undefined,
  ) {
    this.v4 = new PrefixTable(4, map.nets.filter((n) => n.family === 4));
    this.v6 = new PrefixTable(6, map.nets.filter((n) => n.family === 6));
  }

  /** The rule for a query without ECS, from its source address (cached per address). */
  ruleOfSource(address: string, family: 4 | 6): number {
    const cached = this.sources.get(address);
    if (cached !== undefined) return cached;
    // IPv4 without the scope (no ECS, so nothing to tell the resolver): one binary search.
    const n = ipv4Number(address);
    const net = n >= 0 && this.v4.size > 0 ? this.v4.ruleOf4(n) : -1;
    const rule = net >= 0 ? net : n >= 0 ? this.finish(NONE, address, 4).rule : this.decideAddress(address, family).rule;
    if (this.sources.size >= SOURCE_CACHE_LIMIT) this.sources.clear();
    this.sources.set(address, rule);
    return rule;
  }

  /** The rule and scope for a client: its ECS subnet if present (and not /0), else its address. */
  decide(client: ClientInfo): RouteDecision {
    const ecs = client.ecs;
    if (ecs && ecs.sourcePrefix > 0) {
      if (ecs.family === 1) {
        const bytes = new Uint8Array(4);
        bytes.set(ecs.address.subarray(0, 4));
        return this.decideBytes(bytes, 4, formatIPv4(bytes));
      }
      const bytes = new Uint8Array(16);
      bytes.set(ecs.address.subarray(0, 16));
      return this.decideBytes(bytes, 6, formatIPv6(bytes));
    }
    return this.decideAddress(client.address, client.family);
  }

  private decideAddress(address: string, family: 4 | 6): RouteDecision {
    const n = ipv4Number(address);
    if (n >= 0) return this.finish(this.v4.size > 0 ? this.v4.match4(n) : NONE, address, 4);
    // A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d.
    const lower = address.toLowerCase();
    if (lower.startsWith('::ffff:') && lower.includes('.')) return this.decideAddress(lower.slice(7), 4);
    const bytes = family === 6 || address.includes(':') ? ipv6Bytes(withoutZoneId(lower)) : undefined;
    if (!bytes) return { rule: this.map.defaultRule, scope: 0 };
    return this.finish(this.v6.size > 0 ? this.v6.match6(bytes) : NONE, address, 6);
  }

  private decideBytes(bytes: Uint8Array, family: 4 | 6, text: string): RouteDecision {
    if (family === 4) {
      const n = ((bytes[0]! << 24) >>> 0) + (bytes[1]! << 16) + (bytes[2]! << 8) + bytes[3]!;
      return this.finish(this.v4.size > 0 ? this.v4.match4(n) : NONE, text, 4);
    }
    return this.finish(this.v6.size > 0 ? this.v6.match6(bytes) : NONE, text, 6);
  }

  private finish(net: PrefixMatch, address: string, family: 4 | 6): RouteDecision {
    if (net.rule >= 0) return net;
    const map = this.map;
    if (!map.usesGeo || !this.geo) return { rule: map.defaultRule, scope: net.scope };
    const answer = this.geo.lookup(address, family);
    const scope = Math.max(net.scope, answer.prefixLength);
    const byCountry = answer.country === undefined ? undefined : map.countries.get(answer.country);
    if (byCountry !== undefined) return { rule: byCountry, scope };
    const byContinent = answer.continent === undefined ? undefined : map.continents.get(answer.continent);
    if (byContinent !== undefined) return { rule: byContinent, scope };
    return { rule: map.defaultRule, scope };
  }
}
