/**
 * A compiled zone in a compact form: a few typed arrays (names as UTF-16 code units, nodes,
 * RRsets, records, pools and members as rows of 32-bit integers, IPv4 addresses as bytes) plus a
 * handful of small structured values (checks, targets, pool configs, the rare non-address rdata).
 *
 * Why: a million-record zone as one object per record costs hundreds of megabytes and seconds of
 * garbage collection, and handing such a graph from a worker thread to the query thread (a
 * structured clone) would itself stall answers. The compact form is built where the zone is
 * compiled (the zone worker), crosses the thread boundary as transferred buffers (no copy), and
 * is read lazily: CompactZone implements the model's Zone, and decodes a node, its RRsets and its
 * pool on first use, keeping what it decoded so a Pool stays one object (plans and pre-encoded
 * answers are kept per Pool object).
 *
 * A record's `display` (its owner as written) is its node's: the answers write the RRset's.
 *
 * Incremental reload: a CompactZone made with the previous version of the same zone hands out
 * the previous Pool object for a pool whose configuration, TTL and members did not change, so its
 * plan, rotation and encodings carry on; a changed pool is a new object (one new plan, one new
 * encoding, on first use).
 */
import { RRType, type CheckSpec, type Pool, type PoolConfig, type PoolIndex, type PoolMember, type RRset, type Rdata, type ResourceRecord, type Target, type TargetRowSource, type Zone, type ZoneNode } from '../model/zone.js';
import type { SiteMap } from '../model/site-map.js';
import { LazySlots } from './slots.js';
import { formatIPv6, parseIPv6Into } from '../lib/ip.js';
import { copyTargetRows, targetArrays, TargetRowsBuilder, TargetTable, type TargetRows } from './target-table.js';

/** Ints per row. */
export const NODE_W = 5; // lowerOff, length, displayOff, firstRRset, rrsetCount
export const RRSET_W = 5; // type, ttl, firstRecord, count, pool (-1: none)
export const RECORD_W = 5; // ttl, rdata ref (0: the IPv4 column; k > 0: the k-th AAAA address in ipv6; < 0: -(others index + 1)), file, line, column
/** Bytes of an AAAA address in the ipv6 column. */
const IPV6_BYTES = 16;
export const POOL_W = 4; // rrset, config, ttl, node
export const MEMBER_W = 5; // weight, priority, backup, target (-1: none), site (index into sites, -1: none)
/**
 * A member row's values when `members` ends before it: weight 1, priority 1, not a backup, no
 * target, no site. The fast lane writes no rows for pools of plain members (a million-record zone
 * saves 20 MB).
 */
const MEMBER_DEFAULTS = [1, 1, 0, -1, -1] as const;

/** Field `f` of member row `row`, the default where the rows end. */
function memberField(members: Int32Array, row: number, f: number): number {
  return members[row * MEMBER_W + f] ?? (MEMBER_DEFAULTS[f] as number);
}

/** The transferable form: what a worker posts (the typed arrays' buffers in the transfer list). */
export interface CompactZoneData {
  readonly version: 1;
  readonly origin: string;
  readonly display: string;
  readonly file: string;
  readonly size: number;
  readonly files: readonly string[];
  readonly checks: readonly CheckSpec[];
  /** Probe targets as rows (target-table.ts); member rows refer to them by index. */
  readonly targets: TargetRows;
  /** Site names members refer to (`;@ site=`), and the zone's `;@map`s (issue 12). */
  readonly sites: readonly string[];
  readonly maps: readonly SiteMap[];
  readonly configs: readonly PoolConfig[];
  /** Rdata that is not an IPv4 address (SOA, NS, AAAA, MX, ...): few in a large zone. */
  readonly others: readonly Rdata[];
  readonly chars: Uint16Array;
  readonly nodes: Int32Array;
  readonly rrsets: Int32Array;
  readonly records: Int32Array;
  /** IPv4 rdata, one uint32 per record row (0 for rows whose rdata is elsewhere). */
  readonly ipv4: Uint32Array;
  /**
   * AAAA rdata, 16 bytes each, for the rows whose rdata ref is k > 0 (the k-th): an object per
   * address was a million objects to clone across threads for a zone of AAAA pools.
   */
  readonly ipv6: Uint8Array;
  readonly pools: Int32Array;
  readonly members: Int32Array;
  /** Open addressing: node index + 1 per slot, 0 empty; length a power of two. */
  readonly hash: Int32Array;
  /** Node indices of delegation points (names below the apex with NS). */
  readonly cuts: Int32Array;
  /** Node index of the apex. */
  readonly apex: number;
  /** Per pool, its first member row; one more entry at the end (the member count). */
  readonly memberStart: Int32Array;
}

