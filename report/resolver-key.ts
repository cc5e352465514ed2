/**
 * Resolver keys: who asked, approximated as a cache identity. The EDNS Client Subnet when present
 * (RFC 7871 §6: the source prefix the resolver caches under), else the source address cut to /24
 * (IPv4) or /56 (IPv6), because big resolvers egress from several addresses of one subnet.
 *
 * Keys are numbers on the fast path so recording a query allocates nothing:
 * - IPv4 /24: the 24-bit prefix, 0 … 2^24−1;
 * - IPv6 /56 inside 2000::/3 (all global unicast): −1 − (the 53 bits after the fixed `001`);
 * - anything else (other IPv6 space, ECS prefixes shorter than /24 or /56): a string.
 */
import { formatIPv6, maskPrefix, parseIPv6Into } from '../lib/ip.js';

export type ResolverKey = number | string;

export const IPV4_KEY_PREFIX = 24;
export const IPV6_KEY_PREFIX = 56;

/** Scratch octets for IPv6 parsing; the query path is single-threaded, so one buffer is enough. */
const bytes = new Uint8Array(16);

function group(k: number): number {
  return ((bytes[2 * k] ?? 0) << 8) | (bytes[2 * k + 1] ?? 0);
}

/** The /24 of a dotted-quad IPv4 address as a 24-bit integer, or −1 if it is not one. */
export function ipv4Prefix24(address: string, start = 0): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits++;
      if (digits > 3 || octet > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      if (dots < 3) value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value : -1;
}

/** Parses plain IPv6 text (no zone id) into `bytes`; false if it is not one. */
function parseIpv6(address: string): boolean {
  return parseIPv6Into(address, bytes);
}

/** Numeric key of the current `bytes` cut to /56, or undefined outside 2000::/3. */
function ipv6GlobalKey(): number | undefined {
  const g0 = group(0);
  if (g0 >>> 13 !== 0b001) return undefined;
  const bits = (g0 & 0x1fff) * 2 ** 40 + group(1) * 2 ** 24 + group(2) * 2 ** 8 + (group(3) >>> 8);
  return -1 - bits;
}

function maskedIpv6Text(prefix: number): string {
  return `${formatIPv6(maskPrefix(bytes, prefix))}/${prefix}`;
}

/** Keys of whole IPv4 source addresses start here (2^32 + the address), above the /24 keys. */
export const IPV4_ADDRESS_KEY_BASE = 2 ** 32;

/** A dotted-quad IPv4 address as a 32-bit integer, or −1 if it is not one. */
export function ipv4Value(address: string, start = 0): number {
  const prefix = ipv4Prefix24(address, start);
  if (prefix < 0) return -1;
  const dot = address.lastIndexOf('.');
  let last = 0;
  for (let i = dot + 1; i < address.length; i++) last = last * 10 + (address.charCodeAt(i) - 48);
  return prefix * 256 + last;
}

/**
 * The resolver key for a query's source address (no ECS). An IPv4 source is keyed by its whole
 * address: one cache per address (issue 11: resolvers of a farm that query from one /24 are
 * separate caches, and folding them into one key made their estimate a lower bound). The /24 is
 * how they are grouped for display (`resolverGroup`). IPv6 sources stay at /56.
 */
export function resolverKeyFromAddress(address: string): ResolverKey {
  const v4 = ipv4Value(address);
  if (v4 >= 0) return IPV4_ADDRESS_KEY_BASE + v4;
  // IPv4-mapped sources from dual-stack sockets: "::ffff:192.0.2.1".
  if (address.length > 7 && address.charCodeAt(address.length - 1) !== 58 && address.startsWith('::ffff:')) {
    const mapped = ipv4Value(address, 7);
    if (mapped >= 0) return IPV4_ADDRESS_KEY_BASE + mapped;
  }
  if (!parseIpv6(address)) return address;
  return ipv6GlobalKey() ?? maskedIpv6Text(IPV6_KEY_PREFIX);
}

/**
 * The resolver key when the query carries EDNS Client Subnet: the client subnet at the source
 * prefix length the resolver sent (cut to /24 or /56 when longer).
 */
