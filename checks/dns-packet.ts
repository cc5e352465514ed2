/** The little of the DNS wire format the dns check needs: one query out, one response header in (RFC 1035 §4.1). */
import { RRType } from '../model/zone.js';

/** RFC 1035 §4.1.1 and RFC 6895 §2.3 response codes, by mnemonic. */
export const RCODES: Readonly<Record<string, number>> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
};

/** An rcode written as a mnemonic (`NXDOMAIN`) or a number (`3`); undefined when unknown. */
export function rcodeValue(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  if (/^\d+$/.test(upper)) {
    const n = Number(upper);
    return n <= 15 ? n : undefined;
  }
  return RCODES[upper];
}

export function rcodeName(value: number): string {
  return Object.keys(RCODES).find((name) => RCODES[name] === value) ?? `RCODE${value}`;
}

/** A query type written as a mnemonic (`AAAA`) or `TYPEnnn` (RFC 3597 §5); undefined when unknown. */
export function qtypeValue(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  const generic = /^TYPE(\d+)$/.exec(upper);
  if (generic) {
    const n = Number(generic[1]);
    return n <= 0xffff ? n : undefined;
  }
  return Object.hasOwn(RRType, upper) ? RRType[upper as keyof typeof RRType] : undefined;
}

/** The wire form of a domain name (RFC 1035 §3.1); throws RangeError on an over-long label or name. */
export function encodeName(name: string): Buffer {
  const labels = name.split('.').filter((label) => label !== '');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length > 63) throw new RangeError(`label "${label}" is longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new RangeError(`name "${name}" is longer than 255 bytes`);
  return wire;
}

/** One question, class IN, RD clear (the checked server is expected to be authoritative). */
export function buildQuery(id: number, qname: string, qtype: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0, 2); // QR=0, OPCODE=QUERY, RD=0
  header.writeUInt16BE(1, 4); // QDCOUNT
  const question = Buffer.alloc(4);
  question.writeUInt16BE(qtype, 0);
  question.writeUInt16BE(1, 2); // CLASS IN
  return Buffer.concat([header, encodeName(qname), question]);
}

export interface ResponseHeader {
  readonly id: number;
  readonly isResponse: boolean;
  readonly rcode: number;
}

/** The header fields the check judges, or undefined for a datagram shorter than a header. */
export function parseResponseHeader(message: Buffer): ResponseHeader | undefined {
  if (message.length < 12) return undefined;
  const flags = message.readUInt16BE(2);
  return { id: message.readUInt16BE(0), isResponse: (flags & 0x8000) !== 0, rcode: flags & 0x000f };
}
