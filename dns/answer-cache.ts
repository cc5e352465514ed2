/**
 * Answers encoded in advance for the UDP fast path: the answer section of every variant of a
 * pool's current plan, and of every static A/AAAA RRset, as wire bytes. Each record is what the
 * full path's encoder writes for an A/AAAA answer to the question: the owner as a pointer to the
 * question name (0xC00C, RFC 1035 §4.1.4), TYPE, CLASS IN, the TTL, RDLENGTH and the address.
 * test/unit/dns/fast-path-equality.test.ts holds both paths to the same bytes.
 *
 * Encodings are kept per Pool / RRset object (WeakMap): a zone reload makes new objects (new
 * encodings), a health change makes a new plan for the affected pools only, and a new plan whose
 * variant lists are unchanged keeps the bytes it had.
 */
import type { AnswerPlan } from '../balance/types.js';
import type { Pool, Rdata, RRset } from '../model/zone.js';
import { ipv4Bytes, ipv6Bytes } from '../lib/ip.js';
import { CLASS_IN, HEADER_SIZE } from './wire/constants.js';

/**
 * Pre-encoded answer sections, one per variant (a static RRset has one), back to back in one
 * buffer: variant v is bytes[starts[v], starts[v + 1]). Offsets rather than a Buffer per variant:
 * a pool's encoding is kept for as long as its plan, for every pool answered.
 */
export interface EncodedAnswers {
  readonly bytes: Buffer;
  /** Where each variant's section starts in `bytes`, and one more: where the last one ends. */
  readonly starts: readonly number[];
  /** ANCOUNT per variant. */
  readonly counts: readonly number[];
  /** The longest section: if the query's size limit admits it, it admits any variant. */
  readonly maxLength: number;
}

export interface AnswerCacheStats {
  /** Pool plans encoded (first use, or a plan whose variants changed). */
  poolEncodes: number;
  /** Static RRsets encoded. */
  staticEncodes: number;
}

type AnswerPlanOf = AnswerPlan & { kind: 'answer' };

interface PoolAnswers {
  plan: AnswerPlanOf;
  readonly variants: readonly (readonly number[])[];
  readonly ttls: readonly number[] | undefined;
  /** undefined: some member cannot be written here (the full path answers). */
  readonly encoded: EncodedAnswers | undefined;
}

/** The question name sits right after the header: every answer owner points there. */
const OWNER_POINTER = 0xc000 | HEADER_SIZE;

function rdataBytes(rdata: Rdata): Uint8Array | undefined {
  switch (rdata.kind) {
    case 'A':
      return ipv4Bytes(rdata.address);
    case 'AAAA':
      return ipv6Bytes(rdata.address);
    case 'generic':
      return rdata.data;
    default:
      return undefined;
  }
}

/** One answer record in wire form, or undefined when its rdata is not an address we can write. */
function recordBytes(type: number, ttl: number, rdata: Rdata): Buffer | undefined {
  const data = rdataBytes(rdata);
  if (!data || data.length > 0xffff) return undefined;
  return answerRecord(type, ttl, data);
}

/** One record whose owner is the question's name (a compression pointer to it), class IN. */
export function answerRecord(type: number, ttl: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt16BE(OWNER_POINTER, 0);
  out.writeUInt16BE(type, 2);
  out.writeUInt16BE(CLASS_IN, 4);
  out.writeUInt32BE(ttl >>> 0, 6);
  out.writeUInt16BE(data.length, 10);
  out.set(data, 12);
  return out;
}

const ARENA_CHUNK = 64 * 1024;

/**
 * Long-lived answer bytes come from chunks of their own: slices of Node's shared 8 KB pool would
 * each keep a whole pool slab (and the short-lived responses in it) alive for as long as the zone.
 */
class Arena {
  private chunk = Buffer.allocUnsafeSlow(ARENA_CHUNK);
  private at = 0;

  take(size: number): Buffer {
    if (size > ARENA_CHUNK / 4) return Buffer.allocUnsafeSlow(size);
    if (this.at + size > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(ARENA_CHUNK);
      this.at = 0;
    }
    const out = this.chunk.subarray(this.at, this.at + size);
    this.at += size;
    return out;
  }
}