export function resolverKeyFromEcs(family: 4 | 6, address: string, sourcePrefix: number): ResolverKey {
  if (family === 4) {
    const v4 = ipv4Prefix24(address);
    if (v4 < 0) return `ecs:${address}/${sourcePrefix}`;
    if (sourcePrefix >= IPV4_KEY_PREFIX) return v4;
    const full = v4 * 256;
    const masked = sourcePrefix <= 0 ? 0 : (full >>> (32 - sourcePrefix)) << (32 - sourcePrefix);
    return `${ipv4Text(masked >>> 0)}/${sourcePrefix}`;
  }
  if (!parseIpv6(address)) return `ecs:${address}/${sourcePrefix}`;
  if (sourcePrefix >= IPV6_KEY_PREFIX) return ipv6GlobalKey() ?? maskedIpv6Text(IPV6_KEY_PREFIX);
  return maskedIpv6Text(Math.max(0, sourcePrefix));
}

/** The key for a query: ECS when the query carried one, else the source address. */
export function resolverKeyOf(source: string, ecs?: { readonly family: 4 | 6; readonly address: string; readonly sourcePrefix: number }): ResolverKey {
  return ecs ? resolverKeyFromEcs(ecs.family, ecs.address, ecs.sourcePrefix) : resolverKeyFromAddress(source);
}

function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The display group of a key: the /24 of an IPv4 source address; other keys are their own group. */
export function resolverGroup(key: ResolverKey): string {
  if (typeof key === 'number' && key >= IPV4_ADDRESS_KEY_BASE) return `${ipv4Text(Math.floor((key - IPV4_ADDRESS_KEY_BASE) / 256) * 256)}/${IPV4_KEY_PREFIX}`;
  return formatResolverKey(key);
}

/** The display group of a formatted key (`192.0.2.7` → `192.0.2.0/24`). */
export function resolverGroupOfText(text: string): string {
  const v4 = ipv4Value(text);
  return v4 >= 0 ? `${ipv4Text(Math.floor(v4 / 256) * 256)}/${IPV4_KEY_PREFIX}` : text;
}

/** Presentation text of a key: `198.51.100.7`, `198.51.100.0/24` (ECS), `2001:db8:0:100::/56`, or the string key. */
export function formatResolverKey(key: ResolverKey): string {
  if (typeof key === 'string') return key;
  if (key >= IPV4_ADDRESS_KEY_BASE) return ipv4Text(key - IPV4_ADDRESS_KEY_BASE);
  if (key >= 0) return `${ipv4Text(key * 256)}/${IPV4_KEY_PREFIX}`;
  let bits = -1 - key;
  const low = bits % 256;
  bits = (bits - low) / 256;
  const g2 = bits % 65536;
  bits = (bits - g2) / 65536;
  const g1 = bits % 65536;
  bits = (bits - g1) / 65536;
  const g0 = 0x2000 | bits;
  const out = new Uint8Array(16);
  out[0] = g0 >> 8;
  out[1] = g0 & 0xff;
  out[2] = g1 >> 8;
  out[3] = g1 & 0xff;
  out[4] = g2 >> 8;
  out[5] = g2 & 0xff;
  out[6] = low;
  return `${formatIPv6(out)}/${IPV6_KEY_PREFIX}`;
}

/** What the DNS side knows of a query's sender (dns/pool-selector.ts ClientInfo fits). */
export interface ResolverSource {
  readonly address: string;
  /** RFC 7871 ECS: family 1 = IPv4, 2 = IPv6; `address` holds ceil(sourcePrefix / 8) octets. */
  readonly ecs?: { readonly family: 1 | 2; readonly sourcePrefix: number; readonly address: Uint8Array };
}

/** The resolver key straight from the wire form of ECS (no string work for /24 and /56). */
export function resolverKeyForClient(client: ResolverSource): ResolverKey {
  const ecs = client.ecs;
  if (!ecs) return resolverKeyFromAddress(client.address);
  const b = ecs.address;
  const prefix = Math.max(0, ecs.sourcePrefix);
  if (ecs.family === 1) {
    const value = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
    if (prefix >= IPV4_KEY_PREFIX) return value >>> 8;
    const masked = prefix === 0 ? 0 : ((value >>> (32 - prefix)) << (32 - prefix)) >>> 0;
    return `${ipv4Text(masked)}/${prefix}`;
  }
  bytes.fill(0);
  bytes.set(b.subarray(0, 16));
  if (prefix >= IPV6_KEY_PREFIX) return ipv6GlobalKey() ?? maskedIpv6Text(IPV6_KEY_PREFIX);
  return maskedIpv6Text(prefix);
}

/** The eight 16-bit groups of an IPv6 address, or undefined if it is not one. */
export function ipv6Groups(address: string): number[] | undefined {
  return parseIpv6(address) ? Array.from({ length: 8 }, (_, k) => group(k)) : undefined;
}
