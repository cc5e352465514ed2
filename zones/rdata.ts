/**
 * RDATA in presentation form (RFC 1035 §5.1, RFC 3597 §5) to the typed Rdata of zones/types.ts.
 * The parser hands over the fields of one record; errors go back through the same interface with
 * the index of the offending field, so messages point at the right column.
 */
import { RRType, type Rdata } from '../model/zone.js';
import type { ZoneCode } from './codes.js';
import { parseIPv4, parseIPv6, formatIPv6 } from '../lib/ip.js';
import { labelText, parseName, type NameOrigin } from './names.js';
import { parseTtl, MAX_TTL } from './ttl.js';

/** Types with a dedicated presentation form. */
export const KNOWN_TYPES: ReadonlyMap<string, number> = new Map([
  ['A', RRType.A],
  ['NS', RRType.NS],
  ['CNAME', RRType.CNAME],
  ['SOA', RRType.SOA],
  ['PTR', RRType.PTR],
  ['MX', RRType.MX],
  ['TXT', RRType.TXT],
  ['AAAA', RRType.AAAA],
  ['SRV', RRType.SRV],
  ['CAA', RRType.CAA],
]);

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([...KNOWN_TYPES].map(([name, type]) => [type, name]));

/** `A`, `AAAA`, ... or `TYPE65280` (RFC 3597 §5). */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** The RR type for a mnemonic or `TYPEnnn` (any case); a string explains why it is refused. */
export function typeFromText(text: string): number | { code: ZoneCode; detail: string } {
  const upper = text.toUpperCase();
  const known = KNOWN_TYPES.get(upper);
  if (known !== undefined) return known;
  if (upper.startsWith('TYPE') && /^TYPE\d{1,5}$/.test(upper)) {
    const n = Number(upper.slice(4));
    // RFC 6895 §3.1: 0 is reserved, 41 is OPT (a pseudo-RR), 128-255 are meta and query types.
    if (n === 0 || n === RRType.OPT || (n >= 128 && n <= 255) || n > 65535) {
      return { code: 'ZONE_BAD_TYPE', detail: `type ${text} cannot appear in a zone file` };
    }
    return n;
  }
  return { code: 'ZONE_UNKNOWN_TYPE', detail: `unknown record type "${text}"` };
}

/** The fields of one record's rdata, as the parser holds them. */
export interface RdataFields {
  readonly count: number;
  text(i: number): string;
  quoted(i: number): boolean;
  escaped(i: number): boolean;
  /** Reports an error at field i (i === count: just after the last field). */
  fail(i: number, code: ZoneCode, detail: string): void;
  readonly origin: NameOrigin | undefined;
}

const MAX_RDATA = 65535;

