/**
 * RFC 4034 §6: canonical forms for signing. Owner names and the names inside the rdata of the
 * RFC 1035 types (and SRV, RFC 4034 §6.2 item 3 as updated by RFC 6840 §5.1) are lowercased and
 * written whole; an RRset's records are sorted by their canonical rdata.
 */
import type { Rdata } from '../../model/zone.js';
import { ipv4Bytes as ipv4ToBytes, ipv6Bytes as ipv6ToBytes } from '../../lib/ip.js';
import { labelStartsOf, lowerName } from '../../zones/names.js';
import { parseTextName } from '../wire/names.js';

const textEncoder = new TextEncoder();

/** An absolute presentation name in wire form, lowercased (A-Z only, RFC 4343). */
export function canonicalName(text: string): Buffer {
  const parsed = parseTextName(lowerName(text));
  if (!parsed) throw new Error(`not an absolute name: ${text}`);
  let size = 1;
  for (const l of parsed.labels) size += l.length + 1;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const l of parsed.labels) {
    out[at++] = l.length;
    out.set(l, at);
    at += l.length;
  }
  out[at] = 0;
  return out;
}

/** Labels of an owner name for the RRSIG Labels field (RFC 4034 §3.1.3): root and a leading `*` not counted. */
export function labelCount(name: string): number {
  const n = labelStartsOf(name).length;
  return name.startsWith('*.') ? n - 1 : n;
}

function u16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v, 0);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** Rdata in canonical wire form. */
export function canonicalRdata(rdata: Rdata): Buffer {
  switch (rdata.kind) {
    case 'A': {
      const b = ipv4ToBytes(rdata.address);
      if (!b) throw new Error(`bad A address ${rdata.address}`);
      return Buffer.from(b);
    }
    case 'AAAA': {
      const b = ipv6ToBytes(rdata.address);
      if (!b) throw new Error(`bad AAAA address ${rdata.address}`);
      return Buffer.from(b);
    }
    case 'NS':
      return canonicalName(rdata.host);
    case 'CNAME':
    case 'PTR':
      return canonicalName(rdata.target);
    case 'MX':
      return Buffer.concat([u16(rdata.preference), canonicalName(rdata.exchange)]);
    case 'SRV':
      return Buffer.concat([u16(rdata.priority), u16(rdata.weight), u16(rdata.port), canonicalName(rdata.target)]);
    case 'SOA':
      return Buffer.concat([
        canonicalName(rdata.mname),
        canonicalName(rdata.rname),
        u32(rdata.serial),
        u32(rdata.refresh),
        u32(rdata.retry),
        u32(rdata.expire),
        u32(rdata.minimum),
      ]);
    case 'TXT':
      return Buffer.concat(rdata.strings.flatMap((s) => [Buffer.from([s.length]), Buffer.from(s)]));
    case 'CAA': {
      const tag = textEncoder.encode(rdata.tag);
      return Buffer.concat([Buffer.from([rdata.flags, tag.length]), Buffer.from(tag), Buffer.from(rdata.value)]);
    }
    case 'generic':
      return Buffer.from(rdata.data);
  }
}

/** Canonical rdatas sorted (RFC 4034 §6.3), duplicates removed. */
export function sortedRdatas(rdatas: readonly Buffer[]): Buffer[] {
  const sorted = [...rdatas].sort(Buffer.compare);
  return sorted.filter((r, i) => i === 0 || !r.equals(sorted[i - 1]!));
}
