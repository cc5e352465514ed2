/**
 * Many deadlines on one timer: a binary min-heap of items by due time, and a single setTimeout for
 * the earliest. The checks scheduler keeps a round due for every probe target; a Node timer each
 * (a Timeout, its closure, and a timer list per distinct delay, as first rounds are spread at
 * random over the interval) cost ~400 bytes a target, 400 MB for the million targets of a zone
 * of 100,000 checked pools. Items due at the same time fire in the order they were scheduled, as
 * Node's timers do.
 */

/** What the queue keeps on each item (initialise with `unscheduled()`). */
export interface Due {
  /** When it is due (performance.now() time). */
  dueAt: number;
  /** Scheduling order: the tie-break between items due at the same time. */
  dueSeq: number;
  /** Its place in the heap, -1 when not scheduled. */
  heapAt: number;
}

export function unscheduled(): Due {
  return { dueAt: 0, dueSeq: 0, heapAt: -1 };
}

export class DueQueue<T extends Due> {
  private readonly heap: T[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (Infinity: none). */
  private timerAt = Number.POSITIVE_INFINITY;

  /** `fire` runs for each item that comes due, after it left the queue (it may schedule it again). */
  constructor(private readonly fire: (item: T) => void) {}

  get size(): number {
    return this.heap.length;
  }

  /** Makes `item` due `delayMs` from now, moving it if it was scheduled already. */
  schedule(item: T, delayMs: number): void {
    if (item.heapAt >= 0) this.removeAt(item.heapAt);
    item.dueAt = performance.now() + Math.max(0, delayMs);
    item.dueSeq = this.seq++;
    item.heapAt = this.heap.length;
    this.heap.push(item);
    this.up(item.heapAt);
    this.arm();
  }

  /** Takes `item` out of the queue (nothing when it is not in it). */
  cancel(item: T): void {
    if (item.heapAt < 0) return;
    this.removeAt(item.heapAt);
    if (this.heap.length === 0) this.disarm();
  }

  /** Empties the queue and stops its timer. */
  clear(): void {
    for (const item of this.heap) item.heapAt = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private readonly run = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    // Only what was scheduled before this run: an item fire() makes due at once waits for the
    // next timer (a clock that does not move, as under fake timers, would loop here for ever).
    const scheduledBefore = this.seq;
    for (let top = this.heap[0]; top !== undefined && top.dueAt <= now && top.dueSeq < scheduledBefore; top = this.heap[0]) {
      this.removeAt(0);
      this.fire(top);
    }
    this.arm();
  };

  /** One timer, for the earliest item (re-armed only when that moved earlier). */
  private arm(): void {
    const first = this.heap[0];
    if (first === undefined) return;
    if (this.timer !== undefined && this.timerAt <= first.dueAt) return;
    this.disarm();
    // Node's timers count whole milliseconds and may fire a fraction early: run() then re-arms.
    const delay = Math.max(1, Math.ceil(first.dueAt - performance.now()));
    this.timerAt = first.dueAt;
    this.timer = setTimeout(this.run, delay);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private removeAt(i: number): void {
    const heap = this.heap;
    const item = heap[i];
    const last = heap.pop();
    if (item === undefined || last === undefined) return;
    item.heapAt = -1;
    if (last === item) return;
    heap[i] = last;
    last.heapAt = i;
    this.down(i);
    this.up(last.heapAt);
  }

  private before(a: T, b: T): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.dueSeq < b.dueSeq);
  }

  private up(i: number): void {
    const heap = this.heap;
    const item = heap[i] as T;
    while (i > 0) {
      const parentAt = (i - 1) >> 1;
      const parent = heap[parentAt] as T;
      if (!this.before(item, parent)) break;
      heap[i] = parent;
      parent.heapAt = i;
      i = parentAt;
    }
    heap[i] = item;
    item.heapAt = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i] as T;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(heap[right] as T, heap[left] as T) ? right : left;
      const next = heap[child] as T;
      if (!this.before(next, item)) break;
      heap[i] = next;
      next.heapAt = i;
      i = child;
    }
    heap[i] = item;
    item.heapAt = i;
  }
}