export function parseRdata(type: number, f: RdataFields): Rdata | undefined {
  const label = typeName(type);
  if (f.count === 0) {
    f.fail(0, 'ZONE_MISSING_RDATA', `${label} record has no rdata`);
    return undefined;
  }
  if (!f.quoted(0) && f.text(0) === '\\#') return parseGeneric(type, label, f);
  switch (type) {
    case RRType.A:
    case RRType.AAAA: {
      if (!fieldCount(f, label, 1, 'address')) return undefined;
      const v4 = type === RRType.A;
      const address = f.quoted(0) ? undefined : (v4 ? parseIPv4 : parseIPv6)(f.text(0));
      if (address === undefined) {
        f.fail(0, v4 ? 'ZONE_BAD_IPV4' : 'ZONE_BAD_IPV6', `bad ${v4 ? 'IPv4' : 'IPv6'} address "${f.text(0)}" in ${label} record`);
        return undefined;
      }
      return v4 ? { kind: 'A', address } : { kind: 'AAAA', address };
    }
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR: {
      if (!fieldCount(f, label, 1, type === RRType.NS ? 'host' : 'target')) return undefined;
      const name = nameField(f, 0, label);
      if (name === undefined) return undefined;
      if (type === RRType.NS) return { kind: 'NS', host: name };
      return type === RRType.CNAME ? { kind: 'CNAME', target: name } : { kind: 'PTR', target: name };
    }
    case RRType.MX: {
      if (!fieldCount(f, label, 2, 'preference, exchange')) return undefined;
      const preference = numberField(f, 0, label, 'preference', 0xffff);
      const exchange = nameField(f, 1, label);
      if (preference === undefined || exchange === undefined) return undefined;
      return { kind: 'MX', preference, exchange };
    }
    case RRType.SRV: {
      if (!fieldCount(f, label, 4, 'priority, weight, port, target')) return undefined;
      const priority = numberField(f, 0, label, 'priority', 0xffff);
      const weight = numberField(f, 1, label, 'weight', 0xffff);
      const port = numberField(f, 2, label, 'port', 0xffff);
      const target = nameField(f, 3, label);
      if (priority === undefined || weight === undefined || port === undefined || target === undefined) return undefined;
      return { kind: 'SRV', priority, weight, port, target };
    }
    case RRType.TXT: {
      const strings: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < f.count; i++) {
        const s = charString(f, i, label);
        if (s === undefined) return undefined;
        strings.push(s);
        total += s.length + 1;
      }
      if (total > MAX_RDATA) {
        f.fail(0, 'ZONE_RDATA_TOO_LONG', `TXT rdata is ${total} octets, more than ${MAX_RDATA}`);
        return undefined;
      }
      return { kind: 'TXT', strings };
    }
    case RRType.CAA: {
      if (!fieldCount(f, label, 3, 'flags, tag, value')) return undefined;
      const flags = numberField(f, 0, label, 'flags', 255);
      if (flags === undefined) return undefined;
      const tag = f.text(1);
      // RFC 8659 §4.1: the tag is 1-15 ASCII letters and digits.
      if (f.quoted(1) || !/^[A-Za-z0-9]{1,15}$/.test(tag)) {
        f.fail(1, 'ZONE_BAD_RDATA', `bad CAA tag "${tag}" (1-15 letters and digits)`);
        return undefined;
      }
      const value = decodeString(f.text(2), f.escaped(2));
      if (typeof value === 'string') {
        f.fail(2, 'ZONE_BAD_STRING', `${value} in CAA value`);
        return undefined;
      }
      if (value.length + tag.length + 2 > MAX_RDATA) {
        f.fail(2, 'ZONE_RDATA_TOO_LONG', `CAA rdata longer than ${MAX_RDATA} octets`);
        return undefined;
      }
      return { kind: 'CAA', flags, tag, value };
    }
    case RRType.SOA: {
      if (!fieldCount(f, label, 7, 'mname, rname, serial, refresh, retry, expire, minimum')) return undefined;
      const mname = nameField(f, 0, label);
      const rname = nameField(f, 1, label);
      const serial = numberField(f, 2, label, 'serial', 0xffffffff);
      const refresh = ttlField(f, 3, 'refresh');
      const retry = ttlField(f, 4, 'retry');
      const expire = ttlField(f, 5, 'expire');
      const minimum = ttlField(f, 6, 'minimum');
      if (mname === undefined || rname === undefined || serial === undefined) return undefined;
      if (refresh === undefined || retry === undefined || expire === undefined || minimum === undefined) return undefined;
      return { kind: 'SOA', mname, rname, serial, refresh, retry, expire, minimum };
    }
    default:
      f.fail(0, 'ZONE_BAD_GENERIC', `${label} rdata must be written as \\# length hex (RFC 3597)`);
      return undefined;
  }
}

function fieldCount(f: RdataFields, label: string, n: number, names: string): boolean {
  if (f.count < n) {
    f.fail(f.count, 'ZONE_MISSING_RDATA', `${label} record needs ${n} field${n > 1 ? 's' : ''} (${names}), got ${f.count}`);
    return false;
  }
  if (f.count > n) {
    f.fail(n, 'ZONE_EXTRA_RDATA', `${label} record takes ${n} field${n > 1 ? 's' : ''} (${names}), got ${f.count}`);
    return false;
  }
  return true;
}

function nameField(f: RdataFields, i: number, label: string): string | undefined {
  if (f.quoted(i)) {
    f.fail(i, 'ZONE_BAD_NAME', `a domain name cannot be quoted in ${label} record`);
    return undefined;
  }
  const parsed = parseName(f.text(i), f.origin);
  if (!parsed.ok) {
    f.fail(i, parsed.code, `${parsed.detail} in ${label} record`);
    return undefined;
  }
  return parsed.display;
}

function numberField(f: RdataFields, i: number, label: string, what: string, max: number): number | undefined {
  const text = f.text(i);
  if (!f.quoted(i) && /^\d{1,10}$/.test(text)) {
    const value = Number(text);
    if (value <= max) return value;
  }
  f.fail(i, 'ZONE_BAD_NUMBER', `bad ${what} "${text}" in ${label} record (0-${max})`);
  return undefined;
}

