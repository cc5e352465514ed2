/**
 * An open-addressing hash table from (lowercase wire name, qtype) to a value, looked up straight
 * from bytes: the fast path hashes the question name while it lowercases it into a scratch
 * buffer, and finds its entry without making a string.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a step; the fast path inlines the same steps while it scans the name. */
export function hashStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, FNV_PRIME);
}

export const HASH_SEED = FNV_OFFSET;

/** The table hash of a name hash and a qtype. */
export function keyHash(nameHash: number, qtype: number): number {
  return Math.imul(nameHash ^ qtype, FNV_PRIME) >>> 0;
}

interface Slot<T> {
  readonly key: Uint8Array;
  readonly hash: number;
  readonly qtype: number;
  readonly value: T;
}

const MIN_CAPACITY = 1024;

export class NameTable<T> {
  private index = new Int32Array(MIN_CAPACITY);
  private entries: Slot<T>[] = [];
  private mask = MIN_CAPACITY - 1;

  get size(): number {
    return this.entries.length;
  }

  /** The value for the first `length` bytes of `key` and `qtype`; `hash` is keyHash() of them. */
  find(key: Uint8Array, length: number, hash: number, qtype: number): T | undefined {
    const index = this.index;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const at = index[i] ?? 0;
      if (at === 0) return undefined;
      const slot = this.entries[at - 1];
      if (slot !== undefined && slot.hash === hash && slot.qtype === qtype && sameBytes(slot.key, key, length)) return slot.value;
      i = (i + 1) & mask;
    }
  }

  /** Adds an entry (the caller found none for this key). `key` is kept, not copied. */
  insert(key: Uint8Array, hash: number, qtype: number, value: T): void {
    if ((this.entries.length + 1) * 2 > this.index.length) this.grow();
    this.entries.push({ key, hash, qtype, value });
    this.place(hash, this.entries.length);
  }

  clear(): void {
    this.entries = [];
    this.index = new Int32Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
  }

  private place(hash: number, position: number): void {
    let i = hash & this.mask;
    while ((this.index[i] ?? 0) !== 0) i = (i + 1) & this.mask;
    this.index[i] = position;
  }

  private grow(): void {
    const capacity = this.index.length * 2;
    this.index = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let p = 0; p < this.entries.length; p++) this.place(this.entries[p]?.hash ?? 0, p + 1);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array, length: number): boolean {
  if (a.length !== length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}
