/**
 * The soak's memory watch on one DNS server: RSS from /proc every second, and the V8 heap
 * (`nodejs_heap_size_used_bytes`) plus external memory (`nodejs_external_memory_bytes`, Buffers)
 * from the server's own /metrics.
 *
 * RSS is a poor leak signal: V8 grows its heap spaces in steps and gives pages back lazily, so
 * RSS climbs for many minutes and levels off well above its warm-up figure with nothing retained.
 * (Measured for issue 7 on Node 20: under the soak's load the young generation doubles 2 → 4 → 8 →
 * 16 → 32 MB over about ten minutes and old space settles near 18 MB, about +25 MB of RSS, while
 * heap snapshots at 2 and 10 minutes hold the same objects within 0.4 MB, mostly JIT code.)
 * Heap used is a sawtooth (allocation, then collection); its lowest points track what survives
 * a collection, i.e. what is retained. So the verdict compares the lowest heap-used sample in a
 * window just after the warm-up with the lowest in the last window of the run.
 */
import { readFile } from 'node:fs/promises';

export interface HeapSample {
  readonly atMs: number;
  readonly heapUsed: number;
  readonly external: number;
  /** Every process/V8 memory figure of the page (heap total, per-space sizes, RSS), for --memory-log. */
  readonly figures: Readonly<Record<string, number>>;
}

/** Heap (used + external) may grow this much between the two windows: max(share × baseline, bytes). */
export const HEAP_GROWTH_MAX_SHARE = 0.15;
export const HEAP_GROWTH_MAX_BYTES = 4 * 1024 * 1024;

export async function rssKb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb);
  } catch {
    return undefined;
  }
}

/** Heap used and external bytes from a prom-client /metrics page; undefined when unreachable. */
export async function heapFromMetrics(url: string, atMs: number): Promise<HeapSample | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    const value = (name: string): number | undefined => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1];
      return m === undefined ? undefined : Number(m);
    };
    const heapUsed = value('nodejs_heap_size_used_bytes');
    const external = value('nodejs_external_memory_bytes');
    const figures: Record<string, number> = {};
    for (const m of text.matchAll(/^((?:nodejs_heap|nodejs_external|process_resident)\w*)(?:\{space="(\w+)"\})? (\S+)$/gm)) {
      figures[m[2] === undefined ? (m[1] ?? '') : `${m[1] ?? ''}:${m[2]}`] = Number(m[3]);
    }
    return heapUsed === undefined ? undefined : { atMs, heapUsed, external: external ?? 0, figures };
  } catch {
    return undefined;
  }
}

export interface MemoryRecord {
  /** RSS (kB) at the warm-up point, its peak and its last value. */
  warm: number | undefined;
  peak: number;
  final: number;
  readonly heap: HeapSample[];
}

export interface HeapVerdict {
  /** Lowest heap used + external in the window after warm-up, and in the last window (bytes). */
  readonly warmLow: number;
  readonly finalLow: number;
  readonly growth: number;
  readonly flat: boolean;
  /** The same two lows for heap used alone, for the printout. */
  readonly warmHeapLow: number;
  readonly finalHeapLow: number;
}

/**
 * Compares the retained-heap estimate (minimum of heap used + external over `windowMs`) just after
 * the warm-up with the one over the last `windowMs` before `endAtMs`. Undefined when either window
 * has no sample.
 */
export function heapVerdict(samples: readonly HeapSample[], warmAtMs: number, endAtMs: number, windowMs: number): HeapVerdict | undefined {
  const low = (from: number, to: number, pick: (s: HeapSample) => number): number | undefined => {
    let min: number | undefined;
    for (const s of samples) if (s.atMs >= from && s.atMs <= to) min = Math.min(min ?? Infinity, pick(s));
    return min;
  };
  const total = (s: HeapSample) => s.heapUsed + s.external;
  const warmLow = low(warmAtMs, warmAtMs + windowMs, total);
  const finalLow = low(endAtMs - windowMs, endAtMs, total);
  const warmHeapLow = low(warmAtMs, warmAtMs + windowMs, (s) => s.heapUsed);
  const finalHeapLow = low(endAtMs - windowMs, endAtMs, (s) => s.heapUsed);
  if (warmLow === undefined || finalLow === undefined || warmHeapLow === undefined || finalHeapLow === undefined) return undefined;
  const growth = finalLow - warmLow;
  return { warmLow, finalLow, growth, flat: growth <= Math.max(HEAP_GROWTH_MAX_SHARE * warmLow, HEAP_GROWTH_MAX_BYTES), warmHeapLow, finalHeapLow };
}
