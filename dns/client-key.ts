/**
 * The client a sticky answer is keyed on: the EDNS Client Subnet if the query carried one
 * (RFC 7871), else the resolver's own address, masked to the pool's prefix (/24 and /56 by
 * default). `scope` is the prefix length the answer depended on, for the ECS scope field.
 */
import { parseIPv4Into, parseIPv6Into, prefixHex, withoutZoneId } from '../lib/ip.js';
import type { ClientInfo } from './pool-selector.js';

export interface ClientKey {
  readonly key: string;
  readonly scope: number;
}

/** Scratch octets; the query path is single-threaded. */
const bytes = new Uint8Array(16);

export function clientKeyFor(client: ClientInfo, v4Prefix: number, v6Prefix: number): ClientKey {
  bytes.fill(0);
  if (client.ecs) {
    const v4 = client.ecs.family === 1;
    const bits = Math.min(client.ecs.sourcePrefix, v4 ? v4Prefix : v6Prefix);
    bytes.set(client.ecs.address.subarray(0, v4 ? 4 : 16));
    return { key: `${prefixHex(bytes, bits, 0, v4 ? 4 : 16)}/${bits}`, scope: bits };
  }
  const v4 = parseIPv4Into(client.address, bytes);
  if (!v4 && !parseIPv6Into(withoutZoneId(client.address), bytes)) bytes.fill(0);
  const bits = v4 ? v4Prefix : v6Prefix;
  return { key: `${prefixHex(bytes, bits, 0, v4 ? 4 : 16)}/${bits}`, scope: bits };
}
