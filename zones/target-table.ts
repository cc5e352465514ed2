/**
 * A compact zone's probe targets as rows: the addresses as bytes, a few integer columns and a
 * hash of the ids, built where the zone is compiled and read on the query thread without an
 * object per target.
 *
 * Why: a zone of 100,000 checked pools has a million targets. As objects they took seconds to
 * clone from the zone worker to the query thread on every reload (answers stalled meanwhile) and
 * most of the query thread's memory; as rows they cross as a handful of buffers. The Target
 * objects the model's `Zone.targets` lists are made only when something asks for all of them
 * (status, the admin API); the checks and the health store are told one target at a time
 * (server/target-pass.ts), and a health change finds its pools through `rowOf` and `poolsOf`.
 */
import type { CheckSpec, Target } from '../model/zone.js';
import { copyInt32, FNV_OFFSET, FNV_PRIME, hashOn, hashString, IntRows, type ArrayMaker } from './compact.js';

/** The transferable form, part of CompactZoneData. */
export interface TargetRows {
  /**
   * Every target's probe address, concatenated as UTF-8: target t's are the bytes from
   * `addressStart[t]` to `addressStart[t + 1]`. Bytes, not a string: a buffer is moved to the
   * query thread, a string of 11 MB (a million targets) took 16 ms of its turn to clone.
   */
  readonly addresses: Uint8Array;
  readonly addressStart: Int32Array;
  /** Index into `checks`, per target. */
  readonly check: Int32Array;
  readonly checks: readonly CheckSpec[];
  readonly port: Int32Array;
  /** Open addressing on the id's hash: target + 1 per slot, 0 empty; length a power of two. */
  readonly hash: Int32Array;
  /** Per target, its first entry in `pools`; one more at the end. */
  readonly poolStart: Int32Array;
  /** Pool indices, grouped by target (a target probed for several pools is listed for each). */
  readonly pools: Int32Array;
}

/** The typed arrays of the rows (posted in the transfer list). */
export function targetArrays(rows: TargetRows): (Int32Array | Uint8Array)[] {
  return [rows.addresses, rows.addressStart, rows.check, rows.port, rows.hash, rows.poolStart, rows.pools];
}

export function copyTargetRows(rows: TargetRows, make: ArrayMaker): TargetRows {
  const copy = (a: Int32Array): Int32Array => copyInt32(a, make);
  const addresses = make.u8(rows.addresses.length);
  addresses.set(rows.addresses);
  return { ...rows, addresses, addressStart: copy(rows.addressStart), check: copy(rows.check), port: copy(rows.port), hash: copy(rows.hash), poolStart: copy(rows.poolStart), pools: copy(rows.pools) };
}

/**
 * Collects a zone's targets while its members are compiled: add() returns the target's row, the
 * same for the same id. Neither ids nor (for IPv4) address strings are made: the address is
 * written as bytes and the id hashed from its parts. A million targets as strings kept until the
 * end cost the worker a third of a second and 60 MB.
 */
export class TargetRowsBuilder {
  private bytes = new Uint8Array(1024);
  private byteEnd = 0;
  private readonly addressStart = new IntRows(64);
  private readonly check = new IntRows(64);
  private readonly port = new IntRows(64);
  private readonly hashes = new IntRows(64);
  private readonly checks: CheckSpec[] = [];
  /** Per check: the hash state after `origin/check/`, every id's start. */
  private readonly prefixHash: number[] = [];
  private readonly checkIndex = new Map<CheckSpec, number>();
  private table: Int32Array;
  private portText = '';
  private portOf = -1;

  /**
   * `expected`: about how many targets will come (the checked members): the hash is made that
   * size once, in `make`'s arrays, and becomes the rows' hash as it is (a million targets: no
   * rehash while adding and none at the end, 0.1 to 0.2 s of the worker's time).
   */
  constructor(
    private readonly origin: string,
    private readonly make: ArrayMaker,
    expected = 0,
  ) {
    this.addressStart.push(0);
    this.table = make.i32(tableSize(expected));
  }

  get count(): number {
    return this.check.length;
  }

  add(check: CheckSpec, address: string, port: number): number {
    const start = this.byteEnd;
    let ascii = true;
    for (let i = 0; i < address.length; i++) if (address.charCodeAt(i) > 0x7f) ascii = false;
    if (ascii) {
      this.reserve(address.length);
      for (let i = 0; i < address.length; i++) this.bytes[this.byteEnd++] = address.charCodeAt(i);
      return this.place(check, port, start, undefined);
    }
    const utf8 = Buffer.from(address);
    this.reserve(utf8.length);
    this.bytes.set(utf8, start);
    this.byteEnd += utf8.length;
    return this.place(check, port, start, address);
  }

