/**
 * The fast path's signed variants: for a DO=1 query, each variant's answer section is the
 * unsigned one (the same records, in the same order) followed by the RRSIGs of its RRset, the
 * owner a pointer to the question name. Made from the signatures the ZoneSigner keeps (made when
 * the plan was built); encoded again only when the plan or a signature changed (`generation`).
 * The full path writes the same bytes for the same query (test/unit/dns/sign/fast-signed.test.ts).
 */
import type { AnswerPlan } from '../../balance/types.js';
import type { Pool, RRset } from '../../model/zone.js';
import { answerRecord as record, type EncodedAnswers } from '../answer-cache.js';
import { canonicalRdata } from './canonical.js';
import { TYPE_RRSIG } from './records.js';
import type { SigEntry, ZoneSigner } from './zone-signer.js';

type AnswerPlanOf = AnswerPlan & { kind: 'answer' };

function section(records: readonly Buffer[], type: number, ttl: number, entry: SigEntry): { bytes: Buffer; count: number } {
  const parts = [...records];
  for (const sig of entry.sigs) parts.push(record(TYPE_RRSIG, ttl, sig));
  return { bytes: Buffer.concat(parts), count: parts.length };
}

function encoded(sections: { bytes: Buffer; count: number }[]): EncodedAnswers {
  const starts = [0];
  for (const s of sections) starts.push((starts[starts.length - 1] ?? 0) + s.bytes.length);
  return {
    bytes: Buffer.concat(sections.map((s) => s.bytes)),
    starts,
    counts: sections.map((s) => s.count),
    maxLength: Math.max(0, ...sections.map((s) => s.bytes.length)),
  };
}

interface PoolSigned {
  readonly plan: AnswerPlanOf;
  readonly signer: ZoneSigner;
  readonly generation: number;
  readonly answers: EncodedAnswers | undefined;
}

interface RRsetSigned {
  readonly signer: ZoneSigner;
  readonly generation: number;
  readonly answers: EncodedAnswers | undefined;
}

function addressRecord(type: number, ttl: number, rdata: Parameters<typeof canonicalRdata>[0]): Buffer | undefined {
  if (rdata.kind !== 'A' && rdata.kind !== 'AAAA' && rdata.kind !== 'generic') return undefined;
  return record(type, ttl, canonicalRdata(rdata));
}

export class SignedAnswers {
  private readonly pools = new WeakMap<Pool, PoolSigned>();
  private readonly rrsets = new WeakMap<RRset, RRsetSigned>();

  forPool(pool: Pool, plan: AnswerPlanOf, signer: ZoneSigner): EncodedAnswers | undefined {
    const cached = this.pools.get(pool);
    if (cached && cached.plan === plan && cached.signer === signer && cached.generation === signer.generation) return cached.answers;
    const records = pool.members.map((m) => addressRecord(pool.type, pool.ttl, m.record.rdata));
    let answers: EncodedAnswers | undefined;
    if (records.every((r) => r !== undefined)) {
      answers = encoded(plan.variants.map((v) => section(v.map((i) => records[i]!), pool.type, pool.ttl, signer.forPoolMembers(pool, v))));
    }
    this.pools.set(pool, { plan, signer, generation: signer.generation, answers });
    return answers;
  }

  forRRset(rrset: RRset, signer: ZoneSigner): EncodedAnswers | undefined {
    const cached = this.rrsets.get(rrset);
    if (cached && cached.signer === signer && cached.generation === signer.generation) return cached.answers;
    const records = rrset.records.map((rr) => addressRecord(rr.type, rrset.ttl, rr.rdata));
    const answers = records.every((r) => r !== undefined) ? encoded([section(records as Buffer[], rrset.type, rrset.ttl, signer.forRRset(rrset))]) : undefined;
    this.rrsets.set(rrset, { signer, generation: signer.generation, answers });
    return answers;
  }
}
