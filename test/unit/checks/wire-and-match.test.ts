import { describe, expect, it } from 'vitest';
import { dnsCheckQuery, qtypeValue } from '../../../checks/dns.js';
import { rcodeName, rcodeValue } from '../../../model/rcode.js';
import { hostHeader, loadFromJsonBody, parseLoad, sniName, statusAccepted } from '../../../checks/http-match.js';
import { parsePingRtt, pingArgs } from '../../../checks/icmp.js';

describe('dns check query and mnemonics', () => {
  it('builds a one-question query with dns2 (RFC 1035 §4.1), RD clear', () => {
    const q = dnsCheckQuery(0xbeef, 'www.example.org.', 28);
    expect(q.toString('hex')).toBe(
      'beef' + '0000' + '0001' + '0000' + '0000' + '0000' + '03777777076578616d706c65036f726700' + '001c' + '0001',
    );
    expect(dnsCheckQuery(1, '.', 6).subarray(12).toString('hex')).toBe('00' + '0006' + '0001');
  });

  it('refuses over-long labels', () => {
    expect(() => dnsCheckQuery(1, `${'a'.repeat(64)}.example.org.`, 1)).toThrow();
  });

  it('maps type and rcode mnemonics', () => {
    expect([qtypeValue('a'), qtypeValue('SOA'), qtypeValue('TYPE65'), qtypeValue('nope')]).toEqual([1, 6, 65, undefined]);
    expect([rcodeValue('noerror'), rcodeValue('NXDOMAIN'), rcodeValue('5'), rcodeValue('16'), rcodeValue('x')]).toEqual([0, 3, 5, undefined, undefined]);
    expect([rcodeName(2), rcodeName(14)]).toEqual(['SERVFAIL', undefined]);
  });
});

describe('http matching', () => {
  it('accepts statuses inside any range', () => {
    const expect_ = [[200, 204], [301, 301]] as const;
    expect([200, 204, 205, 301, 302].map((s) => statusAccepted(s, expect_))).toEqual([true, true, false, true, false]);
  });

  it('parses loads from numbers and numeric strings only', () => {
    expect([parseLoad('0.5'), parseLoad(' 12 '), parseLoad(['3', '4']), parseLoad(''), parseLoad('x'), parseLoad(Infinity)]).toEqual([
      0.5, 12, 3, undefined, undefined, undefined,
    ]);
  });

  it('follows dotted JSON paths', () => {
    const body = JSON.stringify({ a: { b: [{ c: '1.5' }] }, n: null });
    expect(loadFromJsonBody(body, 'a.b.0.c')).toBe(1.5);
    expect(loadFromJsonBody(body, 'a.b.1.c')).toBeUndefined();
    expect(loadFromJsonBody(body, 'n.x')).toBeUndefined();
    expect(loadFromJsonBody('not json', 'a')).toBeUndefined();
    expect(loadFromJsonBody(body, 'a.constructor')).toBeUndefined();
  });

  it('builds Host with a non-default port and bracketed IPv6', () => {
    expect(hostHeader('www.example.org', '192.0.2.10', 80, false)).toBe('www.example.org');
    expect(hostHeader(undefined, '192.0.2.10', 8080, false)).toBe('192.0.2.10:8080');
    expect(hostHeader(undefined, '2001:db8::1', 443, true)).toBe('[2001:db8::1]');
    expect(hostHeader(undefined, '2001:db8::1', 8443, true)).toBe('[2001:db8::1]:8443');
  });

  it('never uses an IP literal as SNI', () => {
    expect([sniName('www.example.org'), sniName('192.0.2.1'), sniName('2001:db8::1'), sniName(undefined)]).toEqual([
      'www.example.org', undefined, undefined, undefined,
    ]);
  });
});

describe('ping', () => {
  it('builds arguments per family with whole seconds', () => {
    expect(pingArgs('192.0.2.1', 500)).toEqual(['-n', '-c', '1', '-W', '1', '192.0.2.1']);
    expect(pingArgs('2001:db8::1', 2500)).toEqual(['-6', '-n', '-c', '1', '-W', '3', '2001:db8::1']);
  });

  it('reads the rtt from iputils output', () => {
    expect(parsePingRtt('64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.212 ms\n')).toBe(0.212);
    expect(parsePingRtt('64 bytes from 192.0.2.1: icmp_seq=1 ttl=64 time<1 ms')).toBe(1);
    expect(parsePingRtt('1 packets transmitted, 0 received, 100% packet loss')).toBeUndefined();
  });
});
