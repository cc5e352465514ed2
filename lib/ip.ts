/**
 * The one address library: IPv4/IPv6 text ↔ octets (strict), RFC 5952 text, prefix masking,
 * family. The parsers write into a caller's buffer so the query path (client keys, ECS, RRL,
 * resolver keys) can parse a source address without allocating; the allocating wrappers are for
 * zone parsing, admin and the CLI.
 *
 * Strict means: IPv4 is a dotted quad without leading zeros (they are ambiguous, some parsers read
 * octal); IPv6 follows RFC 4291 §2.2 (one `::`, up to four hex digits a group, an embedded dotted
 * quad last) with no zone id (`%eth0`: strip it first, see `withoutZoneId`).
 */

export type IpFamily = 4 | 6;

/** Writes the four octets of a strict dotted quad, `text` from `start`, at `out[at]`; false if it is not one. */
export function parseIPv4Into(text: string, out: Uint8Array, at = 0, start = 0): boolean {
  const n = text.length;
  if (n - start < 7 || n - start > 15) return false;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || parts === 3) return false;
      out[at + parts] = value;
      parts++;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (digits === 0 || parts !== 3) return false;
  out[at + 3] = value;
  return true;
}

/** Writes the sixteen octets of IPv6 text into `out`; false (and `out` undefined) if it is not one. */
export function parseIPv6Into(text: string, out: Uint8Array): boolean {
  const n = text.length;
  if (n < 2 || n > 45) return false;
  let count = 0; // groups written
  let gap = -1; // group index where "::" stands
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    // One group: up to four hex digits, or a trailing dotted quad.
    let j = i;
    let value = 0;
    while (j < n && j - i < 5) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      j++;
    }
    const next = j < n ? text.charCodeAt(j) : -1;
    if (next === 46) {
      if (count > 6 || !parseIPv4Into(text, out, count * 2, i)) return false;
      count += 2;
      break;
    }
    if (j === i || j - i > 4 || count === 8) return false;
    out[count * 2] = value >> 8;
    out[count * 2 + 1] = value & 0xff;
    count++;
    if (j === n) break;
    if (next !== 58) return false;
    if (text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false; // two "::"
      gap = count;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === n) return false; // trailing single ":"
    }
  }
  if (gap < 0) return count === 8;
  if (count > 7) return false;
  // Move the groups after "::" to the right end and zero the gap.
  const tail = count - gap;
  for (let k = tail - 1; k >= 0; k--) {
    const from = (gap + k) * 2;
    const to = (8 - tail + k) * 2;
    out[to] = out[from] ?? 0;
    out[to + 1] = out[from + 1] ?? 0;
  }
  out.fill(0, gap * 2, (8 - tail) * 2);
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The four octets of a strict dotted quad, or undefined. */
export function ipv4Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  return parseIPv4Into(text, out) ? out : undefined;
}

/** The sixteen octets of IPv6 text, or undefined. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  return parseIPv6Into(text, out) ? out : undefined;
}

/** `fe80::1%eth0` → `fe80::1` (sockets report link-local sources with their zone id). */
export function withoutZoneId(text: string): string {
  const zone = text.indexOf('%');
  return zone < 0 ? text : text.slice(0, zone);
}

export function formatIPv4(bytes: Uint8Array, at = 0): string {
  return `${bytes[at] ?? 0}.${bytes[at + 1] ?? 0}.${bytes[at + 2] ?? 0}.${bytes[at + 3] ?? 0}`;
}

/**
 * RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2, the first of equals) of zero
 * groups as `::`; IPv4-mapped addresses keep the dotted quad (§5).
 */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push(((bytes[g * 2] ?? 0) << 8) | (bytes[g * 2 + 1] ?? 0));
  if (isV4Mapped(bytes)) return `::ffff:${formatIPv4(bytes, 12)}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let e = g;
    while (e < 8 && groups[e] === 0) e++;
    if (e - g > bestLength) {
      bestStart = g;
      bestLength = e - g;
    }
    g = e;
  }
  if (bestStart < 0) return hexGroups(groups, 0, 8);
  return `${hexGroups(groups, 0, bestStart)}::${hexGroups(groups, bestStart + bestLength, 8)}`;
}

/** Groups [from, to) as lowercase hex joined by `:` (no array per call: a million AAAA records decode through here). */
function hexGroups(groups: readonly number[], from: number, to: number): string {
  let out = '';
  for (let g = from; g < to; g++) out += (g === from ? '' : ':') + (groups[g] ?? 0).toString(16);
  return out;
}

/** Keeps the first `bits` bits of `bytes` (in place) and zeroes the rest; returns `bytes`. */
export function maskPrefix(bytes: Uint8Array, bits: number): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return bytes;
}

/**
 * The first `bits` bits of the octets from `bytes[at]` as lowercase hex, `octets` of them (by
 * default the whole octets the prefix touches: `c00002` for 192.0.2.0/24), the rest masked to 0.
 */
export function prefixHex(bytes: Uint8Array, bits: number, at = 0, octets = Math.ceil(bits / 8)): string {
  let out = '';
  for (let i = 0; i < octets; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const v = (bytes[at + i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
    out += v < 16 ? `0${v.toString(16)}` : v.toString(16);
  }
  return out;
}

/** True for the sixteen octets of an IPv4-mapped address (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2). */
export function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Canonical text of a strict IPv4 address (the input itself), or undefined. */
export function parseIPv4(text: string): string | undefined {
  return ipv4Bytes(text) ? text : undefined;
}

/** Canonical (RFC 5952) text of an IPv6 address, or undefined. */
export function parseIPv6(text: string): string | undefined {
  const bytes = ipv6Bytes(text);
  return bytes ? formatIPv6(bytes) : undefined;
}

/** Canonical text of an IPv4 or IPv6 address, with its family. */
export function parseAddress(text: string): { address: string; family: IpFamily } | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { address: v4, family: 4 };
  const v6 = parseIPv6(text);
  return v6 ? { address: v6, family: 6 } : undefined;
}

/** 4 for a dotted quad, 6 for IPv6 text (a zone id allowed), undefined otherwise. */
export function ipFamily(text: string): IpFamily | undefined {
  if (parseIPv4(text)) return 4;
  return parseIPv6Into(withoutZoneId(text), scratch) ? 6 : undefined;
}

const scratch = new Uint8Array(16);