function ttlField(f: RdataFields, i: number, what: string): number | undefined {
  const text = f.text(i);
  const value = f.quoted(i) ? -1 : parseTtl(text);
  if (value < 0) {
    f.fail(i, 'ZONE_BAD_TTL', `bad SOA ${what} "${text}"`);
    return undefined;
  }
  if (value > MAX_TTL) {
    f.fail(i, 'ZONE_TTL_RANGE', `SOA ${what} ${value} is above ${MAX_TTL} (RFC 2181 §8)`);
    return undefined;
  }
  return value;
}

function charString(f: RdataFields, i: number, label: string): Uint8Array | undefined {
  const s = decodeString(f.text(i), f.escaped(i));
  if (typeof s === 'string') {
    f.fail(i, 'ZONE_BAD_STRING', `${s} in ${label} record`);
    return undefined;
  }
  if (s.length > 255) {
    f.fail(i, 'ZONE_BAD_STRING', `character-string is ${s.length} octets, more than 255, in ${label} record (split it into several strings)`);
    return undefined;
  }
  return s;
}

const encoder = new TextEncoder();

/**
 * The octets of a character-string as written (quotes already removed): `\"`, `\;`, `\\`, `\X`
 * and `\DDD` escapes (RFC 1035 §5.1); other characters as UTF-8. A string is an error message.
 */
export function decodeString(raw: string, escaped: boolean): Uint8Array | string {
  if (!escaped) return encoder.encode(raw);
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 92) {
      const d1 = raw.charCodeAt(i + 1);
      if (Number.isNaN(d1)) return 'dangling backslash';
      if (d1 >= 48 && d1 <= 57) {
        const digits = raw.slice(i + 1, i + 4);
        if (!/^\d{3}$/.test(digits)) return `\\DDD escape needs three digits (got "\\${digits}")`;
        const value = Number(digits);
        if (value > 255) return `\\${digits} is not an octet`;
        out.push(value);
        i += 3;
        continue;
      }
      i++;
    }
    const cp = raw.codePointAt(i) ?? 0;
    if (cp < 0x80) {
      out.push(cp);
    } else {
      const width = cp > 0xffff ? 2 : 1;
      for (const b of encoder.encode(raw.slice(i, i + width))) out.push(b);
      i += width - 1;
    }
  }
  return Uint8Array.from(out);
}

/** RFC 3597 §5: `\# length hex...`, for unknown types and, decoded, for known ones. */
function parseGeneric(type: number, label: string, f: RdataFields): Rdata | undefined {
  if (f.count < 2) {
    f.fail(f.count, 'ZONE_MISSING_RDATA', `${label} \\# needs a length`);
    return undefined;
  }
  const lengthText = f.text(1);
  const length = /^\d{1,5}$/.test(lengthText) ? Number(lengthText) : -1;
  if (length < 0 || length > MAX_RDATA) {
    f.fail(1, 'ZONE_BAD_GENERIC', `bad \\# length "${lengthText}" (0-${MAX_RDATA})`);
    return undefined;
  }
  let hex = '';
  for (let i = 2; i < f.count; i++) {
    const part = f.text(i);
    if (f.quoted(i) || !/^[0-9a-fA-F]*$/.test(part)) {
      f.fail(i, 'ZONE_BAD_GENERIC', `bad hex "${part}" in \\# rdata`);
      return undefined;
    }
    hex += part;
  }
  if (hex.length !== length * 2) {
    f.fail(1, 'ZONE_BAD_GENERIC', `\\# length is ${length} but ${hex.length / 2} octets of hex follow`);
    return undefined;
  }
  const data = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (!TYPE_NAMES.has(type)) return { kind: 'generic', data };
  const decoded = decodeWireRdata(type, data);
  if (typeof decoded === 'string') {
    f.fail(2 < f.count ? 2 : 1, 'ZONE_BAD_GENERIC', `\\# rdata is not a valid ${label} record: ${decoded}`);
    return undefined;
  }
  return decoded;
}

/** Wire-format rdata of a known type (uncompressed names, RFC 3597 §4) to typed Rdata, or why not. */
export function decodeWireRdata(type: number, data: Uint8Array): Rdata | string {
  const r = new WireReader(data);
  const result = decodeWith(type, r);
  if (typeof result === 'string') return result;
  if (r.at !== data.length) return `${data.length - r.at} octet(s) left over`;
  return result;
}