function arraysOf(data: CompactZoneData): (Int32Array | Uint16Array | Uint32Array | Uint8Array)[] {
  return [data.chars, data.nodes, data.rrsets, data.records, data.ipv4, data.ipv6, data.pools, data.members, data.hash, data.cuts, data.memberStart, ...targetArrays(data.targets)];
}

/** The buffers to list when posting `data` (shared ones are not transferred: see SHARED_ARRAYS). */
export function transferList(data: CompactZoneData): ArrayBuffer[] {
  return arraysOf(data)
    .map((a) => a.buffer)
    .filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

/** Makes the typed arrays of a compiled zone. */
export interface ArrayMaker {
  i32(length: number): Int32Array;
  u16(length: number): Uint16Array;
  u32(length: number): Uint32Array;
  u8(length: number): Uint8Array;
}

/** Arrays in their own buffers, transferred (moved) to the query thread. */
export const TRANSFERABLE_ARRAYS: ArrayMaker = {
  i32: (n) => new Int32Array(n),
  u16: (n) => new Uint16Array(n),
  u32: (n) => new Uint32Array(n),
  u8: (n) => new Uint8Array(n),
};

/**
 * Arrays in SharedArrayBuffers, which a thread receives without counting them as memory it
 * allocated. V8 counts a transferred buffer in the receiving heap: the first zone's (6 MB at
 * 100,000 records), arriving at once on a query thread whose heap had just grown by the program's
 * imports, set off a full, non-incremental collection there, 12 to 15 ms between the zone's
 * arrival and the listeners opening (--trace-gc). For a zone's first version only: a reload's
 * buffers are transferred and counted, so the collection that lets the previous version go (a
 * shared first one included) comes soon after, as before.
 */
export const SHARED_ARRAYS: ArrayMaker = {
  i32: (n) => new Int32Array(new SharedArrayBuffer(n * Int32Array.BYTES_PER_ELEMENT)),
  u16: (n) => new Uint16Array(new SharedArrayBuffer(n * Uint16Array.BYTES_PER_ELEMENT)),
  u32: (n) => new Uint32Array(new SharedArrayBuffer(n * Uint32Array.BYTES_PER_ELEMENT)),
  u8: (n) => new Uint8Array(new SharedArrayBuffer(n)),
};

/** The same zone with its arrays copied into ones made by `make` (the full pipeline's output). */
/** `a` copied into an array made by `make`. */
export function copyInt32(a: Int32Array, make: ArrayMaker): Int32Array {
  const c = make.i32(a.length);
  c.set(a);
  return c;
}

export function copyArrays(data: CompactZoneData, make: ArrayMaker): CompactZoneData {
  const i32 = (a: Int32Array): Int32Array => copyInt32(a, make);
  const chars = make.u16(data.chars.length);
  chars.set(data.chars);
  const ipv4 = make.u32(data.ipv4.length);
  ipv4.set(data.ipv4);
  const ipv6 = make.u8(data.ipv6.length);
  ipv6.set(data.ipv6);
  return {
    ...data,
    chars,
    ipv4,
    ipv6,
    nodes: i32(data.nodes),
    rrsets: i32(data.rrsets),
    records: i32(data.records),
    pools: i32(data.pools),
    members: i32(data.members),
    hash: i32(data.hash),
    cuts: i32(data.cuts),
    memberStart: i32(data.memberStart),
    targets: copyTargetRows(data.targets, make),
  };
}

/** FNV-1a: the start state, and the step for each character or byte. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a continued over `s` from state `h` (a target id is hashed from its parts: target-table.ts). */
export function hashOn(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

export function hashString(s: string): number {
  return hashOn(FNV_OFFSET, s) >>> 0;
}

/** A growing Int32Array: push() one value (the fast lane's loops), push5() a row of five. */
export class IntRows {
  data: Int32Array;
  length = 0;
  constructor(initial = 1024) {
    this.data = new Int32Array(Math.max(16, initial));
  }
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }
  /** A row of five (no array made per row: a million rows a zone). */
  push5(a: number, b: number, c: number, d: number, e: number): void {
    if (this.length + 5 > this.data.length) this.grow(this.length + 5);
    setRow(this.data, this.length, a, b, c, d, e);
    this.length += 5;
  }
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
  /** The values in an array made by `make` (shared or transferable). */
  doneIn(make: ArrayMaker): Int32Array {
    const out = make.i32(this.length);
    out.set(this.data.subarray(0, this.length));
    return out;
  }
  private grow(needed: number): void {
    const next = new Int32Array(Math.max(this.data.length * 2, needed));
    next.set(this.data);
    this.data = next;
  }
}

function setRow(rows: Int32Array, at: number, a: number, b: number, c: number, d: number, e: number): void {
  rows[at] = a;
  rows[at + 1] = b;
  rows[at + 2] = c;
  rows[at + 3] = d;
  rows[at + 4] = e;
}

function ipv4ToUint(address: string): number {
  const parts = address.split('.');
  return ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

function uintToIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** The compact form of a compiled zone (run where the zone is compiled: the zone worker). */
export function encodeZone(zone: Zone): CompactZoneData {
  let charCount = 0;
  for (const node of zone.nodes.values()) charCount += node.name.length + (node.display === node.name ? 0 : node.display.length);
  const chars = new Uint16Array(charCount);
  let charAt = 0;
  const putChars = (s: string): number => {
    const at = charAt;
    for (let i = 0; i < s.length; i++) chars[charAt++] = s.charCodeAt(i);
    return at;
  };
  const nodeCount = zone.nodes.size;
  const nodes = new Int32Array(nodeCount * NODE_W);
  let rrsetTotal = 0;
  let aaaaTotal = 0;
  for (const node of zone.nodes.values()) {
    rrsetTotal += node.rrsets.size;
    for (const rrset of node.rrsets.values()) if (rrset.type === RRType.AAAA) aaaaTotal += rrset.records.length;
  }
  const rrsets = new Int32Array(rrsetTotal * RRSET_W);
  const records = new IntRows(zone.size * RECORD_W + 16);
  const ipv4: number[] = [];
  const ipv6 = new Uint8Array(aaaaTotal * IPV6_BYTES);
  const address16 = new Uint8Array(IPV6_BYTES);
  let aaaaCount = 0;
  const pools = new Int32Array(zone.pools.length * POOL_W);
  const members = new IntRows(zone.size * MEMBER_W + 16);
  const others: Rdata[] = [];
  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  const configs: PoolConfig[] = [];
  const configIndex = new Map<string, number>();
  const configByObject = new Map<PoolConfig, number>();
  const sites: string[] = [];
  const siteOf = (site: string | undefined): number => {
    if (site === undefined) return -1;
    let i = sites.indexOf(site);
    if (i < 0) i = sites.push(site) - 1;
    return i;
  };
  const targetIndex = new Map<string, number>();
  const targets = new TargetRowsBuilder(zone.origin, TRANSFERABLE_ARRAYS, zone.targets.length);
  for (const t of zone.targets) targetIndex.set(t.id, targets.add(t.check, t.address, t.port));
  const poolIndex = new Map<Pool, number>();
  zone.pools.forEach((p, i) => poolIndex.set(p, i));
  const capacity = 1 << Math.max(4, Math.ceil(Math.log2(nodeCount * 2 + 1)));
  const hash = new Int32Array(capacity);
  const cuts: number[] = [];
  let apex = -1;

  let n = 0;
  let r = 0;
  let recordRow = 0;
  for (const node of zone.nodes.values()) {
    const lowerOff = putChars(node.name);
    const displayOff = node.display === node.name ? lowerOff : putChars(node.display);
    setRow(nodes, n * NODE_W, lowerOff, node.name.length, displayOff, r, node.rrsets.size);
    let slot = hashString(node.name) & (capacity - 1);
    while (hash[slot] !== 0) slot = (slot + 1) & (capacity - 1);
    hash[slot] = n + 1;
    if (node.name === zone.origin) apex = n;
    else if (node.rrsets.has(RRType.NS)) cuts.push(n);
    for (const rrset of node.rrsets.values()) {
      const pool = rrset.pool ? (poolIndex.get(rrset.pool) ?? -1) : -1;
      setRow(rrsets, r * RRSET_W, rrset.type, rrset.ttl, recordRow, rrset.records.length, pool);
      for (const rr of rrset.records) {
        let file = fileIndex.get(rr.source.file);
        if (file === undefined) {
          file = files.length;
          files.push(rr.source.file);
          fileIndex.set(rr.source.file, file);
        }
        let ref = 0;
        if (rr.rdata.kind === 'A') ipv4.push(ipv4ToUint(rr.rdata.address));
        else if (rr.rdata.kind === 'AAAA' && parseIPv6Into(rr.rdata.address, address16)) {
          ipv4.push(0);
          ipv6.set(address16, aaaaCount * IPV6_BYTES);
          ref = ++aaaaCount;
        } else {
          ipv4.push(0);
          others.push(rr.rdata);
          ref = -others.length;
        }
        records.push5(rr.ttl, ref, file, rr.source.line, rr.source.column);
        recordRow++;
      }
      if (rrset.pool && pool >= 0) {
        const p = rrset.pool;
        // Pools mostly share their settings' object: its index is found without a JSON key.
        let c = configByObject.get(p.config);
        if (c === undefined) {
          const key = JSON.stringify(p.config);
          c = configIndex.get(key);
          if (c === undefined) {
            c = configs.length;
            configs.push(p.config);
            configIndex.set(key, c);
          }
          configByObject.set(p.config, c);
        }
        pools[pool * POOL_W] = r;
        pools[pool * POOL_W + 1] = c;
        pools[pool * POOL_W + 2] = p.ttl;
        pools[pool * POOL_W + 3] = n;
        for (const m of p.members) members.push5(m.weight, m.priority, m.backup ? 1 : 0, m.targetId === undefined ? -1 : (targetIndex.get(m.targetId) ?? -1), siteOf(m.site));
      }
      r++;
    }
    n++;
  }
  // Members are stored per pool in pool order, so a pool's first member row is the running sum.
  const memberStart = new Int32Array(zone.pools.length + 1);
  zone.pools.forEach((p, i) => {
    memberStart[i + 1] = (memberStart[i] ?? 0) + p.members.length;
  });
  const memberRows = reorderMembers(members.done(), zone, poolIndex);
  return {
    memberStart,
    version: 1,
    origin: zone.origin,
    display: zone.display,
    file: zone.file,
    size: zone.size,
    files,
    checks: [...zone.checks.values()],
    targets: targets.finish(memberRows, MEMBER_W, 3, memberStart),
    sites,
    maps: [...(zone.maps?.values() ?? [])],
    configs,
    others,
    chars,
    nodes,
    rrsets,
    records: records.done(),
    ipv4: Uint32Array.from(ipv4),
    ipv6,
    pools,
    members: memberRows,
    hash,
    cuts: Int32Array.from(cuts),
    apex,
  };
}

/** Member rows were written in node order; pools are indexed in zone.pools order: reorder. */
function reorderMembers(rows: Int32Array, zone: Zone, poolIndex: ReadonlyMap<Pool, number>): Int32Array {
  const count = zone.pools.length;
  const writtenAt = new Int32Array(count);
  let at = 0;
  for (const node of zone.nodes.values()) {
    for (const rrset of node.rrsets.values()) {
      if (!rrset.pool) continue;
      const i = poolIndex.get(rrset.pool);
      if (i === undefined) continue;
      writtenAt[i] = at;
      at += rrset.pool.members.length * MEMBER_W;
    }
  }
  const out = new Int32Array(rows.length);
  let o = 0;
  for (let i = 0; i < count; i++) {
    const len = (zone.pools[i]?.members.length ?? 0) * MEMBER_W;
    out.set(rows.subarray(writtenAt[i] ?? 0, (writtenAt[i] ?? 0) + len), o);
    o += len;
  }
  return out;
}

/** Byte sizes of the compact form, for logs and the benchmark. */
export function compactBytes(data: CompactZoneData): number {
  return arraysOf(data).reduce((sum, a) => sum + a.byteLength, 0);
}

const EMPTY_RRSETS: ReadonlyMap<number, RRset> = new Map();

/** A Zone read lazily from its compact form. */
export class CompactZone implements Zone {
  readonly origin: string;
  readonly display: string;
  readonly file: string;
  readonly size: number;
  readonly checks: ReadonlyMap<string, CheckSpec>;
  readonly targetTable: TargetTable;
  readonly maps: ReadonlyMap<string, SiteMap> | undefined;
  readonly nodes: CompactNodes;
  readonly poolIndex: PoolIndex;
  private readonly nodeCache: LazySlots<ZoneNode>;
  private readonly poolCache: LazySlots<Pool>;
  private readonly memberStart: Int32Array;
  private previous: CompactZone | undefined;
  private allPools: readonly Pool[] | undefined;
  private mappedPools: readonly Pool[] | undefined;
  /** targetSource, made on first use. */
  private source: TargetRowSource | undefined;
  private soaRRset: RRset | undefined;
  private configKeys: string[] | undefined;
  /** Pools handed over from the previous version (unchanged), for tests and logs. */
  reusedPools = 0;

  constructor(
    readonly data: CompactZoneData,
    previous?: Zone,
  ) {
    this.origin = data.origin;
    this.display = data.display;
    this.file = data.file;
    this.size = data.size;
    this.checks = new Map(data.checks.map((c) => [c.name, c]));
    this.targetTable = new TargetTable(data.origin, data.targets);
    this.maps = data.maps.length > 0 ? new Map(data.maps.map((m) => [m.name, m])) : undefined;
    const nodeCount = data.nodes.length / NODE_W;
    this.nodeCache = new LazySlots<ZoneNode>(nodeCount);
    const poolCount = data.pools.length / POOL_W;
    this.poolCache = new LazySlots<Pool>(poolCount);
    // Computed where the zone was compiled: nothing here is proportional to the zone's size.
    this.memberStart = data.memberStart;
    this.previous = previous instanceof CompactZone && previous.origin === data.origin ? previous : undefined;
    this.nodes = new CompactNodes(this, nodeCount);
    this.poolIndex = {
      get count() {
        return poolCount;
      },
      find: (name, type) => this.findPool(name, type),
      decodedWithTarget: (id) => this.decodedWithTarget(id),
      has: (key) => this.hasPoolKey(key),
      mapped: () => this.mapped(),
    };
  }

  get delegations(): readonly string[] {
    return [...this.data.cuts].map((n) => this.node(n)?.name ?? '');
  }

  get soa(): RRset {
    if (!this.soaRRset) {
      const soa = this.node(this.data.apex)?.rrsets.get(RRType.SOA);
      if (!soa) throw new Error('compact zone without an SOA at the apex');
      this.soaRRset = soa;
    }
    return this.soaRRset;
  }

  /** Every probe target (made on first use: status, the admin API; answers need none). */
  get targets(): readonly Target[] {
    return this.targetTable.list();
  }

  /** The targets one at a time (the checks' pass after a load, in slices: server/target-pass.ts), and each one's pools' quorums (server/quorum-lookup.ts). */
  get targetSource(): TargetRowSource {
    if (!this.source) {
      const table = this.targetTable;
      const d = this.data;
      // Most targets have one pool: one shared list per pool configuration.
      const single = d.configs.map((c): readonly PoolConfig['quorum'][] => [c.quorum]);
      const configOf = (p: number): number => d.pools[p * POOL_W + 1] ?? 0;
      this.source = {
        count: table.count,
        id: (i) => table.id(i),
        checkOf: (i) => table.checkOf(i),
        target: (i) => table.target(i),
        indexOf: (id) => table.rowOf(id),
        quorumsOf: (i) => {
          const pools = table.poolsOf(i);
          const first = single[configOf(pools[0] ?? 0)] ?? [];
          if (pools.length <= 1) return first;
          return [...new Set([...pools].map((p) => d.configs[configOf(p)]?.quorum ?? 'majority'))];
        },
      };
    }
    return this.source;
  }


  /** Every pool, materialised (tools and tests; the server uses poolIndex). */
  get pools(): readonly Pool[] {
    if (!this.allPools) {
      const out: Pool[] = [];
      for (let p = 0; p < this.poolCache.length; p++) out.push(this.pool(p));
      this.allPools = out;
    }
    return this.allPools;
  }

  /** Forget the previous version: pools not asked for by now are built afresh when asked for. */
  releasePrevious(): void {
    this.previous = undefined;
  }

  /** Next pool slot of the previous version that adoptStep() looks at. */
  private adoptAt = 0;

  /**
   * Takes over the previous version's decoded pools, `max` slots at a time (the same as asking for
   * each: an unchanged pool is handed over with its plan and encodings, a changed one decoded
   * anew), then forgets the previous version; true once done. Run in slices after a reload
   * (watch.ts), it lets the previous version's buffers and caches go within moments instead of
   * at the next reload, with no turn spent on a pass over every pool.
   */
  adoptStep(max: number): boolean {
    const prev = this.previous;
    if (!prev) return true;
    const total = prev.poolCache.length;
    let i = this.adoptAt;
    for (const end = Math.min(total, i + max); i < end; i++) {
      const old = prev.poolCache.get(i);
      if (!old) continue;
      const p = this.poolAt(old.name, old.type);
      if (p >= 0) this.pool(p);
    }
    this.adoptAt = i;
    if (i < total) return false;
    this.previous = undefined;
    return true;
  }

  indexOf(name: string): number {
    const d = this.data;
    const mask = d.hash.length - 1;
    let slot = hashString(name) & mask;
    for (;;) {
      const at = d.hash[slot] ?? 0;
      if (at === 0) return -1;
      const n = at - 1;
      const off = d.nodes[n * NODE_W] ?? 0;
      const len = d.nodes[n * NODE_W + 1] ?? 0;
      if (len === name.length) {
        let same = true;
        for (let i = 0; i < len; i++) {
          if (d.chars[off + i] !== name.charCodeAt(i)) {
            same = false;
            break;
          }
        }
        if (same) return n;
      }
      slot = (slot + 1) & mask;
    }
  }

  node(n: number): ZoneNode | undefined {
    if (n < 0 || n >= this.nodeCache.length) return undefined;
    const cached = this.nodeCache.get(n);
    if (cached) return cached;
    const d = this.data;
    const base = n * NODE_W;
    const name = this.text(d.nodes[base] ?? 0, d.nodes[base + 1] ?? 0);
    const displayOff = d.nodes[base + 2] ?? 0;
    const display = displayOff === d.nodes[base] ? name : this.text(displayOff, d.nodes[base + 1] ?? 0);
    const first = d.nodes[base + 3] ?? 0;
    const count = d.nodes[base + 4] ?? 0;
    let rrsets = EMPTY_RRSETS;
    if (count > 0) {
      const map = new Map<number, RRset>();
      for (let r = first; r < first + count; r++) {
        const rrset = this.rrset(r, name, display);
        map.set(rrset.type, rrset);
      }
      rrsets = map;
    }
    const node: ZoneNode = { name, display, rrsets };
    this.nodeCache.set(n, node);
    return node;
  }

  private text(off: number, len: number): string {
    const chars = this.data.chars;
    // Names are at most 255 octets of presentation text (escapes included, under 1,024 chars).
    if (len <= 1024) return String.fromCharCode.apply(null, chars.subarray(off, off + len) as unknown as number[]);
    let s = '';
    for (let i = off; i < off + len; i += 1024) s += String.fromCharCode.apply(null, chars.subarray(i, Math.min(off + len, i + 1024)) as unknown as number[]);
    return s;
  }

  private rrset(r: number, name: string, display: string): RRset {
    const d = this.data;
    const base = r * RRSET_W;
    const type = d.rrsets[base] ?? 0;
    const ttl = d.rrsets[base + 1] ?? 0;
    const poolAt = d.rrsets[base + 4] ?? -1;
    if (poolAt >= 0) {
      const pool = this.pool(poolAt);
      return { name, display, type, ttl, records: pool.members.map((m) => m.record), pool };
    }
    const first = d.rrsets[base + 2] ?? 0;
    const count = d.rrsets[base + 3] ?? 0;
    const records: ResourceRecord[] = [];
    for (let i = first; i < first + count; i++) records.push(this.record(i, name, display, type));
    return { name, display, type, ttl, records };
  }

  private record(i: number, name: string, display: string, type: number): ResourceRecord {
    const d = this.data;
    const base = i * RECORD_W;
    const ref = d.records[base + 1] ?? 0;
    const rdata: Rdata = ref < 0 ? (d.others[-ref - 1] as Rdata) : ref > 0 ? { kind: 'AAAA', address: formatIPv6(d.ipv6.subarray((ref - 1) * IPV6_BYTES, ref * IPV6_BYTES)) } : { kind: 'A', address: uintToIpv4(d.ipv4[i] ?? 0) };
    return {
      name,
      display,
      type,
      ttl: d.records[base] ?? 0,
      rdata,
      source: { file: d.files[d.records[base + 2] ?? 0] ?? this.file, line: d.records[base + 3] ?? 0, column: d.records[base + 4] ?? 0 },
    };
  }

  /** The pool at this index, decoded once (or handed over from the previous version when unchanged). */
  pool(p: number): Pool {
    const cached = this.poolCache.get(p);
    if (cached) return cached;
    const d = this.data;
    const nodeAt = d.pools[p * POOL_W + 3] ?? 0;
    const nbase = nodeAt * NODE_W;
    const name = this.text(d.nodes[nbase] ?? 0, d.nodes[nbase + 1] ?? 0);
    const rrsetAt = d.pools[p * POOL_W] ?? 0;
    const type = d.rrsets[rrsetAt * RRSET_W] ?? 0;
    const reused = this.fromPrevious(p, name, type);
    if (reused) {
      this.poolCache.set(p, reused);
      this.reusedPools++;
      return reused;
    }
    const displayOff = d.nodes[nbase + 2] ?? 0;
    const display = displayOff === d.nodes[nbase] ? name : this.text(displayOff, d.nodes[nbase + 1] ?? 0);
    const config = d.configs[d.pools[p * POOL_W + 1] ?? 0] as PoolConfig;
    const first = d.rrsets[rrsetAt * RRSET_W + 2] ?? 0;
    const count = d.rrsets[rrsetAt * RRSET_W + 3] ?? 0;
    const mstart = this.memberStart[p] ?? 0;
    const members: PoolMember[] = [];
    for (let k = 0; k < count; k++) {
      const record = this.record(first + k, name, display, type);
      const row = mstart + k;
      const target = memberField(d.members, row, 3);
      const site = d.sites[memberField(d.members, row, 4)];
      members.push({
        ...(site !== undefined ? { site } : {}),
        address: record.rdata.kind === 'A' || record.rdata.kind === 'AAAA' ? record.rdata.address : '',
        family: type === RRType.A ? 4 : 6,
        weight: memberField(d.members, row, 0),
        priority: memberField(d.members, row, 1),
        backup: memberField(d.members, row, 2) === 1,
        targetId: target >= 0 ? this.targetTable.id(target) : undefined,
        record,
      });
    }
    const siteMap = config.map === undefined ? undefined : this.maps?.get(config.map);
    const pool: Pool = { key: `${name}/${type === RRType.A ? 'A' : 'AAAA'}`, name, display, type, config, members, ttl: d.pools[p * POOL_W + 2] ?? 0, ...(siteMap ? { siteMap } : {}) };
    this.poolCache.set(p, pool);
    return pool;
  }

  /** The pool index at owner `name` and `type`, or -1. */
  poolAt(name: string, type: number): number {
    const n = this.indexOf(name);
    if (n < 0) return -1;
    const d = this.data;
    const first = d.nodes[n * NODE_W + 3] ?? 0;
    const count = d.nodes[n * NODE_W + 4] ?? 0;
    for (let r = first; r < first + count; r++) if (d.rrsets[r * RRSET_W] === type) return d.rrsets[r * RRSET_W + 4] ?? -1;
    return -1;
  }

  findPool(name: string, type: number): Pool | undefined {
    const p = this.poolAt(name, type);
    return p < 0 ? undefined : this.pool(p);
  }

  private hasPoolKey(key: string): boolean {
    const slash = key.lastIndexOf('/');
    const type = key.slice(slash + 1) === 'A' ? RRType.A : RRType.AAAA;
    return this.poolAt(key.slice(0, slash), type) >= 0;
  }

  /**
   * The pools probing this target that are decoded, here or in the previous version while it is
   * being taken over: only a decoded pool can have a plan, and a previous version's pool, handed
   * over later unchanged, brings its plan along (so a health change must reach it too).
   */
  private decodedWithTarget(id: string): Pool[] {
    const out: Pool[] = [];
    const t = this.targetTable.rowOf(id);
    if (t >= 0) {
      for (const p of this.targetTable.poolsOf(t)) {
        const pool = this.poolCache.get(p);
        if (pool) out.push(pool);
      }
    }
    if (this.previous) for (const pool of this.previous.decodedWithTarget(id)) if (!out.includes(pool)) out.push(pool);
    return out;
  }

  /** Pools with `map=`: a scan of the pool rows (integers) only when some configuration has a map. */
  private mapped(): readonly Pool[] {
    if (!this.mappedPools) {
      const d = this.data;
      const withMap = d.configs.map((c) => c.map !== undefined);
      const out: Pool[] = [];
      if (withMap.includes(true)) {
        const count = d.pools.length / POOL_W;
        for (let p = 0; p < count; p++) if (withMap[d.pools[p * POOL_W + 1] ?? 0] === true) out.push(this.pool(p));
      }
      this.mappedPools = out;
    }
    return this.mappedPools;
  }

  configKey(c: number): string {
    if (!this.configKeys) this.configKeys = this.data.configs.map((x) => JSON.stringify(x));
    return this.configKeys[c] ?? '';
  }

  /** The previous version's Pool object for pool `p` when nothing about it changed (and it was materialised). */
  private fromPrevious(p: number, name: string, type: number): Pool | undefined {
    const prev = this.previous;
    if (!prev) return undefined;
    const q = prev.poolAt(name, type);
    if (q < 0 || !prev.poolCache.get(q)) return undefined;
    const a = this.data;
    const b = prev.data;
    if ((a.pools[p * POOL_W + 2] ?? 0) !== (b.pools[q * POOL_W + 2] ?? 0)) return undefined;
    if (this.configKey(a.pools[p * POOL_W + 1] ?? 0) !== prev.configKey(b.pools[q * POOL_W + 1] ?? 0)) return undefined;
    // A mapped pool carries its map, whose rules may have changed under the same name: decode it anew.
    if ((a.configs[a.pools[p * POOL_W + 1] ?? 0] as PoolConfig | undefined)?.map !== undefined) return undefined;
    const ra = a.pools[p * POOL_W] ?? 0;
    const rb = b.pools[q * POOL_W] ?? 0;
    const count = a.rrsets[ra * RRSET_W + 3] ?? 0;
    if (count !== (b.rrsets[rb * RRSET_W + 3] ?? 0)) return undefined;
    const fa = a.rrsets[ra * RRSET_W + 2] ?? 0;
    const fb = b.rrsets[rb * RRSET_W + 2] ?? 0;
    const ma = this.memberStart[p] ?? 0;
    const mb = prev.memberStart[q] ?? 0;
    for (let k = 0; k < count; k++) {
      const refA = a.records[(fa + k) * RECORD_W + 1] ?? 0;
      const refB = b.records[(fb + k) * RECORD_W + 1] ?? 0;
      if (Math.sign(refA) !== Math.sign(refB)) return undefined;
      if (refA < 0) {
        const x = a.others[-refA - 1];
        const y = b.others[-refB - 1];
        if (JSON.stringify(x) !== JSON.stringify(y)) return undefined;
      } else if (refA > 0) {
        for (let i = 0; i < IPV6_BYTES; i++) if (a.ipv6[(refA - 1) * IPV6_BYTES + i] !== b.ipv6[(refB - 1) * IPV6_BYTES + i]) return undefined;
      } else if (a.ipv4[fa + k] !== b.ipv4[fb + k]) return undefined;
      for (let f = 0; f < 3; f++) if (memberField(a.members, ma + k, f) !== memberField(b.members, mb + k, f)) return undefined;
      if (a.sites[memberField(a.members, ma + k, 4)] !== b.sites[memberField(b.members, mb + k, 4)]) return undefined;
      const ta = memberField(a.members, ma + k, 3);
      const tb = memberField(b.members, mb + k, 3);
      if ((ta < 0) !== (tb < 0)) return undefined;
      if (ta >= 0 && !this.targetTable.same(ta, prev.targetTable, tb)) return undefined;
    }
    return prev.poolCache.get(q);
  }
}

/** The zone's names as a ReadonlyMap, decoded on demand. */
export class CompactNodes implements ReadonlyMap<string, ZoneNode> {
  constructor(
    private readonly zone: CompactZone,
    readonly size: number,
  ) {}

  get(name: string): ZoneNode | undefined {
    const n = this.zone.indexOf(name);
    return n < 0 ? undefined : this.zone.node(n);
  }

  has(name: string): boolean {
    return this.zone.indexOf(name) >= 0;
  }

  *entries(): MapIterator<[string, ZoneNode]> {
    for (let n = 0; n < this.size; n++) {
      const node = this.zone.node(n);
      if (node) yield [node.name, node];
    }
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<ZoneNode> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, ZoneNode]> {
    return this.entries();
  }

  forEach(callback: (value: ZoneNode, key: string, map: ReadonlyMap<string, ZoneNode>) => void): void {
    for (const [k, v] of this.entries()) callback(v, k, this);
  }
}
