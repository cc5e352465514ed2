/**
 * Strict query parsing. Never throws: every datagram becomes a query, a reject (answered with an
 * error RCODE echoing the header ID, and the question when it could be read) or a drop.
 */
import { EDNS_OPTION_ECS, Flag, HEADER_SIZE, MIN_UDP_PAYLOAD, Opcode, Rcode, TYPE_OPT } from './constants.js';
import type { ClientSubnet, EdnsInfo, ParsedQuery, QueryMessage, Question } from './message.js';
import { readName, readQuestionName } from './names.js';

/** Big-endian 16-bit read without Buffer's argument validation (callers check bounds). */
function u16(buf: Buffer, at: number): number {
  return ((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0);
}

function u32(buf: Buffer, at: number): number {
  return ((u16(buf, at) << 16) >>> 0) + u16(buf, at + 2);
}

type Step<T> = { ok: true; value: T; next: number } | { ok: false; reason: string };

function readQuestion(buf: Buffer, offset: number): Step<Question> {
  const name = readQuestionName(buf, offset);
  if (!name.ok) return { ok: false, reason: `question name: ${name.reason}` };
  if (name.next + 4 > buf.length) return { ok: false, reason: 'question runs past the end of the message' };
  return {
    ok: true,
    value: {
      wire: name.wire,
      wireStarts: name.wireStarts,
      name: name.lower,
      display: name.display,
      labelStarts: name.textStarts,
      type: u16(buf, name.next),
      class: u16(buf, name.next + 2),
    },
    next: name.next + 4,
  };
}

interface RawRecord {
  readonly isRoot: boolean;
  readonly type: number;
  readonly klass: number;
  readonly ttl: number;
  readonly rdataStart: number;
  readonly rdataEnd: number;
}

function readRecord(buf: Buffer, offset: number): Step<RawRecord> {
  const name = readName(buf, offset);
  if (!name.ok) return { ok: false, reason: `record owner: ${name.reason}` };
  const at = name.next;
  if (at + 10 > buf.length) return { ok: false, reason: 'record header runs past the end of the message' };
  const rdlength = u16(buf, at + 8);
  const rdataStart = at + 10;
  const rdataEnd = rdataStart + rdlength;
  if (rdataEnd > buf.length) return { ok: false, reason: 'rdata runs past the end of the message' };
  return {
    ok: true,
    value: {
      isRoot: name.labels.length === 0,
      type: u16(buf, at),
      klass: u16(buf, at + 2),
      ttl: u32(buf, at + 4),
      rdataStart,
      rdataEnd,
    },
    next: rdataEnd,
  };
}

/** RFC 7871 §6: FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH, ADDRESS (only the prefix octets). */
function readClientSubnet(data: Buffer): { ok: true; ecs: ClientSubnet } | { ok: false; reason: string } {
  if (data.length < 4) return { ok: false, reason: 'ECS option shorter than 4 octets' };
  const family = u16(data, 0);
  if (family !== 1 && family !== 2) return { ok: false, reason: `ECS family ${family} unknown` };
  const sourcePrefix = data[2] ?? 0;
  const scopePrefix = data[3] ?? 0;
  const maxBits = family === 1 ? 32 : 128;
  if (sourcePrefix > maxBits) return { ok: false, reason: `ECS source prefix ${sourcePrefix} too long` };
  const address = data.subarray(4);
  // §6: ADDRESS MUST be truncated to the number of octets the prefix needs...
  if (address.length !== Math.ceil(sourcePrefix / 8)) return { ok: false, reason: 'ECS address length does not match the source prefix' };
  // ...and §7.1.2: bits beyond the prefix must be zero, else FORMERR.
  const spare = address.length * 8 - sourcePrefix;
  if (spare > 0) {
    const last = address[address.length - 1] ?? 0;
    if ((last & ((1 << spare) - 1)) !== 0) return { ok: false, reason: 'ECS address has bits set beyond the source prefix' };
  }
  return { ok: true, ecs: { family, sourcePrefix, scopePrefix, address: Buffer.from(address) } };
}

type OptResult = { ok: true; edns: EdnsInfo; badVersion: boolean } | { ok: false; reason: string };

function readOpt(buf: Buffer, rr: RawRecord): OptResult {
  // RFC 6891 §6.1.2: the OPT owner MUST be the root.
  if (!rr.isRoot) return { ok: false, reason: 'OPT owner is not the root' };
  const version = (rr.ttl >>> 16) & 0xff;
  const dnssecOk = (rr.ttl & 0x8000) !== 0;
  const udpSize = Math.max(rr.klass, MIN_UDP_PAYLOAD);
  let ecs: ClientSubnet | undefined;
  let pos = rr.rdataStart;
  while (pos < rr.rdataEnd) {
    if (pos + 4 > rr.rdataEnd) return { ok: false, reason: 'EDNS option header runs past the OPT rdata' };
    const code = u16(buf, pos);
    const length = u16(buf, pos + 2);
    const start = pos + 4;
    if (start + length > rr.rdataEnd) return { ok: false, reason: 'EDNS option runs past the OPT rdata' };
    if (code === EDNS_OPTION_ECS) {
      // RFC 7871 §7.1.2 (one option per query).
      if (ecs) return { ok: false, reason: 'more than one ECS option' };
      const parsed = readClientSubnet(buf.subarray(start, start + length));
      if (!parsed.ok) return parsed;
      ecs = parsed.ecs;
    }
    pos = start + length;
  }
  const edns: EdnsInfo = ecs ? { udpSize, version, dnssecOk, ecs } : { udpSize, version, dnssecOk };
  return { ok: true, edns, badVersion: version > 0 };
}

type Head = { readonly id: number; readonly opcode: number; readonly recursionDesired: boolean; readonly checkingDisabled: boolean };

function rejectWith(head: Head, rcode: number, reason: string, question?: Question, edns?: EdnsInfo): ParsedQuery {
  const { id, opcode, recursionDesired, checkingDisabled } = head;
  if (question === undefined) return { kind: 'reject', rcode, reason, id, opcode, recursionDesired, checkingDisabled };
  if (edns === undefined) return { kind: 'reject', rcode, reason, id, opcode, recursionDesired, checkingDisabled, question };
  return { kind: 'reject', rcode, reason, id, opcode, recursionDesired, checkingDisabled, question, edns };
}

export function parseQuery(buf: Buffer): ParsedQuery {
  // Too short to hold a header: there is no ID to echo.
  if (buf.length < HEADER_SIZE) return { kind: 'drop', reason: 'shorter than a DNS header' };
  const flags = u16(buf, 2);
  // Never answer a response: that is how reflection loops start.
  if ((flags & Flag.QR) !== 0) return { kind: 'drop', reason: 'QR bit set' };
  const id = u16(buf, 0);
  const opcode = (flags >> 11) & 0xf;
  const recursionDesired = (flags & Flag.RD) !== 0;
  const checkingDisabled = (flags & Flag.CD) !== 0;
  const qdcount = u16(buf, 4);
  const ancount = u16(buf, 6);
  const nscount = u16(buf, 8);
  const arcount = u16(buf, 10);
  const head: Head = { id, opcode, recursionDesired, checkingDisabled };

  const q = qdcount === 1 ? readQuestion(buf, HEADER_SIZE) : undefined;
  if (opcode !== Opcode.QUERY) return rejectWith(head, Rcode.NOTIMP, `opcode ${opcode} not implemented`, q?.ok ? q.value : undefined);
  if (!q) return rejectWith(head, Rcode.FORMERR, `QDCOUNT is ${qdcount}, not 1`);
  if (!q.ok) return rejectWith(head, Rcode.FORMERR, q.reason);
  const question = q.value;
  if (question.type === TYPE_OPT) return rejectWith(head, Rcode.FORMERR, 'OPT is not a question type', question);

  let pos = q.next;
  // Answer and authority are not used in a QUERY, but must be well formed to reach the OPT record.
  for (let i = 0; i < ancount + nscount; i++) {
    const rr = readRecord(buf, pos);
    if (!rr.ok) return rejectWith(head, Rcode.FORMERR, rr.reason, question);
    if (rr.value.type === TYPE_OPT) return rejectWith(head, Rcode.FORMERR, 'OPT outside the additional section', question);
    pos = rr.next;
  }
  let edns: EdnsInfo | undefined;
  let badVersion = false;
  for (let i = 0; i < arcount; i++) {
    const rr = readRecord(buf, pos);
    if (!rr.ok) return rejectWith(head, Rcode.FORMERR, rr.reason, question);
    pos = rr.next;
    if (rr.value.type !== TYPE_OPT) continue;
    // RFC 6891 §6.1.1: more than one OPT is a FORMERR.
    if (edns) return rejectWith(head, Rcode.FORMERR, 'more than one OPT record', question);
    const opt = readOpt(buf, rr.value);
    if (!opt.ok) return rejectWith(head, Rcode.FORMERR, opt.reason, question);
    edns = opt.edns;
    badVersion = opt.badVersion;
  }
  if (pos !== buf.length) return rejectWith(head, Rcode.FORMERR, 'trailing octets after the last record', question);
  if (edns && badVersion) {
    // RFC 6891 §6.1.3: an unsupported VERSION gets BADVERS, with our OPT saying version 0.
    const plain: EdnsInfo = { udpSize: edns.udpSize, version: edns.version, dnssecOk: edns.dnssecOk };
    return rejectWith(head, Rcode.BADVERS, `EDNS version ${edns.version} not supported`, question, plain);
  }
  const query: QueryMessage = edns
    ? { id, opcode, recursionDesired, checkingDisabled, question, edns }
    : { id, opcode, recursionDesired, checkingDisabled, question };
  return { kind: 'query', query };
}
