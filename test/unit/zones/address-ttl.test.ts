/** Address and TTL syntax. */
import { describe, expect, it } from 'vitest';
import { parseAddress, parseIPv4, parseIPv6 } from '../../../lib/ip.js';
import { parseTtl } from '../../../zones/ttl.js';

describe('IPv4', () => {
  it.each(['0.0.0.0', '192.0.2.1', '255.255.255.255'])('accepts %s', (a) => expect(parseIPv4(a)).toBe(a));
  it.each(['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..3.4', '1.2.3.4 ', 'a.b.c.d', ''])('refuses "%s"', (a) => expect(parseIPv4(a)).toBeUndefined());
});

describe('IPv6 (RFC 5952 output)', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ])('%s → %s', (input, output) => expect(parseIPv6(input)).toBe(output));
  it.each([':', ':::', '1:2', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::1.2.3', 'g::1', '1:2:3:4:5:6:7:8::', 'fe80::1%eth0', ':1::', '1:'])('refuses "%s"', (a) =>
    expect(parseIPv6(a)).toBeUndefined(),
  );
  it('parseAddress tells the family', () => {
    expect(parseAddress('192.0.2.1')).toEqual({ address: '192.0.2.1', family: 4 });
    expect(parseAddress('2001:DB8::1')).toEqual({ address: '2001:db8::1', family: 6 });
    expect(parseAddress('host')).toBeUndefined();
  });
});

describe('TTL', () => {
  it.each([
    ['0', 0],
    ['300', 300],
    ['1h30m', 5400],
    ['1H30M', 5400],
    ['2w', 1_209_600],
    ['1d2h3m4s', 93_784],
    ['4294967296', 4_294_967_296],
  ])('%s = %i', (t, s) => expect(parseTtl(t)).toBe(s));
  it.each(['', 'h', '1x', '1h30', '-1', '1.5h', ' 1'])('refuses "%s"', (t) => expect(parseTtl(t)).toBe(-1));
});