  /** add() for an IPv4 address given as its 32-bit value (the fast lane's column). */
  addIPv4(check: CheckSpec, value: number, port: number): number {
    const start = this.byteEnd;
    this.reserve(15);
    for (let shift = 24; shift >= 0; shift -= 8) {
      const octet = (value >>> shift) & 255;
      if (octet >= 100) this.bytes[this.byteEnd++] = 48 + Math.floor(octet / 100);
      if (octet >= 10) this.bytes[this.byteEnd++] = 48 + (Math.floor(octet / 10) % 10);
      this.bytes[this.byteEnd++] = 48 + (octet % 10);
      if (shift > 0) this.bytes[this.byteEnd++] = 46;
    }
    return this.place(check, port, start, undefined);
  }

  private reserve(n: number): void {
    if (this.byteEnd + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.byteEnd + n));
    grown.set(this.bytes.subarray(0, this.byteEnd));
    this.bytes = grown;
  }

  /**
   * The row of the address just written at bytes[start..byteEnd): an existing one (the bytes are
   * taken back) or a new one. `text`: the address when it is not ASCII (ids hash UTF-16 units).
   */
  private place(check: CheckSpec, port: number, start: number, text: string | undefined): number {
    let c = this.checkIndex.get(check);
    if (c === undefined) {
      c = this.checks.push(check) - 1;
      this.checkIndex.set(check, c);
      this.prefixHash.push(hashOn(FNV_OFFSET, `${this.origin}/${check.name}/`));
    }
    if (port !== this.portOf) {
      this.portOf = port;
      this.portText = `/${port}`;
    }
    // The hash of targetId(origin, check, address, port), as TargetTable.rowOf computes it.
    let h = this.prefixHash[c] as number;
    if (text === undefined) for (let i = start; i < this.byteEnd; i++) h = Math.imul(h ^ (this.bytes[i] as number), FNV_PRIME);
    else h = hashOn(h, text);
    const hash = hashOn(h, this.portText) >>> 0;
    const mask = this.table.length - 1;
    const length = this.byteEnd - start;
    let slot = hash & mask;
    for (let at = this.table[slot] ?? 0; at !== 0; at = this.table[slot] ?? 0) {
      const t = at - 1;
      if (this.check.data[t] === c && this.port.data[t] === port && this.sameBytes(this.addressStart.data[t] ?? 0, this.addressStart.data[t + 1] ?? 0, start, length)) {
        this.byteEnd = start;
        return t;
      }
      slot = (slot + 1) & mask;
    }
    const t = this.check.length;
    this.addressStart.push(this.byteEnd);
    this.check.push(c);
    this.port.push(port);
    this.hashes.push(hash | 0);
    this.table[slot] = t + 1;
    if (t * 2 + 2 > this.table.length) this.table = this.hashTable(this.table.length * 2);
    return t;
  }

  private sameBytes(from: number, to: number, start: number, length: number): boolean {
    if (to - from !== length) return false;
    for (let i = 0; i < length; i++) if (this.bytes[from + i] !== this.bytes[start + i]) return false;
    return true;
  }

  private hashTable(size: number): Int32Array {
    const table = this.make.i32(size);
    const mask = size - 1;
    for (let t = 0; t < this.check.length; t++) {
      let slot = (this.hashes.data[t] ?? 0) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = t + 1;
    }
    return table;
  }

  /**
   * The rows, with each target's pools taken from the member rows (`target` is the member column
   * holding the target, -1 for none; `memberStart` gives each pool's first member row).
   */
  finish(members: Int32Array, memberWidth: number, target: number, memberStart: Int32Array): TargetRows {
    const make = this.make;
    const count = this.check.length;
    const addressStart = this.addressStart.doneIn(make);
    const addresses = make.u8(this.byteEnd);
    addresses.set(this.bytes.subarray(0, this.byteEnd));
    const { poolStart, pools } = poolsByTarget(make, count, members, memberWidth, target, memberStart);
    return {
      addresses,
      addressStart,
      check: this.check.doneIn(make),
      checks: this.checks,
      port: this.port.doneIn(make),
      // Made for more targets than came (members sharing one): smaller, so it does not hold the space.
      hash: this.table.length > tableSize(count) * 2 ? this.hashTable(tableSize(count)) : this.table,
      poolStart,
      pools,
    };
  }
}

