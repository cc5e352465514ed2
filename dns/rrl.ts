/**
 * Response rate limiting (RRL), the UDP reflection defence BIND, Knot and NSD ship.
 *
 * A spoofed-source flood turns an authoritative server into an amplifier aimed at the victim
 * whose address is forged. RRL counts the responses going to each client prefix (/24, /56), per
 * kind of response, with a token bucket: `rate × window` responses may go out in a burst, then
 * `rate` per second. Past that, a response is limited: every `slip`-th one goes out truncated
 * (TC=1, no records, so a real client behind that prefix retries over TCP, which a spoofer
 * cannot), the others are dropped.
 *
 * Kinds of response ("accounts"), as in BIND:
 * - `answer`: NOERROR with records, per question name and type;
 * - `empty`: NXDOMAIN, NODATA and referrals, per zone (the owner of the first authority record,
 *   the SOA or the delegation NS), so random names under one zone share one bucket;
 * - `error`: every other RCODE (REFUSED, FORMERR, SERVFAIL, ...), per prefix only.
 *
 * It reads the encoded response, so it covers every way a response is built. Only UDP goes
 * through it: over TCP the source address is proven by the handshake.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '../lib/errors.js';
import { Flag, HEADER_SIZE, Rcode } from './wire/constants.js';
import { readName } from './wire/names.js';
import { isV4Mapped, parseIPv4Into, parseIPv6Into, prefixHex, withoutZoneId } from '../lib/ip.js';

export interface RrlOptions {
  /** Responses per second per (prefix, account). 0 turns RRL off. */
  readonly responsesPerSecond: number;
  /** Every Nth limited response is sent truncated; 0 drops them all, 1 truncates them all. Default 2. */
  readonly slip?: number;
  /** Seconds of credit a bucket holds: a burst of `rate × window` passes. Default 1. */
  readonly windowSeconds?: number;
  /** IPv4 clients are grouped by this prefix length. Default 24. */
  readonly ipv4PrefixLength?: number;
  /** IPv6 clients are grouped by this prefix length. Default 56. */
  readonly ipv6PrefixLength?: number;
  /** Never limit 127.0.0.0/8 and ::1. Default true. */
  readonly exemptLoopback?: boolean;
  /** More networks never limited, as CIDR (`192.0.2.0/24`, `2001:db8::/32`) or single addresses. */
  readonly exempt?: readonly string[];
  /** Buckets kept at most; the least recently used is forgotten first. Default 100000. */
  readonly maxEntries?: number;
  /** Monotonic milliseconds; tests pass a manual clock. */
  readonly now?: () => number;
}

export interface RrlStats {
  /** Responses that went through the limiter (exempt clients excluded). */
  checked: number;
  /** Responses from exempt clients, never limited. */
  exempt: number;
  /** Responses over the rate: slipped + dropped. */
  limited: number;
  /** Limited responses sent truncated (TC=1). */
  slipped: number;
  /** Limited responses not sent. */
  dropped: number;
  /** Buckets tracked now. */
  entries: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
  /** Limited responses so far, for the slip cadence. */
  limitedCount: number;
}

const DEFAULTS = { slip: 2, windowSeconds: 1, ipv4PrefixLength: 24, ipv6PrefixLength: 56, maxEntries: 100_000 } as const;

function invalid(message: string): ConfigError {
  return new ConfigError('RRL_CONFIG_INVALID', message);
}

