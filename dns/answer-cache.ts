/**
 * Answers encoded in advance for the UDP fast path: the answer section of every variant of a
 * pool's current plan, and of every static A/AAAA RRset, as wire bytes whose owner is a pointer
 * to the question (0xC00C). The fast path copies one of them behind the query's own question.
 *
 * The bytes are made by the full path's encoder (encodeResponse) from the same records respond.ts
 * would answer, so both paths agree by construction; the fast-path equality test checks it.
 * Encodings are kept per Pool / RRset object (WeakMap): a zone reload makes new objects (new
 * encodings), a health change makes a new plan for the affected pools only, and an unchanged
 * variant list keeps its bytes even then.
 */
import type { AnswerPlan } from '../balance/types.js';
import type { Pool, RRset } from '../zones/types.js';
import { CLASS_IN, HEADER_SIZE, MAX_TCP_MESSAGE, Rcode } from './wire/constants.js';
import { encodeResponse } from './wire/encode.js';
import type { OutRecord } from './wire/message.js';
import { parseQuery } from './wire/parse-query.js';

/** Pre-encoded answer sections, one per variant (a static RRset has one). */
export interface EncodedAnswers {
  /** Answer-section bytes per variant. */
  readonly sections: readonly Buffer[];
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

interface PoolAnswers {
  plan: AnswerPlan;
  variants: readonly (readonly number[])[];
  encoded: EncodedAnswers;
}

/** The answer-section bytes of `records` as answers to `name` (lowercase absolute wire form). */
function encodeSection(nameWire: Uint8Array, qtype: number, records: readonly OutRecord[]): { bytes: Buffer; count: number } {
  // A minimal query for the name, parsed and answered by the full path's own codec.
  const query = Buffer.alloc(HEADER_SIZE + nameWire.length + 4);
  query[5] = 1; // QDCOUNT
  query.set(nameWire, HEADER_SIZE);
  query.writeUInt16BE(qtype, HEADER_SIZE + nameWire.length);
  query.writeUInt16BE(CLASS_IN, HEADER_SIZE + nameWire.length + 2);
  const parsed = parseQuery(query);
  if (parsed.kind !== 'query') throw new Error(`cannot pre-encode answers: ${parsed.kind === 'reject' ? parsed.reason : parsed.reason}`);
  const encoded = encodeResponse(parsed.query, { rcode: Rcode.NOERROR, authoritative: true, answer: records, authority: [], additional: [] }, MAX_TCP_MESSAGE);
  return { bytes: Buffer.from(encoded.message.subarray(query.length)), count: records.length };
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

function pack(parts: readonly { bytes: Buffer; count: number }[]): EncodedAnswers {
  let maxLength = 0;
  for (const p of parts) maxLength = Math.max(maxLength, p.bytes.length);
  return { sections: parts.map((p) => p.bytes), counts: parts.map((p) => p.count), maxLength };
}

export class AnswerCache {
  readonly stats: AnswerCacheStats = { poolEncodes: 0, staticEncodes: 0 };
  private readonly pools = new WeakMap<Pool, PoolAnswers>();
  private readonly rrsets = new WeakMap<RRset, EncodedAnswers>();

  /**
   * The encoded variants of `plan` (an `answer` plan of `pool`). Re-encodes only when the plan's
   * variant lists differ from the ones encoded last for this pool.
   */
  forPool(pool: Pool, plan: AnswerPlan & { kind: 'answer' }, nameWire: Uint8Array): EncodedAnswers {
    const cached = this.pools.get(pool);
    if (cached) {
      if (cached.plan === plan) return cached.encoded;
      if (sameVariants(cached.variants, plan.variants)) {
        cached.plan = plan;
        return cached.encoded;
      }
    }
    const owner = pool.display;
    const encoded = pack(
      plan.variants.map((variant) => {
        const records: OutRecord[] = [];
        for (const i of variant) {
          const member = pool.members[i];
          if (member) records.push({ owner, type: pool.type, ttl: pool.ttl, rdata: member.record.rdata });
        }
        return encodeSection(nameWire, pool.type, records);
      }),
    );
    this.stats.poolEncodes++;
    this.pools.set(pool, { plan, variants: plan.variants, encoded });
    return encoded;
  }

  /** The encoded answer of a static RRset (respond.ts: every record, the RRset's TTL, zone order). */
  forRRset(rrset: RRset, nameWire: Uint8Array): EncodedAnswers {
    let encoded = this.rrsets.get(rrset);
    if (!encoded) {
      const records = rrset.records.map((rr): OutRecord => ({ owner: rrset.display, type: rr.type, ttl: rrset.ttl, rdata: rr.rdata }));
      encoded = pack([encodeSection(nameWire, rrset.type, records)]);
      this.stats.staticEncodes++;
      this.rrsets.set(rrset, encoded);
    }
    return encoded;
  }
}
