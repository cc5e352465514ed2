import { describe, expect, it } from 'vitest';
import { formatIPv6, ipFamily, ipv4Bytes, ipv6Bytes, isV4Mapped, maskPrefix, parseIPv6Into, prefixHex, withoutZoneId } from '../../../lib/ip.js';

describe('lib/ip', () => {
  it('parses IPv6 text into octets, with "::" anywhere and an embedded dotted quad', () => {
    expect([...(ipv6Bytes('2001:db8::1') ?? [])]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...(ipv6Bytes('::') ?? [])]).toEqual(new Array(16).fill(0));
    expect([...(ipv6Bytes('1::') ?? [])].slice(0, 2)).toEqual([0, 1]);
    expect([...(ipv6Bytes('::ffff:192.0.2.1') ?? [])].slice(10)).toEqual([0xff, 0xff, 192, 0, 2, 1]);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', ':1::', '1:', '12345::', 'fe80::1%eth0', '1:2:3:4:5:6:7:1.2.3.4', '::01.2.3.4']) {
      expect(ipv6Bytes(bad), bad).toBeUndefined();
    }
  });

  it('reuses a caller buffer, leaving no stale octets behind', () => {
    const out = new Uint8Array(16).fill(0xaa);
    expect(parseIPv6Into('1:2::8', out)).toBe(true);
    expect(formatIPv6(out)).toBe('1:2::8');
  });

  it('parses strict dotted quads only', () => {
    expect([...(ipv4Bytes('192.0.2.10') ?? [])]).toEqual([192, 0, 2, 10]);
    for (const bad of ['192.0.2.256', '192.0.2', '192.0.02.1', '1.2.3.4.5', '1..2.3']) expect(ipv4Bytes(bad), bad).toBeUndefined();
  });

  it('formats RFC 5952 text: longest zero run, first of equals, no single-group "::", mapped IPv4 dotted', () => {
    const cases: [string, string][] = [
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'],
    ];
    for (const [text, canonical] of cases) expect(formatIPv6(ipv6Bytes(text) ?? new Uint8Array(16))).toBe(canonical);
  });

  it('masks prefixes and writes prefix hex', () => {
    const bytes = ipv6Bytes('2001:db8:1234:5678::1') ?? new Uint8Array(16);
    expect(prefixHex(bytes, 56)).toBe('20010db8123456');
    expect(formatIPv6(maskPrefix(bytes, 52))).toBe('2001:db8:1234:5000::');
    expect(prefixHex(ipv4Bytes('192.0.2.77') ?? new Uint8Array(4), 25, 0, 4)).toBe('c0000200');
    expect(isV4Mapped(ipv6Bytes('::ffff:10.0.0.1') ?? new Uint8Array(16))).toBe(true);
  });

  it('tells the family, accepting a zone id on IPv6', () => {
    expect(ipFamily('192.0.2.1')).toBe(4);
    expect(ipFamily('fe80::1%eth0')).toBe(6);
    expect(ipFamily('example.com')).toBeUndefined();
    expect(withoutZoneId('fe80::1%2')).toBe('fe80::1');
  });
});