function requireNumber(name: string, value: number, min: number, max: number, integer: boolean): void {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw invalid(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${value})`);
  }
}

/** Adds `cidr` (or a bare address) to `list`; throws a ConfigError naming the value. */
function addExempt(list: BlockList, cidr: string): void {
  const slash = cidr.indexOf('/');
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) throw invalid(`exempt network "${cidr}" is not an IP address or CIDR`);
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && cidr.slice(slash + 1) === '')) {
    throw invalid(`exempt network "${cidr}" has a bad prefix length (0-${max})`);
  }
  list.addSubnet(address, prefix, family);
}

export class ResponseRateLimiter {
  private readonly rate: number;
  private readonly capacity: number;
  private readonly slip: number;
  private readonly v4Prefix: number;
  private readonly v6Prefix: number;
  private readonly maxEntries: number;
  private readonly exemptList = new BlockList();
  private readonly hasExempt: boolean;
  private readonly now: () => number;
  /** Map order is the LRU order: a touched bucket is re-inserted at the end. */
  private readonly buckets = new Map<string, Bucket>();
  private readonly counters: Omit<RrlStats, 'entries'> = { checked: 0, exempt: 0, limited: 0, slipped: 0, dropped: 0 };

  constructor(options: RrlOptions) {
    requireNumber('responses-per-second', options.responsesPerSecond, 0, 1_000_000, true);
    const slip = options.slip ?? DEFAULTS.slip;
    requireNumber('slip', slip, 0, 10, true);
    const window = options.windowSeconds ?? DEFAULTS.windowSeconds;
    requireNumber('window', window, 1, 3600, true);
    const v4 = options.ipv4PrefixLength ?? DEFAULTS.ipv4PrefixLength;
    requireNumber('ipv4-prefix', v4, 8, 32, true);
    const v6 = options.ipv6PrefixLength ?? DEFAULTS.ipv6PrefixLength;
    requireNumber('ipv6-prefix', v6, 16, 128, true);
    const maxEntries = options.maxEntries ?? DEFAULTS.maxEntries;
    requireNumber('max-entries', maxEntries, 1, 10_000_000, true);
    this.rate = options.responsesPerSecond;
    this.capacity = this.rate * window;
    this.slip = slip;
    this.v4Prefix = v4;
    this.v6Prefix = v6;
    this.maxEntries = maxEntries;
    this.now = options.now ?? (() => performance.now());
    const exempt = [...(options.exemptLoopback ?? true ? ['127.0.0.0/8', '::1/128'] : []), ...(options.exempt ?? [])];
    for (const cidr of exempt) addExempt(this.exemptList, cidr);
    this.hasExempt = exempt.length > 0;
  }

  /** False when the rate is 0: callers skip the limiter entirely. */
  get enabled(): boolean {
    return this.rate > 0;
  }

  stats(): RrlStats {
    return { ...this.counters, entries: this.buckets.size };
  }

  /**
   * What to send to `address` instead of `response`: the response itself, a truncated copy
   * (slip), or undefined (drop). The one call the UDP send path makes. Never throws; a response
   * it cannot read is sent as is.
   */
  filter(response: Buffer, address: string, family: 4 | 6): Buffer | undefined {
    if (this.rate <= 0 || response.length < HEADER_SIZE) return response;
    try {
      return this.decide(response, address, family);
    } catch {
      return response; // an address BlockList will not parse: not ours to judge
    }
  }

  private decide(response: Buffer, address: string, family: 4 | 6): Buffer | undefined {
    if (this.hasExempt && this.exemptList.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
      this.counters.exempt++;
      return response;
    }
    const prefix = clientPrefix(address, family, this.v4Prefix, this.v6Prefix);
    if (prefix === undefined) return response;
    const account = accountOf(response);
    if (account === undefined) return response;
    this.counters.checked++;
    const verdict = this.take(`${prefix} ${account}`);
    if (verdict === 'pass') return response;
    this.counters.limited++;
    if (verdict === 'slip') {
      this.counters.slipped++;
      return truncatedCopy(response);
    }
    this.counters.dropped++;
    return undefined;
  }

  /** Spends a token of `key`'s bucket; when it is empty, says whether this limited response slips. */
  private take(key: string): 'pass' | 'slip' | 'drop' {
    const nowMs = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      bucket.tokens = Math.min(this.capacity, bucket.tokens + (Math.max(0, nowMs - bucket.updatedMs) * this.rate) / 1000);
      bucket.updatedMs = nowMs;
    } else {
      if (this.buckets.size >= this.maxEntries) {
        // Forget the least recently used bucket; one idle for a window is full anyway.
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      bucket = { tokens: this.capacity, updatedMs: nowMs, limitedCount: 0 };
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 'pass';
    }
    bucket.limitedCount++;
    return this.slip > 0 && bucket.limitedCount % this.slip === 0 ? 'slip' : 'drop';
  }
}

/** Scratch octets for the source address; the query path is single-threaded. */
const sourceBytes = new Uint8Array(16);

/** The client's network as a key (`c00002/24`); an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) counts as IPv4. */
function clientPrefix(address: string, family: 4 | 6, v4Prefix: number, v6Prefix: number): string | undefined {
  if (family === 4) return parseIPv4Into(address, sourceBytes) ? `${prefixHex(sourceBytes, v4Prefix)}/${v4Prefix}` : undefined;
  if (!parseIPv6Into(withoutZoneId(address), sourceBytes)) return undefined;
  if (isV4Mapped(sourceBytes)) return `${prefixHex(sourceBytes, v4Prefix, 12)}/${v4Prefix}`;
  return `${prefixHex(sourceBytes, v6Prefix)}/${v6Prefix}`;
}

/** The end offset of the (uncompressed) question name at HEADER_SIZE, or -1. */
function questionNameEnd(response: Buffer): number {
  let pos = HEADER_SIZE;
  for (let hops = 0; hops < 128; hops++) {
    const len = response[pos];
    if (len === undefined || len > 63) return -1;
    pos += len + 1;
    if (len === 0) return pos;
  }
  return -1;
}

/** The account a response is counted in, as a key fragment; undefined if unreadable. */
function accountOf(response: Buffer): string | undefined {
  const rcode = (response[3] ?? 0) & 0x0f;
  const qdcount = response.readUInt16BE(4);
  const ancount = response.readUInt16BE(6);
  const nscount = response.readUInt16BE(8);
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return 'error';
  if (qdcount !== 1) return 'error';
  const nameEnd = questionNameEnd(response);
  if (nameEnd < 0 || nameEnd + 4 > response.length) return undefined;
  if (rcode === Rcode.NOERROR && ancount > 0) {
    // Names are compared case-insensitively (RFC 4343); latin1 keeps one character per octet.
    const qtype = response.readUInt16BE(nameEnd);
    return `answer ${qtype} ${response.toString('latin1', HEADER_SIZE, nameEnd).toLowerCase()}`;
  }
  if (ancount === 0 && nscount > 0) {
    // The first authority record's owner: the zone apex (SOA) or the delegation point (NS).
    const owner = readName(response, nameEnd + 4);
    if (owner.ok) return `empty ${owner.labels.map((l) => l.toString('latin1').toLowerCase()).join('.')}`;
  }
  // NXDOMAIN/NODATA without an SOA (cut by truncation), or an answerless CNAME chain: per name.
  return `empty ${response.toString('latin1', HEADER_SIZE, nameEnd).toLowerCase()}`;
}

/** Header (TC set, counts but QDCOUNT zeroed) and question: what a slip sends (RFC 1035 §4.1.1 TC). */
function truncatedCopy(response: Buffer): Buffer {
  const qdcount = response.readUInt16BE(4);
  const nameEnd = qdcount === 1 ? questionNameEnd(response) : -1;
  const end = nameEnd >= 0 && nameEnd + 4 <= response.length ? nameEnd + 4 : HEADER_SIZE;
  const out = Buffer.from(response.subarray(0, end));
  out.writeUInt16BE(out.readUInt16BE(2) | Flag.TC, 2);
  out.writeUInt16BE(end > HEADER_SIZE ? 1 : 0, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