function decodeWith(type: number, r: WireReader): Rdata | string {
  switch (type) {
    case RRType.A:
      return r.left() === 4 ? { kind: 'A', address: Array.from(r.bytes(4)).join('.') } : 'A rdata is 4 octets';
    case RRType.AAAA:
      return r.left() === 16 ? { kind: 'AAAA', address: formatIPv6(r.bytes(16)) } : 'AAAA rdata is 16 octets';
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR: {
      const name = r.name();
      if (name === undefined) return 'bad domain name';
      if (type === RRType.NS) return { kind: 'NS', host: name };
      return type === RRType.CNAME ? { kind: 'CNAME', target: name } : { kind: 'PTR', target: name };
    }
    case RRType.MX: {
      const preference = r.u16();
      const exchange = r.name();
      if (preference === undefined || exchange === undefined) return 'truncated MX rdata';
      return { kind: 'MX', preference, exchange };
    }
    case RRType.SRV: {
      const priority = r.u16();
      const weight = r.u16();
      const port = r.u16();
      const target = r.name();
      if (priority === undefined || weight === undefined || port === undefined || target === undefined) return 'truncated SRV rdata';
      return { kind: 'SRV', priority, weight, port, target };
    }
    case RRType.TXT: {
      if (r.left() === 0) return 'TXT rdata needs at least one string';
      const strings: Uint8Array[] = [];
      while (r.left() > 0) {
        const n = r.u8();
        if (n === undefined || r.left() < n) return 'truncated character-string';
        strings.push(r.bytes(n));
      }
      return { kind: 'TXT', strings };
    }
    case RRType.CAA: {
      const flags = r.u8();
      const tagLength = r.u8();
      if (flags === undefined || tagLength === undefined || tagLength === 0 || tagLength > 15 || r.left() < tagLength) return 'bad CAA tag';
      const tag = Buffer.from(r.bytes(tagLength)).toString('latin1');
      if (!/^[A-Za-z0-9]+$/.test(tag)) return 'bad CAA tag';
      return { kind: 'CAA', flags, tag, value: r.bytes(r.left()) };
    }
    case RRType.SOA: {
      const mname = r.name();
      const rname = r.name();
      const serial = r.u32();
      const refresh = r.u32();
      const retry = r.u32();
      const expire = r.u32();
      const minimum = r.u32();
      if (mname === undefined || rname === undefined || serial === undefined || refresh === undefined) return 'truncated SOA rdata';
      if (retry === undefined || expire === undefined || minimum === undefined) return 'truncated SOA rdata';
      return { kind: 'SOA', mname, rname, serial, refresh, retry, expire, minimum };
    }
    default:
      return { kind: 'generic', data: r.bytes(r.left()) };
  }
}

class WireReader {
  at = 0;
  constructor(private readonly data: Uint8Array) {}
  left(): number {
    return this.data.length - this.at;
  }
  u8(): number | undefined {
    return this.at < this.data.length ? this.data[this.at++] : undefined;
  }
  u16(): number | undefined {
    if (this.left() < 2) return undefined;
    const v = ((this.data[this.at] ?? 0) << 8) | (this.data[this.at + 1] ?? 0);
    this.at += 2;
    return v;
  }
  u32(): number | undefined {
    const hi = this.u16();
    const lo = this.u16();
    return hi === undefined || lo === undefined ? undefined : hi * 65536 + lo;
  }
  bytes(n: number): Uint8Array {
    const out = this.data.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  /** An uncompressed wire name as canonical text. */
  name(): string | undefined {
    let text = '';
    let octets = 0;
    for (;;) {
      const n = this.u8();
      if (n === undefined || n > 63 || this.left() < n) return undefined;
      octets += n + 1;
      if (octets > 255) return undefined;
      if (n === 0) return text === '' ? '.' : text;
      text += labelText(this.bytes(n)) + '.';
    }
  }
}

/** A key that is equal for records with equal rdata (names compared case-insensitively). */
export function rdataKey(rdata: Rdata): string {
  switch (rdata.kind) {
    case 'A':
    case 'AAAA':
      return rdata.address;
    case 'NS':
      return rdata.host.toLowerCase();
    case 'CNAME':
    case 'PTR':
      return rdata.target.toLowerCase();
    case 'MX':
      return `${rdata.preference} ${rdata.exchange.toLowerCase()}`;
    case 'SRV':
      return `${rdata.priority} ${rdata.weight} ${rdata.port} ${rdata.target.toLowerCase()}`;
    case 'TXT':
      return rdata.strings.map((s) => Buffer.from(s).toString('hex')).join(' ');
    case 'CAA':
      return `${rdata.flags} ${rdata.tag.toLowerCase()} ${Buffer.from(rdata.value).toString('hex')}`;
    case 'SOA':
      return `${rdata.mname.toLowerCase()} ${rdata.rname.toLowerCase()} ${rdata.serial} ${rdata.refresh} ${rdata.retry} ${rdata.expire} ${rdata.minimum}`;
    case 'generic':
      return Buffer.from(rdata.data).toString('hex');
  }
}
