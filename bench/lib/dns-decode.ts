/**
 * A lenient whole-message decoder for responses: tests, the presentation helper and DNS probes
 * use it. It is not on the query path (queries go through parse-query.ts).
 */
import { RRType, type Rdata } from '../../model/zone.js';
import { formatIPv4 as bytesToIpv4, formatIPv6 as bytesToIpv6 } from '../../lib/ip.js';
import { EDNS_OPTION_ECS, Flag, HEADER_SIZE, TYPE_OPT } from '../../dns/wire/constants.js';
import { readName } from '../../dns/wire/names.js';
import { labelText } from '../../zones/names.js';

export interface DecodedRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Rdata;
}

export interface DecodedEdns {
  readonly udpSize: number;
  readonly extendedRcode: number;
  readonly version: number;
  readonly dnssecOk: boolean;
  readonly options: readonly { readonly code: number; readonly data: Buffer }[];
  readonly ecs?: { readonly family: number; readonly sourcePrefix: number; readonly scopePrefix: number; readonly address: Buffer };
}

export interface DecodedMessage {
  readonly id: number;
  readonly opcode: number;
  readonly flags: {
    readonly qr: boolean;
    readonly aa: boolean;
    readonly tc: boolean;
    readonly rd: boolean;
    readonly ra: boolean;
    readonly ad: boolean;
    readonly cd: boolean;
  };
  /** Full RCODE: header bits plus the OPT extended bits. */
  readonly rcode: number;
  readonly question: readonly { readonly name: string; readonly type: number; readonly class: number }[];
  readonly answer: readonly DecodedRecord[];
  readonly authority: readonly DecodedRecord[];
  /** Additional records, the OPT pseudo-record excluded (see `edns`). */
  readonly additional: readonly DecodedRecord[];
  readonly edns?: DecodedEdns;
}

export type DecodeResult = { readonly ok: true; readonly message: DecodedMessage } | { readonly ok: false; readonly reason: string };

class DecodeFailure extends Error {}

/** Absolute presentation text of a list of wire labels, case kept; the root is `.`. */
export function labelsToText(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return '.';
  let out = '';
  for (const label of labels) out += labelText(label) + '.';
  return out;
}

function nameAt(buf: Buffer, offset: number, end = buf.length): { text: string; next: number } {
  const r = readName(buf, offset, end);
  if (!r.ok) throw new DecodeFailure(r.reason);
  return { text: labelsToText(r.labels), next: r.next };
}

function need(cond: boolean, what: string): void {
  if (!cond) throw new DecodeFailure(what);
}

function decodeRdata(buf: Buffer, type: number, start: number, end: number): Rdata {
  const data = buf.subarray(start, end);
  const exact = (n: number): void => need(data.length === n, `rdata of type ${type} must be ${n} octets`);
  const nameEnding = (at: number): string => {
    const n = nameAt(buf, at, end);
    need(n.next === end, `trailing octets in rdata of type ${type}`);
    return n.text;
  };
  switch (type) {
    case RRType.A:
      exact(4);
      return { kind: 'A', address: bytesToIpv4(data) };
    case RRType.AAAA:
      exact(16);
      return { kind: 'AAAA', address: bytesToIpv6(data) };
    case RRType.NS:
      return { kind: 'NS', host: nameEnding(start) };
    case RRType.CNAME:
      return { kind: 'CNAME', target: nameEnding(start) };
    case RRType.PTR:
      return { kind: 'PTR', target: nameEnding(start) };
    case RRType.MX:
      need(data.length >= 3, 'MX rdata too short');
      return { kind: 'MX', preference: data.readUInt16BE(0), exchange: nameEnding(start + 2) };
    case RRType.SRV:
      need(data.length >= 7, 'SRV rdata too short');
      return { kind: 'SRV', priority: data.readUInt16BE(0), weight: data.readUInt16BE(2), port: data.readUInt16BE(4), target: nameEnding(start + 6) };
    case RRType.SOA: {
      const mname = nameAt(buf, start, end);
      const rname = nameAt(buf, mname.next, end);
      need(rname.next + 20 === end, 'SOA rdata has the wrong length');
      const at = rname.next;
      return {
        kind: 'SOA',
        mname: mname.text,
        rname: rname.text,
        serial: buf.readUInt32BE(at),
        refresh: buf.readUInt32BE(at + 4),
        retry: buf.readUInt32BE(at + 8),
        expire: buf.readUInt32BE(at + 12),
        minimum: buf.readUInt32BE(at + 16),
      };
    }
    case RRType.TXT: {
      const strings: Uint8Array[] = [];
      let pos = 0;
      while (pos < data.length) {
        const len = data[pos] ?? 0;
        need(pos + 1 + len <= data.length, 'TXT string runs past the rdata');
        strings.push(Uint8Array.from(data.subarray(pos + 1, pos + 1 + len)));
        pos += 1 + len;
      }
      return { kind: 'TXT', strings };
    }
    case RRType.CAA: {
      need(data.length >= 2, 'CAA rdata too short');
      const tagLength = data[1] ?? 0;
      need(2 + tagLength <= data.length, 'CAA tag runs past the rdata');
      return { kind: 'CAA', flags: data[0] ?? 0, tag: data.subarray(2, 2 + tagLength).toString('latin1'), value: Uint8Array.from(data.subarray(2 + tagLength)) };
    }
    default:
      return { kind: 'generic', data: Uint8Array.from(data) };
  }
}

