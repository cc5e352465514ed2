/**
 * A fixed number of slots, each empty until set, allocated a block at a time on first use.
 *
 * Why: `new Array(n)` for the decode caches of a large zone (one slot per name and per pool) costs
 * milliseconds on the query thread when the zone is swapped in (about 3 ms for 100,000 slots, 40 ms
 * for a million, mostly fresh pages), and most slots of a large zone are never used. Here a new
 * zone costs one small array of block references; a block of 1,024 slots is made when one of its
 * slots is first set.
 */
const BLOCK_BITS = 10;
const BLOCK = 1 << BLOCK_BITS;

export class LazySlots<T> {
  private readonly blocks: ((T | undefined)[] | undefined)[];

  constructor(readonly length: number) {
    this.blocks = new Array<(T | undefined)[] | undefined>(Math.ceil(length / BLOCK)).fill(undefined);
  }

  get(i: number): T | undefined {
    return this.blocks[i >>> BLOCK_BITS]?.[i & (BLOCK - 1)];
  }

  /** `i` in 0..length-1 (the caller checks: these are row indices of a compact zone). */
  set(i: number, value: T): void {
    const b = i >>> BLOCK_BITS;
    let block = this.blocks[b];
    if (!block) {
      block = new Array<T | undefined>(BLOCK).fill(undefined);
      this.blocks[b] = block;
    }
    block[i & (BLOCK - 1)] = value;
  }
}
