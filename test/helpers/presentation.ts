/**
 * Messages in presentation text, one record per line as dig prints them
 * (`www.example.test. 20 IN A 192.0.2.10`), so tests compare our answers with dig's and peers'.
 */
import type { Rdata } from '../../model/zone.js';
import { CLASS_IN } from '../../dns/wire/constants.js';
import { rcodeName as rcodeMnemonic } from '../../model/rcode.js';
import { decodeMessage, type DecodedMessage, type DecodedRecord } from '../../bench/lib/dns-decode.js';
import { formatRdata as formatZoneRdata } from './zone-present.js';

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  251: 'IXFR',
  252: 'AXFR',
  255: 'ANY',
  257: 'CAA',
};

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

export function rcodeName(rcode: number): string {
  return rcodeMnemonic(rcode) ?? `RCODE${rcode}`;
}

/** Rdata as dig prints it (RFC 3597 hex in uppercase). */
export function formatRdata(rdata: Rdata): string {
  return formatZoneRdata(rdata, { upperHex: true });
}

export function formatDecodedRecord(rr: DecodedRecord): string {
  const klass = rr.class === CLASS_IN ? 'IN' : `CLASS${rr.class}`;
  return `${rr.name} ${rr.ttl} ${klass} ${typeName(rr.type)} ${formatRdata(rr.rdata)}`;
}

export interface PresentedMessage {
  readonly rcode: string;
  /** dig's flag words in dig's order: `qr aa tc rd ra ad cd`. */
  readonly flags: readonly string[];
  readonly question: readonly string[];
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  readonly edns?: { readonly version: number; readonly udpSize: number; readonly dnssecOk: boolean; readonly ecs?: string };
  readonly message: DecodedMessage;
}

/** Decodes a response and renders it as dig would; throws when the bytes are not a DNS message. */
export function presentMessage(buf: Buffer): PresentedMessage {
  const decoded = decodeMessage(buf);
  if (!decoded.ok) throw new Error(`not a DNS message: ${decoded.reason}`);
  const m = decoded.message;
  const flags = (['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const).filter((f) => m.flags[f]);
  const ecs = m.edns?.ecs;
  return {
    rcode: rcodeName(m.rcode),
    flags,
    question: m.question.map((q) => `${q.name} ${q.class === CLASS_IN ? 'IN' : `CLASS${q.class}`} ${typeName(q.type)}`),
    answer: m.answer.map(formatDecodedRecord),
    authority: m.authority.map(formatDecodedRecord),
    additional: m.additional.map(formatDecodedRecord),
    ...(m.edns
      ? {
          edns: {
            version: m.edns.version,
            udpSize: m.edns.udpSize,
            dnssecOk: m.edns.dnssecOk,
            ...(ecs ? { ecs: `${ecs.family}/${ecs.sourcePrefix}/${ecs.scopePrefix}/${ecs.address.toString('hex')}` } : {}),
          },
        }
      : {}),
    message: m,
  };
}