/** Sections made of `records` picked by each variant's indices, in one backing buffer. */
function pack(arena: Arena, records: readonly (Buffer | undefined)[], variants: readonly (readonly number[])[]): EncodedAnswers | undefined {
  let total = 0;
  for (const variant of variants) {
    for (const i of variant) {
      const r = records[i];
      if (!r) return undefined;
      total += r.length;
    }
  }
  const bytes = arena.take(total);
  const starts = new Array<number>(variants.length + 1);
  const counts = new Array<number>(variants.length);
  let at = 0;
  let maxLength = 0;
  for (let v = 0; v < variants.length; v++) {
    const variant = variants[v] as readonly number[];
    const start = at;
    starts[v] = start;
    for (const i of variant) at += (records[i] as Buffer).copy(bytes, at);
    counts[v] = variant.length;
    maxLength = Math.max(maxLength, at - start);
  }
  starts[variants.length] = at;
  return { bytes, starts, counts, maxLength };
}

/** Variant v's answer section (a view, no copy), or undefined past the last variant. */
export function sectionOf(answers: EncodedAnswers, v: number): Buffer | undefined {
  const start = answers.starts[v];
  const end = answers.starts[v + 1];
  return start === undefined || end === undefined ? undefined : answers.bytes.subarray(start, end);
}

function sameTtls(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameVariants(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let v = 0; v < a.length; v++) {
    const x = a[v];
    const y = b[v];
    if (!x || !y || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

export class AnswerCache {
  readonly stats: AnswerCacheStats = { poolEncodes: 0, staticEncodes: 0 };
  private readonly pools = new WeakMap<Pool, PoolAnswers>();
  private readonly rrsets = new WeakMap<RRset, EncodedAnswers | undefined>();
  private readonly arena = new Arena();

  /**
   * The encoded variants of `plan` (an `answer` plan of `pool`), as respond.ts answers a pool:
   * the members of the variant in its order, the pool's TTL. Re-encodes only when the plan's
   * variant lists differ from the ones encoded last for this pool. Undefined: not encodable here.
   */
  forPool(pool: Pool, plan: AnswerPlanOf): EncodedAnswers | undefined {
    const cached = this.pools.get(pool);
    if (cached) {
      if (cached.plan === plan) return cached.encoded;
      if (sameVariants(cached.variants, plan.variants) && sameTtls(cached.ttls, plan.ttls)) {
        cached.plan = plan;
        return cached.encoded;
      }
    }
    const encoded = plan.ttls === undefined ? this.encodePool(pool, plan.variants) : this.encodeWithTtls(pool, plan.variants, plan.ttls);
    this.stats.poolEncodes++;
    this.pools.set(pool, { plan, variants: plan.variants, ttls: plan.ttls, encoded });
    return encoded;
  }

  private encodePool(pool: Pool, variants: readonly (readonly number[])[]): EncodedAnswers | undefined {
    const records = pool.members.map((m) => recordBytes(pool.type, pool.ttl, m.record.rdata));
    return pack(this.arena, records, variants);
  }

  /** Variants with a TTL each (skew correction's TTL buckets): one record per (TTL, member). */
  private encodeWithTtls(pool: Pool, variants: readonly (readonly number[])[], ttls: readonly number[]): EncodedAnswers | undefined {
    const distinct = [...new Set(ttls)];
    const size = pool.members.length;
    const records: (Buffer | undefined)[] = [];
    for (const ttl of distinct) for (const m of pool.members) records.push(recordBytes(pool.type, ttl, m.record.rdata));
    const mapped = variants.map((variant, v) => {
      const j = distinct.indexOf(ttls[v] ?? pool.ttl);
      return variant.map((i) => (j < 0 ? -1 : j * size + i));
    });
    return pack(this.arena, records, mapped);
  }

  /** The encoded answer of a static RRset (respond.ts: every record in zone order, the RRset's TTL). */
  forRRset(rrset: RRset): EncodedAnswers | undefined {
    if (this.rrsets.has(rrset)) return this.rrsets.get(rrset);
    const records = rrset.records.map((rr) => recordBytes(rr.type, rrset.ttl, rr.rdata));
    const encoded = pack(this.arena, records, [records.map((_, i) => i)]);
    this.stats.staticEncodes++;
    this.rrsets.set(rrset, encoded);
    return encoded;
  }
}
