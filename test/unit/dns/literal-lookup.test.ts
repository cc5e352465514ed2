import { describe, expect, it } from 'vitest';
import { literalFirstLookup } from '../../../dns/literal-lookup.js';

describe('literalFirstLookup', () => {
  it('answers an address literal at once, with no tick in between', () => {
    const seen: [string, number][] = [];
    literalFirstLookup('192.0.2.7', 4, (err, address, family) => {
      expect(err).toBeNull();
      seen.push([address, family]);
    });
    literalFirstLookup('2001:db8::1', 6, (_err, address, family) => seen.push([address, family]));
    // Synchronous: dns.lookup would call back on the next tick, after this line.
    expect(seen).toEqual([
      ['192.0.2.7', 4],
      ['2001:db8::1', 6],
    ]);
  });

  it('still resolves a name through dns.lookup', async () => {
    const { address, family } = await new Promise<{ address: string; family: number }>((resolve, reject) =>
      literalFirstLookup('localhost', 4, (err, a, f) => (err ? reject(err) : resolve({ address: a, family: f }))),
    );
    expect(family).toBe(4);
    expect(address).toMatch(/^127\./);
  });
});
