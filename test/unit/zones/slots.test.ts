import { describe, expect, it } from 'vitest';
import { LazySlots } from '../../../zones/slots.js';

describe('LazySlots', () => {
  it('is empty until set, across blocks, with no cost up front', () => {
    const slots = new LazySlots<{ n: number }>(1_000_003);
    expect(slots.length).toBe(1_000_003);
    for (const i of [0, 1023, 1024, 500_000, 1_000_002]) expect(slots.get(i)).toBeUndefined();
    for (const i of [0, 1023, 1024, 500_000, 1_000_002]) slots.set(i, { n: i });
    for (const i of [0, 1023, 1024, 500_000, 1_000_002]) expect(slots.get(i)).toEqual({ n: i });
    expect(slots.get(1022)).toBeUndefined();
    expect(slots.get(1025)).toBeUndefined();
    expect(slots.get(-1)).toBeUndefined();
    expect(slots.get(2_000_000)).toBeUndefined();
  });
});
