/** Presentation format, as dig prints records. */
import { describe, expect, it } from 'vitest';
import { formatRecord, quoteString } from '../../helpers/zone-present.js';
import { RRType, type Rdata, type ResourceRecord } from '../../../model/zone.js';

function rr(type: number, rdata: Rdata, display = 'www.Example.test.'): ResourceRecord {
  return { name: display.toLowerCase(), display, type, ttl: 20, rdata, source: { file: 'x', line: 1, column: 1 } };
}
const bytes = (s: string) => new TextEncoder().encode(s);

describe('formatRecord', () => {
  it.each([
    [rr(RRType.A, { kind: 'A', address: '192.0.2.10' }), 'www.Example.test. 20 IN A 192.0.2.10'],
    [rr(RRType.AAAA, { kind: 'AAAA', address: '2001:db8::10' }), 'www.Example.test. 20 IN AAAA 2001:db8::10'],
    [rr(RRType.NS, { kind: 'NS', host: 'ns1.example.test.' }), 'www.Example.test. 20 IN NS ns1.example.test.'],
    [rr(RRType.CNAME, { kind: 'CNAME', target: 'Web.example.test.' }), 'www.Example.test. 20 IN CNAME Web.example.test.'],
    [rr(RRType.PTR, { kind: 'PTR', target: 'www.example.test.' }), 'www.Example.test. 20 IN PTR www.example.test.'],
    [rr(RRType.MX, { kind: 'MX', preference: 10, exchange: 'mail.example.test.' }), 'www.Example.test. 20 IN MX 10 mail.example.test.'],
    [rr(RRType.SRV, { kind: 'SRV', priority: 1, weight: 2, port: 443, target: '.' }), 'www.Example.test. 20 IN SRV 1 2 443 .'],
    [rr(RRType.TXT, { kind: 'TXT', strings: [bytes('a "b"'), bytes('c\\d'), Uint8Array.of(0, 9, 255)] }), 'www.Example.test. 20 IN TXT "a \\"b\\"" "c\\\\d" "\\000\\009\\255"'],
    [rr(RRType.CAA, { kind: 'CAA', flags: 0, tag: 'issue', value: bytes('ca.example.org') }), 'www.Example.test. 20 IN CAA 0 issue "ca.example.org"'],
    [
      rr(RRType.SOA, { kind: 'SOA', mname: 'ns1.example.test.', rname: 'h.example.test.', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 }),
      'www.Example.test. 20 IN SOA ns1.example.test. h.example.test. 1 2 3 4 5',
    ],
    [rr(65280, { kind: 'generic', data: Uint8Array.of(0xab, 0xcd, 0xef) }), 'www.Example.test. 20 IN TYPE65280 \\# 3 abcdef'],
    [rr(65280, { kind: 'generic', data: new Uint8Array(0) }), 'www.Example.test. 20 IN TYPE65280 \\# 0'],
  ])('case %#', (record, text) => {
    expect(formatRecord(record)).toBe(text);
  });

  it('quotes the empty string', () => {
    expect(quoteString(new Uint8Array(0))).toBe('""');
  });
});
