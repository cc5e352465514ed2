/**
 * The client a sticky answer is keyed on: the EDNS Client Subnet if the query carried one
 * (RFC 7871), else the resolver's own address, masked to the pool's prefix (/24 and /56 by
 * default). `scope` is the prefix length the answer depended on, for the ECS scope field.
 */
import { isIPv4 } from 'node:net';
import type { ClientInfo } from './pool-selector.js';

export interface ClientKey {
  readonly key: string;
  readonly scope: number;
}

export function clientKeyFor(client: ClientInfo, v4Prefix: number, v6Prefix: number): ClientKey {
  if (client.ecs) {
    const v4 = client.ecs.family === 1;
    const bits = Math.min(client.ecs.sourcePrefix, v4 ? v4Prefix : v6Prefix);
    const bytes = Buffer.alloc(v4 ? 4 : 16);
    client.ecs.address.copy(bytes, 0, 0, Math.min(client.ecs.address.length, bytes.length));
    return { key: `${maskedHex(bytes, bits)}/${bits}`, scope: bits };
  }
  const v4 = isIPv4(client.address);
  const bytes = v4 ? ipv4Bytes(client.address) : ipv6Bytes(client.address);
  const bits = v4 ? v4Prefix : v6Prefix;
  return { key: `${maskedHex(bytes, bits)}/${bits}`, scope: bits };
}

function maskedHex(bytes: Buffer, bits: number): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    out += ((bytes[i] ?? 0) & mask).toString(16).padStart(2, '0');
  }
  return out;
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map((p) => Number(p) & 0xff));
}

/** Parses an IPv6 address (also `::ffff:1.2.3.4`) into 16 bytes. */
export function ipv6Bytes(address: string): Buffer {
  const out = Buffer.alloc(16);
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = ipv4Bytes(dotted[1]);
    text = text.slice(0, text.length - dotted[1].length) + `${((v4[0] ?? 0) << 8 | (v4[1] ?? 0)).toString(16)}:${((v4[2] ?? 0) << 8 | (v4[3] ?? 0)).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const restParts = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = [...headParts.map((g) => parseInt(g, 16))];
  const fill = 8 - headParts.length - restParts.length;
  for (let i = 0; i < fill && rest !== undefined; i++) groups.push(0);
  for (const g of restParts) groups.push(parseInt(g, 16));
  groups.push(...tail);
  for (let i = 0; i < 8; i++) out.writeUInt16BE((groups[i] ?? 0) & 0xffff, i * 2);
  return out;
}
