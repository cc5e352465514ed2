import { describe, expect, it } from 'vitest';
import { parseTextName, readName } from '../../../dns/wire/names.js';
import { isSubdomain as isAtOrBelow, labelStartsOf, lowerName } from '../../../zones/names.js';
import { labelsToText } from '../../../bench/lib/dns-decode.js';
import { formatIPv6 as bytesToIpv6, ipv4Bytes as ipv4ToBytes, ipv6Bytes as ipv6ToBytes } from '../../../lib/ip.js';
import { ZoneRegistry } from '../../../dns/zone-set.js';
import { RoundRobinSelector } from '../../helpers/round-robin-selector.js';
import { zoneFromText } from '../../helpers/dns-zones.js';

describe('names', () => {
  it('reads a compressed name and reports where the record continues', () => {
    // "example.test." at 0, then "www" + pointer to 0 at 14.
    const buf = Buffer.from([7, ...Buffer.from('example'), 4, ...Buffer.from('test'), 0, 3, ...Buffer.from('WWW'), 0xc0, 0]);
    const r = readName(buf, 14);
    if (!r.ok) throw new Error(r.reason);
    expect(labelsToText(r.labels)).toBe('WWW.example.test.');
    expect(r.next).toBe(20);
    expect(r.wireLength).toBe(18);
  });

  it('round-trips escaped text through wire labels', () => {
    const parsed = parseTextName('a\\.b\\032c.Test.');
    expect(parsed?.labels.map((l) => [...l])).toEqual([[0x61, 0x2e, 0x62, 0x20, 0x63], [0x54, 0x65, 0x73, 0x74]]);
    expect(labelsToText(parsed?.labels ?? [])).toBe('a\\.b\\032c.Test.');
    expect(parseTextName('relative')).toBeUndefined();
    expect(parseTextName(`${'a'.repeat(64)}.`)).toBeUndefined();
  });

  it('splits labels at unescaped dots only', () => {
    expect(labelStartsOf('a\\.b.c.')).toEqual([0, 5]);
    expect(isAtOrBelow('www.example.test.', 'example.test.')).toBe(true);
    expect(isAtOrBelow('wwwexample.test.', 'example.test.')).toBe(false);
    expect(isAtOrBelow('a\\.example.test.', 'example.test.')).toBe(false);
    expect(isAtOrBelow('anything.', '.')).toBe(true);
  });

  it('folds ASCII case only', () => {
    expect(lowerName('WwW.ExAmple.\\200.')).toBe('www.example.\\200.');
  });
});

describe('addresses', () => {
  it('parses and prints IPv4 and IPv6', () => {
    expect([...(ipv4ToBytes('192.0.2.10') ?? [])]).toEqual([192, 0, 2, 10]);
    expect(ipv4ToBytes('192.0.2.256')).toBeUndefined();
    for (const text of ['2001:db8::10', '::', '::1', '2001:db8:0:1:1:1:1:1', '2001:db8::1:0:0:1', 'fe80::']) {
      expect(bytesToIpv6(ipv6ToBytes(text) ?? new Uint8Array(16))).toBe(text);
    }
    expect(bytesToIpv6(ipv6ToBytes('::ffff:192.0.2.1') ?? new Uint8Array(16))).toBe('::ffff:192.0.2.1');
    expect(ipv6ToBytes('1::2::3')).toBeUndefined();
    expect(ipv6ToBytes('1:2:3:4:5:6:7')).toBeUndefined();
  });
});

const zoneText = (ttl: number): string => `$TTL ${ttl}\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.1\n`;

describe('ZoneRegistry', () => {
  it('publishes immutable snapshots and finds the longest suffix', () => {
    const registry = new ZoneRegistry();
    const before = registry.snapshot();
    registry.replace(zoneFromText(zoneText(1), 'example.test.zone'));
    registry.replace(zoneFromText(zoneText(2), 'sub.example.test.zone'));
    const after = registry.snapshot();
    expect(before.find('www.example.test.')).toBeUndefined();
    expect(after.find('www.example.test.')?.origin).toBe('example.test.');
    expect(after.find('a.b.sub.example.test.')?.origin).toBe('sub.example.test.');
    expect(after.find('example.org.')).toBeUndefined();
    registry.replace(zoneFromText(zoneText(3), 'example.test.zone'));
    expect(registry.snapshot().find('example.test.')?.soa.ttl).toBe(3);
    expect(after.find('example.test.')?.soa.ttl).toBe(1);
    expect(registry.remove('sub.example.test.')).toBe(true);
    expect(registry.remove('sub.example.test.')).toBe(false);
    expect(registry.snapshot().find('a.sub.example.test.')?.origin).toBe('example.test.');
  });
});

describe('RoundRobinSelector', () => {
  it('rotates per pool and honours answers=N', () => {
    const zone = zoneFromText(`${zoneText(60)};@pool two answers=2\ntwo IN A 192.0.2.1\ntwo IN A 192.0.2.2\ntwo IN A 192.0.2.3\nall IN A 192.0.2.7\nall IN A 192.0.2.8\n`, 'example.test.zone');
    const two = zone.pools.find((p) => p.name === 'two.example.test.');
    const all = zone.pools.find((p) => p.name === 'all.example.test.');
    if (!two || !all) throw new Error('pools missing');
    const selector = new RoundRobinSelector();
    const client = { address: '127.0.0.1', family: 4 as const, transport: 'udp' as const };
    const picks = (pool: typeof two): string[] => {
      const s = selector.select(pool, client);
      return s.kind === 'answer' ? s.members.map((m) => m.address) : [];
    };
    expect(picks(two)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(picks(all)).toEqual(['192.0.2.7', '192.0.2.8']);
    expect(picks(two)).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(picks(two)).toEqual(['192.0.2.3', '192.0.2.1']);
    expect(picks(all)).toEqual(['192.0.2.8', '192.0.2.7']);
    expect(two.members.map((m) => m.address)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  });
});
