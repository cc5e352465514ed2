/**
 * Rdata → wire. Names in the rdata of the RFC 1035 types (NS, CNAME, PTR, MX, SOA) are
 * compressed; every other type's names are written whole (RFC 3597 §4: a server must not
 * compress names in types it was not born knowing, and RFC 2782 forbids it for SRV).
 */
import type { Rdata } from '../../model/zone.js';
import { ipv4Bytes, ipv6Bytes } from '../../lib/ip.js';
import type { MessageWriter } from './writer.js';

const textEncoder = new TextEncoder();

/** Address rdata in wire form, per zone record object: parsing text on every answer is wasted work. */
const addressBytes = new WeakMap<Rdata, Uint8Array>();

function cachedAddress(rdata: Rdata & { readonly address: string }, parse: (text: string) => Uint8Array | undefined): Uint8Array {
  let bytes = addressBytes.get(rdata);
  if (!bytes) {
    bytes = parse(rdata.address);
    if (!bytes) throw new Error(`bad ${rdata.kind} address ${JSON.stringify(rdata.address)}`);
    addressBytes.set(rdata, bytes);
  }
  return bytes;
}

export function writeRdata(w: MessageWriter, rdata: Rdata): void {
  switch (rdata.kind) {
    case 'A':
      w.bytes(cachedAddress(rdata, ipv4Bytes));
      return;
    case 'AAAA':
      w.bytes(cachedAddress(rdata, ipv6Bytes));
      return;
    case 'NS':
      w.name(rdata.host, true);
      return;
    case 'CNAME':
    case 'PTR':
      w.name(rdata.target, true);
      return;
    case 'MX':
      w.u16(rdata.preference);
      w.name(rdata.exchange, true);
      return;
    case 'SOA':
      w.name(rdata.mname, true);
      w.name(rdata.rname, true);
      w.u32(rdata.serial);
      w.u32(rdata.refresh);
      w.u32(rdata.retry);
      w.u32(rdata.expire);
      w.u32(rdata.minimum);
      return;
    case 'TXT':
      for (const s of rdata.strings) {
        if (s.length > 255) throw new Error('TXT string longer than 255 octets');
        w.u8(s.length);
        w.bytes(s);
      }
      return;
    case 'SRV':
      w.u16(rdata.priority);
      w.u16(rdata.weight);
      w.u16(rdata.port);
      w.name(rdata.target, false);
      return;
    case 'CAA': {
      const tag = textEncoder.encode(rdata.tag);
      w.u8(rdata.flags);
      w.u8(tag.length);
      w.bytes(tag);
      w.bytes(rdata.value);
      return;
    }
    case 'generic':
      w.bytes(rdata.data);
      return;
  }
}
