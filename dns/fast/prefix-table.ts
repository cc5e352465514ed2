/**
 * A compiled longest-prefix-match table for one address family (issue 12, `;@map` net: rules).
 * Nested CIDR prefixes are flattened into sorted, disjoint ranges, each holding the rule of the
 * most specific prefix that covers it (adjacent ranges of one rule merged); a lookup is a binary
 * search. Besides the rule, a lookup tells the shortest prefix around the address whose every
 * address gets the same outcome (`scope`): the ECS SCOPE PREFIX-LENGTH (RFC 7871 §7.2.1) of an
 * answer decided here.
 *
 * IPv4 ranges are plain numbers in Float64Arrays (exact below 2^53); IPv6 ranges are bigints. A
 * 100,000-prefix table is a few megabytes.
 */
import { parseIPv4Into } from '../../lib/ip.js';

export interface PrefixEntry {
  /** 4 or 16 octets, host bits zero. */
  readonly bytes: Uint8Array;
  readonly prefixLength: number;
  readonly rule: number;
}

export interface PrefixMatch {
  /** The rule of the most specific prefix holding the address; -1 when none does. */
  readonly rule: number;
  /** The shortest prefix length around the address with the same outcome everywhere. */
  readonly scope: number;
}

const NO_RULE = -1;

/** The shortest L such that the aligned 2^(width-L) block holding `a` lies within [lo, hi]. */
function scopeWithin(a: bigint, lo: bigint, hi: bigint, width: number): number {
  for (let length = 0; length <= width; length++) {
    const size = 1n << BigInt(width - length);
    const base = a - (a % size);
    if (base >= lo && base + size - 1n <= hi) return length;
  }
  return width;
}

function scopeWithinNumber(a: number, lo: number, hi: number): number {
  for (let length = 0; length <= 32; length++) {
    const size = 2 ** (32 - length);
    const base = a - (a % size);
    if (base >= lo && base + size - 1 <= hi) return length;
  }
  return 32;
}

function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

interface Range {
  lo: bigint;
  hi: bigint;
  rule: number;
}

/** Flattens nested prefixes (sorted by start, then shorter first) into disjoint ranges. */
function flatten(entries: readonly PrefixEntry[], width: number): Range[] {
  const items = entries
    .map((e) => {
      const lo = bytesToBigint(e.bytes);
      return { lo, hi: lo + (1n << BigInt(width - e.prefixLength)) - 1n, rule: e.rule, length: e.prefixLength };
    })
    .sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : a.length - b.length));
  const out: Range[] = [];
  const emit = (lo: bigint, hi: bigint, rule: number) => {
    if (lo > hi) return;
    const last = out[out.length - 1];
    if (last && last.rule === rule && last.hi + 1n === lo) last.hi = hi;
    else out.push({ lo, hi, rule });
  };
  const stack: { hi: bigint; rule: number }[] = [];
  let cursor = 0n;
  for (const item of items) {
    // Close the prefixes that end before this one starts.
    while (stack.length > 0 && stack[stack.length - 1]!.hi < item.lo) {
      const top = stack.pop()!;
      emit(cursor, top.hi, top.rule);
      cursor = top.hi + 1n;
    }
    const top = stack[stack.length - 1];
    if (top && cursor < item.lo) emit(cursor, item.lo - 1n, top.rule);
    if (cursor < item.lo) cursor = item.lo;
    stack.push({ hi: item.hi, rule: item.rule });
  }
  while (stack.length > 0) {
    const top = stack.pop()!;
    emit(cursor, top.hi, top.rule);
    cursor = top.hi + 1n;
  }
  return out;
}

interface Range4 {
  lo: number;
  hi: number;
  rule: number;
}