function decodeOpt(buf: Buffer, klass: number, ttl: number, start: number, end: number): DecodedEdns {
  const options: { code: number; data: Buffer }[] = [];
  let ecs: DecodedEdns['ecs'];
  let pos = start;
  while (pos < end) {
    need(pos + 4 <= end, 'EDNS option header runs past the OPT rdata');
    const code = buf.readUInt16BE(pos);
    const length = buf.readUInt16BE(pos + 2);
    need(pos + 4 + length <= end, 'EDNS option runs past the OPT rdata');
    const data = Buffer.from(buf.subarray(pos + 4, pos + 4 + length));
    options.push({ code, data });
    if (code === EDNS_OPTION_ECS && data.length >= 4) {
      ecs = { family: data.readUInt16BE(0), sourcePrefix: data[2] ?? 0, scopePrefix: data[3] ?? 0, address: data.subarray(4) };
    }
    pos += 4 + length;
  }
  const base = { udpSize: klass, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options };
  return ecs ? { ...base, ecs } : base;
}

export function decodeMessage(buf: Buffer): DecodeResult {
  try {
    need(buf.length >= HEADER_SIZE, 'shorter than a DNS header');
    const flags = buf.readUInt16BE(2);
    const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
    let pos = HEADER_SIZE;
    const question: { name: string; type: number; class: number }[] = [];
    for (let i = 0; i < counts[0]; i++) {
      const n = nameAt(buf, pos);
      need(n.next + 4 <= buf.length, 'question runs past the end');
      question.push({ name: n.text, type: buf.readUInt16BE(n.next), class: buf.readUInt16BE(n.next + 2) });
      pos = n.next + 4;
    }
    const sections: DecodedRecord[][] = [[], [], []];
    let edns: DecodedEdns | undefined;
    for (let s = 0; s < 3; s++) {
      const count = counts[s + 1] ?? 0;
      for (let i = 0; i < count; i++) {
        const n = nameAt(buf, pos);
        need(n.next + 10 <= buf.length, 'record header runs past the end');
        const type = buf.readUInt16BE(n.next);
        const klass = buf.readUInt16BE(n.next + 2);
        const ttl = buf.readUInt32BE(n.next + 4);
        const length = buf.readUInt16BE(n.next + 8);
        const start = n.next + 10;
        need(start + length <= buf.length, 'rdata runs past the end');
        if (s === 2 && type === TYPE_OPT) {
          need(edns === undefined, 'more than one OPT record');
          edns = decodeOpt(buf, klass, ttl, start, start + length);
        } else {
          sections[s]?.push({ name: n.text, type, class: klass, ttl, rdata: decodeRdata(buf, type, start, start + length) });
        }
        pos = start + length;
      }
    }
    const message: DecodedMessage = {
      id: buf.readUInt16BE(0),
      opcode: (flags >> 11) & 0xf,
      flags: {
        qr: (flags & Flag.QR) !== 0,
        aa: (flags & Flag.AA) !== 0,
        tc: (flags & Flag.TC) !== 0,
        rd: (flags & Flag.RD) !== 0,
        ra: (flags & Flag.RA) !== 0,
        ad: (flags & Flag.AD) !== 0,
        cd: (flags & Flag.CD) !== 0,
      },
      rcode: (flags & 0xf) | ((edns?.extendedRcode ?? 0) << 4),
      question,
      answer: sections[0] ?? [],
      authority: sections[1] ?? [],
      additional: sections[2] ?? [],
      ...(edns ? { edns } : {}),
    };
    return { ok: true, message };
  } catch (err) {
    if (err instanceof DecodeFailure || err instanceof RangeError) return { ok: false, reason: err.message };
    throw err;
  }
}
