/**
 * Issue 7 ("memory flat"): the soak judges memory on the retained heap (the floor of the heap-used
 * sawtooth), not on RSS or heap peaks, which grow with V8's heap sizing while nothing leaks.
 */
import { describe, expect, it } from 'vitest';
import { heapVerdict, type HeapSample } from '../../../bench/soak/memory.js';

const MB = 1024 * 1024;

/** One sample every 2 s for `seconds`: a sawtooth from `floor(t)` up to `floor(t) + peak(t)`, one tooth a minute. */
function sawtooth(seconds: number, floor: (t: number) => number, peak: (t: number) => number): HeapSample[] {
  const out: HeapSample[] = [];
  for (let t = 0; t <= seconds; t += 2) {
    const phase = (t % 60) / 60;
    out.push({ atMs: t * 1000, heapUsed: floor(t) + phase * peak(t), external: 2.5 * MB, figures: {} });
  }
  return out;
}

describe('issue 7: soak heap verdict', () => {
  it('is flat when only the peaks grow (V8 allocating more between collections)', () => {
    const samples = sawtooth(600, () => 12 * MB, (t) => (4 + t / 60) * MB);
    const v = heapVerdict(samples, 120_000, 600_000, 90_000);
    expect(v?.flat).toBe(true);
    expect(v?.warmHeapLow).toBe(12 * MB);
    expect(v?.finalHeapLow).toBe(12 * MB);
  });

  it('is growing when the floor rises (objects retained)', () => {
    const samples = sawtooth(600, (t) => (12 + t / 60) * MB, () => 4 * MB);
    const v = heapVerdict(samples, 120_000, 600_000, 90_000);
    expect(v?.flat).toBe(false);
    expect((v?.growth ?? 0) / MB).toBeGreaterThan(5);
  });

  it('is undefined without samples in a window', () => {
    expect(heapVerdict([], 120_000, 600_000, 90_000)).toBeUndefined();
  });
});
