import { describe, expect, it } from 'vitest';
import {
  formatResolverKey,
  IPV4_ADDRESS_KEY_BASE,
  ipv4Prefix24,
  ipv6Groups,
  resolverKeyForClient,
  resolverKeyFromAddress,
  resolverKeyFromEcs,
  resolverGroup,
  resolverGroupOfText,
} from '../../../report/resolver-key.js';

describe('resolver keys', () => {
  it('keys IPv4 sources by their whole address (one cache each) and groups them by /24', () => {
    const key = resolverKeyFromAddress('192.0.2.77');
    expect(key).toBe(IPV4_ADDRESS_KEY_BASE + ((192 << 24) >>> 0) + (2 << 8) + 77);
    expect(formatResolverKey(key)).toBe('192.0.2.77');
    expect(resolverGroup(key)).toBe('192.0.2.0/24');
    expect(resolverGroupOfText('192.0.2.77')).toBe('192.0.2.0/24');
    expect(resolverKeyFromAddress('192.0.2.77')).toBe(key);
    expect(resolverKeyFromAddress('192.0.2.1')).not.toBe(key);
    expect(resolverGroup(resolverKeyFromAddress('192.0.2.1'))).toBe(resolverGroup(key));
    expect(resolverKeyFromAddress('192.0.3.77')).not.toBe(key);
  });

  it('reads IPv4-mapped IPv6 sources as IPv4', () => {
    expect(resolverKeyFromAddress('::ffff:192.0.2.9')).toBe(resolverKeyFromAddress('192.0.2.9'));
  });

  it('refuses what is not a dotted quad', () => {
    for (const bad of ['192.0.2', '192.0.2.256', '1.2.3.4.5', 'a.b.c.d', '', '1..2.3']) expect(ipv4Prefix24(bad)).toBe(-1);
  });

  it('cuts global IPv6 sources to a numeric /56 and prints it back', () => {
    const key = resolverKeyFromAddress('2001:db8:aa:bbcc::53');
    expect(typeof key).toBe('number');
    expect(formatResolverKey(key)).toBe('2001:db8:aa:bb00::/56');
    expect(resolverKeyFromAddress('2001:db8:aa:bbff:1::1')).toBe(key);
    expect(resolverKeyFromAddress('2001:db8:aa:cc00::1')).not.toBe(key);
  });

  it('keeps non-global IPv6 as text', () => {
    expect(resolverKeyFromAddress('fd00:1:2:3::1')).toBe('fd00:1:2::/56');
    expect(resolverKeyFromAddress('::1')).toBe('::/56');
  });

  it('parses the compressed forms', () => {
    expect(ipv6Groups('2001:db8::1')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('2001:db8::')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ipv6Groups('1::2::3')).toBeUndefined();
    expect(ipv6Groups('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  });

  it('uses the ECS subnet when the query has one', () => {
    expect(formatResolverKey(resolverKeyFromEcs(4, '198.51.100.0', 24))).toBe('198.51.100.0/24');
    expect(resolverKeyFromEcs(4, '198.51.100.0', 20)).toBe('198.51.96.0/20');
    expect(formatResolverKey(resolverKeyFromEcs(6, '2001:db8:1:200::', 56))).toBe('2001:db8:1:200::/56');
    expect(resolverKeyFromEcs(6, '2001:db8:1::', 48)).toBe('2001:db8:1::/48');
  });

  it('reads ECS straight from its wire bytes', () => {
    const v4 = resolverKeyForClient({ address: '203.0.113.5', ecs: { family: 1, sourcePrefix: 24, address: Uint8Array.from([198, 51, 100]) } });
    expect(formatResolverKey(v4)).toBe('198.51.100.0/24');
    const v6 = resolverKeyForClient({ address: '203.0.113.5', ecs: { family: 2, sourcePrefix: 56, address: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 1, 2]) } });
    expect(formatResolverKey(v6)).toBe('2001:db8:1:200::/56');
    expect(resolverKeyForClient({ address: '203.0.113.5' })).toBe(resolverKeyFromAddress('203.0.113.5'));
  });
});
