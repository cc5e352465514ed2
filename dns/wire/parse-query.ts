/**
 * Strict query parsing. Never throws: every datagram becomes a query, a reject (answered with an
 * error RCODE echoing the header ID, and the question when it could be read) or a drop.
 */
import { EDNS_OPTION_ECS, Flag, HEADER_SIZE, MIN_UDP_PAYLOAD, Opcode, Rcode, TYPE_OPT } from './constants.js';
import type { ClientSubnet, EdnsInfo, ParsedQuery, Question } from './message.js';
import { labelToText, lowerName, readName } from './names.js';

type Step<T> = { ok: true; value: T; next: number } | { ok: false; reason: string };

function readQuestion(buf: Buffer, offset: number): Step<Question> {
  const name = readName(buf, offset);
  if (!name.ok) return { ok: false, reason: `question name: ${name.reason}` };
  if (name.next + 4 > buf.length) return { ok: false, reason: 'question runs past the end of the message' };
  const labelStarts: number[] = [];
  let display = '';
  for (const label of name.labels) {
    labelStarts.push(display.length);
    display += labelToText(label) + '.';
  }
  if (display === '') display = '.';
  return {
    ok: true,
    value: {
      labels: name.labels,
      name: lowerName(display),
      display,
      labelStarts,
      type: buf.readUInt16BE(name.next),
      class: buf.readUInt16BE(name.next + 2),
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
  const rdlength = buf.readUInt16BE(at + 8);
  const rdataStart = at + 10;
  const rdataEnd = rdataStart + rdlength;
  if (rdataEnd > buf.length) return { ok: false, reason: 'rdata runs past the end of the message' };
  return {
    ok: true,
    value: {
      isRoot: name.labels.length === 0,
      type: buf.readUInt16BE(at),
      klass: buf.readUInt16BE(at + 2),
      ttl: buf.readUInt32BE(at + 4),
      rdataStart,
      rdataEnd,
    },
    next: rdataEnd,
  };
}

/** RFC 7871 §6: FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH, ADDRESS (only the prefix octets). */
function readClientSubnet(data: Buffer): { ok: true; ecs: ClientSubnet } | { ok: false; reason: string } {
  if (data.length < 4) return { ok: false, reason: 'ECS option shorter than 4 octets' };
  const family = data.readUInt16BE(0);
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
    const code = buf.readUInt16BE(pos);
    const length = buf.readUInt16BE(pos + 2);
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

export function parseQuery(buf: Buffer): ParsedQuery {
  // Too short to hold a header: there is no ID to echo.
  if (buf.length < HEADER_SIZE) return { kind: 'drop', reason: 'shorter than a DNS header' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  // Never answer a response: that is how reflection loops start.
  if ((flags & Flag.QR) !== 0) return { kind: 'drop', reason: 'QR bit set' };
  const opcode = (flags >> 11) & 0xf;
  const recursionDesired = (flags & Flag.RD) !== 0;
  const checkingDisabled = (flags & Flag.CD) !== 0;
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  const nscount = buf.readUInt16BE(8);
  const arcount = buf.readUInt16BE(10);
  const head = { id, opcode, recursionDesired, checkingDisabled };

  const q = qdcount === 1 ? readQuestion(buf, HEADER_SIZE) : undefined;
  if (opcode !== Opcode.QUERY) {
    const reason = `opcode ${opcode} not implemented`;
    return q?.ok ? { kind: 'reject', rcode: Rcode.NOTIMP, reason, ...head, question: q.value } : { kind: 'reject', rcode: Rcode.NOTIMP, reason, ...head };
  }
  if (!q) return { kind: 'reject', rcode: Rcode.FORMERR, reason: `QDCOUNT is ${qdcount}, not 1`, ...head };
  if (!q.ok) return { kind: 'reject', rcode: Rcode.FORMERR, reason: q.reason, ...head };
  const question = q.value;
  const formerr = (reason: string): ParsedQuery => ({ kind: 'reject', rcode: Rcode.FORMERR, reason, ...head, question });
  if (question.type === TYPE_OPT) return formerr('OPT is not a question type');

  let pos = q.next;
  // Answer and authority are not used in a QUERY, but must be well formed to reach the OPT record.
  for (let i = 0; i < ancount + nscount; i++) {
    const rr = readRecord(buf, pos);
    if (!rr.ok) return formerr(rr.reason);
    if (rr.value.type === TYPE_OPT) return formerr('OPT outside the additional section');
    pos = rr.next;
  }
  let opt: OptResult | undefined;
  for (let i = 0; i < arcount; i++) {
    const rr = readRecord(buf, pos);
    if (!rr.ok) return formerr(rr.reason);
    pos = rr.next;
    if (rr.value.type !== TYPE_OPT) continue;
    // RFC 6891 §6.1.1: more than one OPT is a FORMERR.
    if (opt) return formerr('more than one OPT record');
    opt = readOpt(buf, rr.value);
    if (!opt.ok) return formerr(opt.reason);
  }
  if (pos !== buf.length) return formerr('trailing octets after the last record');
  if (opt?.ok && opt.badVersion) {
    // RFC 6891 §6.1.3: an unsupported VERSION gets BADVERS, with our OPT saying version 0.
    const { ecs: _ecs, ...edns } = opt.edns;
    return { kind: 'reject', rcode: Rcode.BADVERS, reason: `EDNS version ${opt.edns.version} not supported`, ...head, question, edns };
  }
  const query = opt?.ok ? { ...head, question, edns: opt.edns } : { ...head, question };
  return { kind: 'query', query };
}