function tableSize(count: number): number {
  return 1 << Math.max(4, Math.ceil(Math.log2(count * 2 + 1)));
}

/** Each target's pools (CSR): counted, then filled in pool order, a pool once per target. */
function poolsByTarget(make: ArrayMaker, count: number, members: Int32Array, width: number, target: number, memberStart: Int32Array): { poolStart: Int32Array; pools: Int32Array } {
  const poolStart = make.i32(count + 1);
  const poolCount = memberStart.length - 1;
  const rows = members.length / width;
  const last = new Int32Array(count).fill(-1);
  for (let p = 0; p < poolCount; p++) {
    for (let m = memberStart[p] ?? 0, end = Math.min(rows, memberStart[p + 1] ?? 0); m < end; m++) {
      const t = members[m * width + target] ?? -1;
      if (t < 0 || last[t] === p) continue;
      last[t] = p;
      poolStart[t + 1] = (poolStart[t + 1] ?? 0) + 1;
    }
  }
  for (let t = 0; t < count; t++) poolStart[t + 1] = (poolStart[t + 1] ?? 0) + (poolStart[t] ?? 0);
  const pools = make.i32(poolStart[count] ?? 0);
  const fill = new Int32Array(count);
  last.fill(-1);
  for (let p = 0; p < poolCount; p++) {
    for (let m = memberStart[p] ?? 0, end = Math.min(rows, memberStart[p + 1] ?? 0); m < end; m++) {
      const t = members[m * width + target] ?? -1;
      if (t < 0 || last[t] === p) continue;
      last[t] = p;
      pools[(poolStart[t] ?? 0) + (fill[t] ?? 0)] = p;
      fill[t] = (fill[t] ?? 0) + 1;
    }
  }
  return { poolStart, pools };
}

/** Check specs as JSON, one string per spec object: a zone's targets share a handful of specs. */
const checkJson = new WeakMap<CheckSpec, string>();

/** Whether two targets' check specs are equal (the same object, or the same settings). */
function sameCheck(a: CheckSpec | undefined, b: CheckSpec | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return jsonOf(a) === jsonOf(b);
}

function jsonOf(spec: CheckSpec): string {
  let json = checkJson.get(spec);
  if (json === undefined) {
    json = JSON.stringify(spec);
    checkJson.set(spec, json);
  }
  return json;
}

const SLASH = 47;

/** Reads TargetRows: ids, Target objects (made on demand) and the pools of a target. */
export class TargetTable {
  private objects: (Target | undefined)[] | undefined;
  private all: readonly Target[] | undefined;

  private readonly bytes: Buffer;
  /** `origin/check/` as UTF-8, per check (id). */
  private readonly prefixes: Buffer[] = [];
  /** Where id() assembles an id. */
  private scratch = Buffer.alloc(256);

  constructor(
    private readonly origin: string,
    readonly rows: TargetRows,
  ) {
    this.bytes = Buffer.from(rows.addresses.buffer, rows.addresses.byteOffset, rows.addresses.length);
  }

  get count(): number {
    return this.rows.check.length;
  }

  address(t: number): string {
    return this.bytes.toString('utf8', this.rows.addressStart[t] ?? 0, this.rows.addressStart[t + 1] ?? 0);
  }

  checkOf(t: number): CheckSpec | undefined {
    return this.rows.checks[this.rows.check[t] ?? -1];
  }

  /**
   * Target t's id (compile.ts targetId), decoded from bytes assembled in one buffer: a flat
   * string of ~60 bytes. Joined as a template, an id was a tree of string pieces, ~230 bytes of
   * heap, and the checks scheduler keeps one per target (a million in a zone of 100,000 checked pools).
   */
  id(t: number): string | undefined {
    const c = this.rows.check[t] ?? -1;
    const check = this.rows.checks[c];
    if (check === undefined) return undefined;
    const prefix = (this.prefixes[c] ??= Buffer.from(`${this.origin}/${check.name}/`, 'utf8'));
    const from = this.rows.addressStart[t] ?? 0;
    const to = this.rows.addressStart[t + 1] ?? 0;
    const port = String(this.rows.port[t] ?? 0);
    const length = prefix.length + (to - from) + 1 + port.length;
    if (length > this.scratch.length) this.scratch = Buffer.alloc(length * 2);
    const out = this.scratch;
    prefix.copy(out, 0);
    this.bytes.copy(out, prefix.length, from, to);
    let at = prefix.length + (to - from);
    out[at++] = SLASH;
    out.write(port, at, 'latin1');
    return out.toString('utf8', 0, length);
  }

