/**
 * A compact zone's probe targets as rows: one string of addresses, a few integer columns and a
 * hash of the ids, built where the zone is compiled and read on the query thread without an
 * object per target.
 *
 * Why: a zone of 100,000 checked pools has a million targets. As objects they took seconds to
 * clone from the zone worker to the query thread on every reload (answers stalled meanwhile) and
 * most of the query thread's memory; as rows they cross as a handful of buffers. The Target
 * objects the model's `Zone.targets` lists are made only when something asks for all of them (the
 * checks scheduler, status), and a health change finds its pools through `poolsOf`.
 */
import type { CheckSpec, Target } from '../model/zone.js';
import { hashString, type ArrayMaker } from './compact.js';
import { targetId } from './compile.js';

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
  const copy = (a: Int32Array): Int32Array => {
    const c = make.i32(a.length);
    c.set(a);
    return c;
  };
  const addresses = make.u8(rows.addresses.length);
  addresses.set(rows.addresses);
  return { ...rows, addresses, addressStart: copy(rows.addressStart), check: copy(rows.check), port: copy(rows.port), hash: copy(rows.hash), poolStart: copy(rows.poolStart), pools: copy(rows.pools) };
}

const NO_TARGETS_HASH_SIZE = 16;

const FNV_PRIME = 0x01000193;

/** hashString continued over `s` from state `h` (so the hash of an id is made without the id). */
function hashOn(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * Collects a zone's targets while its members are compiled: add() returns the target's row, the
 * same for the same id. Ids are hashed, not made: a million strings cost the worker a third of a
 * second and 60 MB.
 */
export class TargetRowsBuilder {
  private readonly addresses: string[] = [];
  private addressBytes = 0;
  private readonly check = new IntColumn();
  private readonly port = new IntColumn();
  private readonly hashes = new IntColumn();
  private readonly checks: CheckSpec[] = [];
  /** Per check: the hash state after `origin/check/`, every id's start. */
  private readonly prefixHash: number[] = [];
  private readonly checkIndex = new Map<CheckSpec, number>();
  private table: Int32Array = new Int32Array(NO_TARGETS_HASH_SIZE);

  constructor(private readonly origin: string) {}

  get count(): number {
    return this.addresses.length;
  }

  add(check: CheckSpec, address: string, port: number): number {
    let c = this.checkIndex.get(check);
    if (c === undefined) {
      c = this.checks.push(check) - 1;
      this.checkIndex.set(check, c);
      this.prefixHash.push(hashOn(hashString(''), `${this.origin}/${check.name}/`));
    }
    // The hash of targetId(origin, check, address, port), as TargetTable.rowOf computes it.
    const hash = hashOn(hashOn(this.prefixHash[c] as number, address), `/${port}`) >>> 0;
    const mask = this.table.length - 1;
    let slot = hash & mask;
    for (let at = this.table[slot] ?? 0; at !== 0; at = this.table[slot] ?? 0) {
      const t = at - 1;
      if (this.check.at(t) === c && this.port.at(t) === port && this.addresses[t] === address) return t;
      slot = (slot + 1) & mask;
    }
    const t = this.addresses.length;
    this.addresses.push(address);
    this.addressBytes += Buffer.byteLength(address);
    this.check.push(c);
    this.port.push(port);
    this.hashes.push(hash | 0);
    this.table[slot] = t + 1;
    if (t * 2 + 2 > this.table.length) this.table = this.hashTable(this.table.length * 2, (n) => new Int32Array(n));
    return t;
  }

  private hashTable(size: number, alloc: (n: number) => Int32Array): Int32Array {
    const table = alloc(size);
    const mask = size - 1;
    for (let t = 0; t < this.addresses.length; t++) {
      let slot = this.hashes.at(t) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = t + 1;
    }
    return table;
  }

  /**
   * The rows, with each target's pools taken from the member rows (`target` is the member column
   * holding the target, -1 for none; `memberStart` gives each pool's first member row).
   */
  finish(make: ArrayMaker, members: Int32Array, memberWidth: number, target: number, memberStart: Int32Array): TargetRows {
    const count = this.addresses.length;
    const addressStart = make.i32(count + 1);
    const addresses = make.u8(this.addressBytes);
    const bytes = Buffer.from(addresses.buffer, addresses.byteOffset, addresses.length);
    let at = 0;
    for (let t = 0; t < count; t++) {
      at += bytes.write(this.addresses[t] as string, at);
      addressStart[t + 1] = at;
    }
    const { poolStart, pools } = poolsByTarget(make, count, members, memberWidth, target, memberStart);
    return {
      addresses,
      addressStart,
      check: this.check.copy(make),
      checks: this.checks,
      port: this.port.copy(make),
      hash: this.hashTable(tableSize(count), (n) => make.i32(n)),
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

/** A growing Int32Array of single values. */
class IntColumn {
  private data = new Int32Array(64);
  private length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  at(i: number): number {
    return this.data[i] ?? 0;
  }

  copy(make: ArrayMaker): Int32Array {
    const out = make.i32(this.length);
    out.set(this.data.subarray(0, this.length));
    return out;
  }
}

/** Reads TargetRows: ids, Target objects (made on demand, each once) and the pools of a target. */
export class TargetTable {
  private objects: (Target | undefined)[] | undefined;
  private all: readonly Target[] | undefined;

  private readonly bytes: Buffer;

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

  id(t: number): string | undefined {
    const check = this.checkOf(t);
    return check === undefined ? undefined : targetId(this.origin, check, this.address(t), this.rows.port[t] ?? 0);
  }

  /** The row of the target with this id, or -1. */
  rowOf(id: string): number {
    const hash = this.rows.hash;
    const mask = hash.length - 1;
    let slot = hashString(id) & mask;
    for (let at = hash[slot] ?? 0; at !== 0; at = hash[slot] ?? 0) {
      if (this.id(at - 1) === id) return at - 1;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /** The indices of the pools that probe target t. */
  poolsOf(t: number): Int32Array {
    return this.rows.pools.subarray(this.rows.poolStart[t] ?? 0, this.rows.poolStart[t + 1] ?? 0);
  }

  target(t: number): Target | undefined {
    if (t < 0 || t >= this.count) return undefined;
    this.objects ??= new Array<Target | undefined>(this.count);
    let target = this.objects[t];
    if (target === undefined) {
      const check = this.checkOf(t);
      if (check === undefined) return undefined;
      const address = this.address(t);
      const port = this.rows.port[t] ?? 0;
      target = { id: targetId(this.origin, check, address, port), zone: this.origin, check, address, port };
      this.objects[t] = target;
    }
    return target;
  }

  /** Every target as an object (the checks scheduler, status): made once, on the first call. */
  list(): readonly Target[] {
    if (!this.all) {
      const out: Target[] = [];
      for (let t = 0; t < this.count; t++) {
        const target = this.target(t);
        if (target) out.push(target);
      }
      this.all = out;
    }
    return this.all;
  }

  /** Whether target t here and target u of `other` (the same zone's previous version) are the same probe. */
  same(t: number, other: TargetTable, u: number, sameCheck: (a: CheckSpec | undefined, b: CheckSpec | undefined) => boolean): boolean {
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