/** flatten() for IPv4 in plain numbers (exact: below 2^53), several times faster than bigints. */
function flatten4(entries: readonly PrefixEntry[]): Range4[] {
  const items = entries
    .map((e) => {
      const b = e.bytes;
      const lo = ((b[0] ?? 0) * 256 + (b[1] ?? 0)) * 65536 + (b[2] ?? 0) * 256 + (b[3] ?? 0);
      return { lo, hi: lo + 2 ** (32 - e.prefixLength) - 1, rule: e.rule, length: e.prefixLength };
    })
    .sort((a, b) => a.lo - b.lo || a.length - b.length);
  const out: Range4[] = [];
  const emit = (lo: number, hi: number, rule: number) => {
    if (lo > hi) return;
    const last = out[out.length - 1];
    if (last && last.rule === rule && last.hi + 1 === lo) last.hi = hi;
    else out.push({ lo, hi, rule });
  };
  const stack: { hi: number; rule: number }[] = [];
  let cursor = 0;
  for (const item of items) {
    while (stack.length > 0 && stack[stack.length - 1]!.hi < item.lo) {
      const top = stack.pop()!;
      emit(cursor, top.hi, top.rule);
      cursor = top.hi + 1;
    }
    const top = stack[stack.length - 1];
    if (top && cursor < item.lo) emit(cursor, item.lo - 1, top.rule);
    if (cursor < item.lo) cursor = item.lo;
    stack.push({ hi: item.hi, rule: item.rule });
  }
  while (stack.length > 0) {
    const top = stack.pop()!;
    emit(cursor, top.hi, top.rule);
    cursor = top.hi + 1;
  }
  return out;
}

/** The last index whose range start is at most `a` (binary search over sorted starts), or -1. */
function lastAtMost<T extends number | bigint>(lo: ArrayLike<T>, a: T): number {
  let l = 0;
  let h = lo.length - 1;
  let found = -1;
  while (l <= h) {
    const m = (l + h) >> 1;
    if (lo[m]! <= a) {
      found = m;
      l = m + 1;
    } else h = m - 1;
  }
  return found;
}

export class PrefixTable {
  readonly size: number;
  private readonly width: number;
  // IPv4: numbers
  private readonly lo4: Float64Array | undefined;
  private readonly hi4: Float64Array | undefined;
  // IPv6: bigints
  private readonly lo6: readonly bigint[] | undefined;
  private readonly hi6: readonly bigint[] | undefined;
  private readonly rules: Int32Array;

  constructor(family: 4 | 6, entries: readonly PrefixEntry[]) {
    this.width = family === 4 ? 32 : 128;
    if (family === 4) {
      const ranges = flatten4(entries);
      this.size = ranges.length;
      this.rules = Int32Array.from(ranges.map((r) => r.rule));
      this.lo4 = Float64Array.from(ranges.map((r) => r.lo));
      this.hi4 = Float64Array.from(ranges.map((r) => r.hi));
    } else {
      const ranges = flatten(entries, this.width);
      this.size = ranges.length;
      this.rules = Int32Array.from(ranges.map((r) => r.rule));
      this.lo6 = ranges.map((r) => r.lo);
      this.hi6 = ranges.map((r) => r.hi);
    }
  }

  /** IPv4 address as a number (0 to 2^32 - 1): the rule, no scope (the fast path's question). */
  ruleOf4(a: number): number {
    const lo = this.lo4!;
    const found = lastAtMost(lo, a);
    return found >= 0 && a <= this.hi4![found]! ? this.rules[found]! : NO_RULE;
  }

  match4(a: number): PrefixMatch {
    const lo = this.lo4!;
    const hi = this.hi4!;
    const found = lastAtMost(lo, a);
    if (found >= 0 && a <= hi[found]!) return { rule: this.rules[found]!, scope: scopeWithinNumber(a, lo[found]!, hi[found]!) };
    const gapLo = found >= 0 ? hi[found]! + 1 : 0;
    const gapHi = found + 1 < lo.length ? lo[found + 1]! - 1 : 2 ** 32 - 1;
    return { rule: NO_RULE, scope: scopeWithinNumber(a, gapLo, gapHi) };
  }

  match6(bytes: Uint8Array): PrefixMatch {
    const a = bytesToBigint(bytes);
    const lo = this.lo6!;
    const hi = this.hi6!;
    const found = lastAtMost(lo, a);
    if (found >= 0 && a <= hi[found]!) return { rule: this.rules[found]!, scope: scopeWithin(a, lo[found]!, hi[found]!, 128) };
    const gapLo = found >= 0 ? hi[found]! + 1n : 0n;
    const gapHi = found + 1 < lo.length ? lo[found + 1]! - 1n : (1n << 128n) - 1n;
    return { rule: NO_RULE, scope: scopeWithin(a, gapLo, gapHi, 128) };
  }
}

const SCRATCH = new Uint8Array(4);

/** Dotted-quad text to a number (lib/ip.ts's strict parser into a scratch buffer, no allocation); -1 when it is not one. */
export function ipv4Number(text: string): number {
  if (!parseIPv4Into(text, SCRATCH)) return -1;
  return ((SCRATCH[0]! * 256 + SCRATCH[1]!) * 256 + SCRATCH[2]!) * 256 + SCRATCH[3]!;
}
