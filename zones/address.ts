/** Address parsing for A/AAAA rdata and `probe=`: strict, and canonical output (RFC 5952 for IPv6). */

/**
 * A dotted quad with no leading zeros (they are ambiguous: some parsers read octal).
 * Returns the canonical text (the input itself when valid) or undefined.
 */
export function parseIPv4(text: string): string | undefined {
  const n = text.length;
  if (n < 7 || n > 15) return undefined;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // leading zero
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0) return undefined;
      parts++;
      value = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || parts !== 3) return undefined;
  return text;
}

/** IPv4 text to its four octets (assumes parseIPv4 accepted it). */
export function ipv4Bytes(text: string): Uint8Array {
  const out = new Uint8Array(4);
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  return out;
}

/** Parses IPv6 text (RFC 4291 §2.2, embedded IPv4 allowed, no zone id) into 16 octets. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  const n = text.length;
  if (text.startsWith('::')) {
    gap = 0;
    i = 2;
    if (n === 2) return new Uint8Array(16);
  } else if (text.charCodeAt(0) === 58) {
    return undefined;
  }
  while (i < n) {
    // One group: up to 4 hex digits, or a trailing dotted quad.
    let j = i;
    let value = 0;
    while (j < n && j - i < 5) {
      const c = text.charCodeAt(j);
      const h = hexValue(c);
      if (h < 0) break;
      value = value * 16 + h;
      j++;
    }
    const next = text.charCodeAt(j);
    if (next === 46) {
      const v4 = parseIPv4(text.slice(i));
      if (!v4 || groups.length > 6) return undefined;
      const b = ipv4Bytes(v4);
      groups.push(((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0));
      i = n;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    groups.push(value);
    if (j === n) {
      i = n;
      break;
    }
    if (next !== 58) return undefined;
    if (text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return undefined; // two "::"
      gap = groups.length;
      i = j + 2;
      if (i === n) break;
    } else {
      i = j + 1;
      if (i === n) return undefined; // trailing single ":"
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  const out = new Uint8Array(16);
  const tail = gap < 0 ? 0 : groups.length - gap;
  for (let g = 0; g < groups.length; g++) {
    const slot = gap >= 0 && g >= gap ? 8 - tail + (g - gap) : g;
    out[slot * 2] = (groups[g] ?? 0) >> 8;
    out[slot * 2 + 1] = (groups[g] ?? 0) & 0xff;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push(((bytes[g * 2] ?? 0) << 8) | (bytes[g * 2 + 1] ?? 0));
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
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
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Canonical IPv6 text, or undefined when `text` is not an IPv6 address. */
export function parseIPv6(text: string): string | undefined {
  const bytes = ipv6Bytes(text);
  return bytes ? formatIPv6(bytes) : undefined;
}

/** Canonical text of an IPv4 or IPv6 address, with its family. */
export function parseAddress(text: string): { address: string; family: 4 | 6 } | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { address: v4, family: 4 };
  const v6 = parseIPv6(text);
  return v6 ? { address: v6, family: 6 } : undefined;
}