  /** The row of the target with this id, or -1. */
  rowOf(id: string): number {
    // Ids start with their zone's origin: a health change asks every served zone, most say no here.
    if (!id.startsWith(this.origin) || id.charCodeAt(this.origin.length) !== SLASH) return -1;
    const hash = this.rows.hash;
    const mask = hash.length - 1;
    let slot = hashString(id) & mask;
    for (let at = hash[slot] ?? 0; at !== 0; at = hash[slot] ?? 0) {
      if (this.isId(at - 1, id)) return at - 1;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /**
   * Whether target t's id is `id`, read part by part without making the id (a health change of
   * 100,000 targets looks each up).
   */
  private isId(t: number, id: string): boolean {
    const check = this.checkOf(t);
    if (check === undefined) return false;
    const origin = this.origin;
    if (!id.startsWith(origin) || id.charCodeAt(origin.length) !== SLASH) return false;
    let at = origin.length + 1;
    if (!id.startsWith(check.name, at) || id.charCodeAt(at + check.name.length) !== SLASH) return false;
    at += check.name.length + 1;
    const bytes = this.rows.addresses;
    for (let i = this.rows.addressStart[t] ?? 0, end = this.rows.addressStart[t + 1] ?? 0; i < end; i++) {
      const byte = bytes[i] ?? 0;
      if (byte > 0x7f) return this.id(t) === id; // not ASCII: the bytes are UTF-8, the id UTF-16
      if (id.charCodeAt(at++) !== byte) return false;
    }
    if (id.charCodeAt(at++) !== SLASH) return false;
    const port = this.rows.port[t] ?? 0;
    let digits = 0;
    for (let v = port; ; v = Math.floor(v / 10)) {
      digits++;
      if (v < 10) break;
    }
    if (id.length - at !== digits) return false;
    for (let v = port, i = id.length - 1; i >= at; i--, v = Math.floor(v / 10)) if (id.charCodeAt(i) !== 48 + (v % 10)) return false;
    return true;
  }

  /** The indices of the pools that probe target t. */
  poolsOf(t: number): Int32Array {
    return this.rows.pools.subarray(this.rows.poolStart[t] ?? 0, this.rows.poolStart[t + 1] ?? 0);
  }

  /**
   * Target t as an object: the listed one once list() made them all, else a new one. The checks
   * scheduler makes one for each probe and keeps none, so a million targets are not all held as
   * objects once each has been probed.
   */
  target(t: number): Target | undefined {
    if (t < 0 || t >= this.count) return undefined;
    return this.objects ? this.objects[t] : this.make(t);
  }

  private make(t: number): Target | undefined {
    const check = this.checkOf(t);
    if (check === undefined) return undefined;
    return { id: this.id(t) ?? '', zone: this.origin, check, address: this.address(t), port: this.rows.port[t] ?? 0 };
  }

  /** Every target as an object (status, the admin API): made once, on the first call. */
  list(): readonly Target[] {
    if (!this.all) {
      const objects = new Array<Target | undefined>(this.count);
      const out: Target[] = [];
      for (let t = 0; t < this.count; t++) {
        const target = this.make(t);
        objects[t] = target;
        if (target) out.push(target);
      }
      this.objects = objects;
      this.all = out;
    }
    return this.all;
  }

  /** Whether target t here and target u of `other` (the same zone's previous version) are the same probe. */
  same(t: number, other: TargetTable, u: number): boolean {
    if ((this.rows.port[t] ?? 0) !== (other.rows.port[u] ?? 0)) return false;
    const a0 = this.rows.addressStart[t] ?? 0;
    const len = (this.rows.addressStart[t + 1] ?? 0) - a0;
    const b0 = other.rows.addressStart[u] ?? 0;
    if (len !== (other.rows.addressStart[u + 1] ?? 0) - b0) return false;
    const a = this.rows.addresses;
    const b = other.rows.addresses;
    for (let i = 0; i < len; i++) if (a[a0 + i] !== b[b0 + i]) return false;
    return sameCheck(this.checkOf(t), other.checkOf(u));
  }
}
