/**
 * A small MaxMind DB (MMDB format 2.0) writer for tests (issue 12): IPv4 and IPv6 networks mapped
 * to GeoIP2-Country-shaped records (`country.iso_code`, `continent.code`), so tests can steer
 * the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) by
 * country and continent. Record size 24 bits, an IPv6 tree with IPv4 at ::/96 (as MaxMind's own
 * databases). Read back with the `maxmind` package, as `rondo serve --geoip` does.
 */
import { isIPv4 } from 'node:net';
import { ipv6Bytes } from '../../lib/ip.js';

export interface GeoNetwork {
  /** `198.51.100.0/24` or `2001:db8:200::/40`. */
  readonly network: string;
  readonly country?: string;
  readonly continent?: string;
}

interface Node {
  left: Node | Leaf | undefined;
  right: Node | Leaf | undefined;
}
interface Leaf {
  readonly data: string;
}

function isLeaf(x: Node | Leaf | undefined): x is Leaf {
  return x !== undefined && 'data' in x;
}

function bitsOf(network: string): { bytes: Uint8Array; length: number } {
  const [address = '', lengthText = ''] = network.split('/');
  if (isIPv4(address)) {
    const bytes = new Uint8Array(16);
    address.split('.').forEach((p, i) => (bytes[12 + i] = Number(p)));
    return { bytes, length: 96 + Number(lengthText) };
  }
  const bytes = ipv6Bytes(address);
  if (!bytes) throw new Error(`bad network ${network}`);
  return { bytes, length: Number(lengthText) };
}

// --- the data section's encoding (MaxMind DB spec, "Data Section") ---

function control(type: number, size: number): Buffer {
  if (size >= 29) throw new Error('mmdb-writer: sizes of 29 and more are not needed here');
  if (type <= 7) return Buffer.from([(type << 5) | size]);
  return Buffer.from([size, type - 7]);
}

function encodeString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([control(2, b.length), b]);
}

function encodeUint(type: 5 | 6 | 9, value: number | bigint, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let v = BigInt(value);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return Buffer.concat([control(type, bytes), out]);
}

type Value = string | { readonly u16: number } | { readonly u32: number } | { readonly u64: number } | readonly Value[] | { readonly [key: string]: Value };

function encode(value: Value): Buffer {
  if (typeof value === 'string') return encodeString(value);
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const v = value as Record<string, Value>;
  if ('u16' in v && typeof v.u16 === 'number') return encodeUint(5, v.u16, 2);
  if ('u32' in v && typeof v.u32 === 'number') return encodeUint(6, v.u32, 4);
  if ('u64' in v && typeof v.u64 === 'number') return encodeUint(9, v.u64, 8);
  const entries = Object.entries(v);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, x]) => [encodeString(k), encode(x)])]);
}

/** The bytes of a database holding `networks` (later, longer networks inside earlier ones win there). */
export function buildMmdb(networks: readonly GeoNetwork[]): Buffer {
  const root: Node = { left: undefined, right: undefined };
  const dataOffsets = new Map<string, number>();
  const dataParts: Buffer[] = [];
  let dataSize = 0;
  const sorted = [...networks].map((n) => ({ n, ...bitsOf(n.network) })).sort((a, b) => a.length - b.length);
  for (const { n, bytes, length } of sorted) {
    const record: Record<string, Value> = {};
    if (n.continent) record.continent = { code: n.continent };
    if (n.country) record.country = { iso_code: n.country };
    const encoded = encode(record);
    const key = encoded.toString('hex');
    if (!dataOffsets.has(key)) {
      dataOffsets.set(key, dataSize);
      dataParts.push(encoded);
      dataSize += encoded.length;
    }
    let node = root;
    for (let depth = 0; depth < length; depth++) {
      const bit = ((bytes[depth >> 3] ?? 0) >> (7 - (depth & 7))) & 1;
      const side = bit ? 'right' : 'left';
      if (depth === length - 1) {
        node[side] = { data: key };
        break;
      }
      const next = node[side];
      if (next === undefined || isLeaf(next)) {
        // Split a shorter network's leaf so the rest of it keeps its data.
        const child: Node = { left: next, right: next };
        node[side] = child;
        node = child;
      } else node = next;
    }
  }
  // Number the nodes breadth first.
  const nodes: Node[] = [];
  const numbers = new Map<Node, number>();
  const queue: Node[] = [root];
  while (queue.length > 0) {
    const node = queue.shift()!;
    numbers.set(node, nodes.length);
    nodes.push(node);
    for (const child of [node.left, node.right]) if (child !== undefined && !isLeaf(child)) queue.push(child);
  }
  const nodeCount = nodes.length;
  const recordValue = (x: Node | Leaf | undefined): number => {
    if (x === undefined) return nodeCount;
    if (isLeaf(x)) return nodeCount + 16 + dataOffsets.get(x.data)!;
    return numbers.get(x)!;
  };
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((node, i) => {
    tree.writeUIntBE(recordValue(node.left), i * 6, 3);
    tree.writeUIntBE(recordValue(node.right), i * 6 + 3, 3);
  });
  const metadata = encode({
    node_count: { u32: nodeCount },
    record_size: { u16: 24 },
    ip_version: { u16: 6 },
    database_type: 'Rondo-Test-Country',
    languages: ['en'],
    binary_format_major_version: { u16: 2 },
    binary_format_minor_version: { u16: 0 },
    build_epoch: { u64: 1_764_892_800 },
    description: { en: 'Rondo test database' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...dataParts, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]);
}
