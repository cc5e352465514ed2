/**
 * Response encoding: header, the question echoed as asked, the three sections with name
 * compression, the OPT record, and truncation to the requester's size.
 */
import { CLASS_IN, Flag, HEADER_SIZE, OUR_UDP_PAYLOAD, TYPE_OPT, EDNS_OPTION_ECS } from './constants.js';
import type { OutRecord, ResponseContext, ResponseMessage } from './message.js';
import { writeRdata } from './rdata.js';
import { MessageWriter } from './writer.js';

const writer = new MessageWriter();

export interface EncodedResponse {
  readonly message: Buffer;
  /** TC was set: answer and authority did not fit, or required glue was dropped. */
  readonly truncated: boolean;
  /** Additional records left out for size without setting TC. */
  readonly droppedAdditional: number;
}

function writeRecord(w: MessageWriter, rr: OutRecord): void {
  w.name(rr.owner, true);
  w.u16(rr.type);
  w.u16(CLASS_IN);
  w.u32(rr.ttl);
  const lengthAt = w.pos;
  w.u16(0);
  writeRdata(w, rr.rdata);
  const length = w.pos - lengthAt - 2;
  if (length > 0xffff) throw new Error('rdata longer than 65535 octets');
  w.patchU16(lengthAt, length);
}

function ecsOptionLength(ctx: ResponseContext): number {
  const ecs = ctx.edns?.ecs;
  return ecs ? 4 + 4 + ecs.address.length : 0;
}

function optSize(ctx: ResponseContext): number {
  // root owner (1) + type, class, ttl, rdlength (10) + options.
  return ctx.edns ? 11 + ecsOptionLength(ctx) : 0;
}

function writeOpt(w: MessageWriter, ctx: ResponseContext, rcode: number, ecsScope: number): void {
  const edns = ctx.edns;
  if (!edns) return;
  w.u8(0);
  w.u16(TYPE_OPT);
  w.u16(OUR_UDP_PAYLOAD);
  // RFC 6891 §6.1.3: EXTENDED-RCODE holds the upper 8 bits of the 12-bit RCODE; VERSION 0; DO echoed (RFC 3225 §3).
  w.u8((rcode >> 4) & 0xff);
  w.u8(0);
  w.u16(edns.dnssecOk ? 0x8000 : 0);
  const ecs = edns.ecs;
  w.u16(ecsOptionLength(ctx));
  if (ecs) {
    // RFC 7871 §7.2.1: echo FAMILY, SOURCE PREFIX-LENGTH and ADDRESS; SCOPE says how far the answer applies.
    const maxBits = ecs.family === 1 ? 32 : 128;
    w.u16(EDNS_OPTION_ECS);
    w.u16(4 + ecs.address.length);
    w.u16(ecs.family);
    w.u8(ecs.sourcePrefix);
    // A /0 query asked for no client-specific answer; its scope stays 0.
    w.u8(ecs.sourcePrefix === 0 ? 0 : Math.max(0, Math.min(ecsScope, maxBits)));
    w.bytes(ecs.address);
  }
}

/** Consecutive records with the same owner and type: the unit dropped for size. */
function rrsetRuns(records: readonly OutRecord[]): OutRecord[][] {
  const runs: OutRecord[][] = [];
  let current: OutRecord[] = [];
  for (const rr of records) {
    const head = current[0];
    if (head && (head.type !== rr.type || head.owner.toLowerCase() !== rr.owner.toLowerCase())) {
      runs.push(current);
      current = [];
    }
    current.push(rr);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/**
 * Encodes a response no larger than `maxSize` (the requester's limit over UDP, 65535 over TCP).
 * RFC 1035 §4.2.1 / RFC 2181 §9: if answer and authority do not fit, the response carries only
 * the question and OPT, with TC=1. Additional RRsets that do not fit are dropped from the end
 * without TC, unless one of them is glue the referral requires.
 */
export function encodeResponse(ctx: ResponseContext, msg: ResponseMessage, maxSize: number): EncodedResponse {
  // One writer for every response: encoding is synchronous and never re-entered.
  const w = writer;
  w.reset();
  w.pos = HEADER_SIZE;
  const q = ctx.question;
  if (q) {
    w.question(q.wire, q.name, q.labelStarts, q.wireStarts);
    w.u16(q.type);
    w.u16(q.class);
  }
  const afterQuestion = w.pos;
  const limit = maxSize - optSize(ctx);
  let truncated = false;
  let an = 0;
  let ns = 0;
  let ar = 0;
  let droppedAdditional = 0;

  for (const rr of msg.answer) writeRecord(w, rr);
  for (const rr of msg.authority) writeRecord(w, rr);
  if (w.pos > limit) {
    w.rollback(afterQuestion);
    truncated = true;
  } else {
    an = msg.answer.length;
    ns = msg.authority.length;
    const runs = rrsetRuns(msg.additional);
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i] ?? [];
      const start = w.pos;
      for (const rr of run) writeRecord(w, rr);
      if (w.pos > limit) {
        w.rollback(start);
        const dropped = runs.slice(i).flat();
        droppedAdditional = dropped.length;
        if (dropped.some((rr) => rr.requiredGlue === true)) truncated = true;
        break;
      }
      ar += run.length;
    }
  }

  if (ctx.edns) {
    writeOpt(w, ctx, msg.rcode, msg.ecsScope ?? 0);
    ar += 1;
  }

  let flags = Flag.QR | ((ctx.opcode & 0xf) << 11) | (msg.rcode & 0xf);
  if (msg.authoritative) flags |= Flag.AA;
  if (truncated) flags |= Flag.TC;
  if (ctx.recursionDesired) flags |= Flag.RD;
  // RFC 4035 §3.1.6 asks for CD to be copied; RA stays 0: we never recurse.
  if (ctx.checkingDisabled) flags |= Flag.CD;
  w.patchU16(0, ctx.id);
  w.patchU16(2, flags);
  w.patchU16(4, q ? 1 : 0);
  w.patchU16(6, an);
  w.patchU16(8, ns);
  w.patchU16(10, ar);
  return { message: w.finish(), truncated, droppedAdditional };
}
