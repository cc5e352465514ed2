/**
 * Master-file syntax: directives, inheritance of owner/TTL/class, TTL units, parentheses,
 * comments, strings, escapes, every supported type, RFC 3597 generic rdata, and error recovery.
 */
import { describe, expect, it } from 'vitest';
import { RRType } from '../../../model/zone.js';
import { formatRecord } from '../../helpers/zone-present.js';
import { parseZoneText } from '../../../zones/load.js';
import { HEAD, codeLines, loadErrors, loadOk, records } from './helpers.js';

describe('valid records', () => {
  const cases: [string, string, string[]][] = [
    ['relative owner', 'www IN A 192.0.2.10', ['www.example.test. 300 IN A 192.0.2.10']],
    ['absolute owner', 'www.example.test. IN A 192.0.2.10', ['www.example.test. 300 IN A 192.0.2.10']],
    ['@ owner', '@ IN TXT "apex"', ['example.test. 300 IN TXT "apex"']],
    ['TTL before class', 'www 60 IN A 192.0.2.10', ['www.example.test. 60 IN A 192.0.2.10']],
    ['class before TTL', 'www IN 60 A 192.0.2.10', ['www.example.test. 60 IN A 192.0.2.10']],
    ['no class', 'www 60 A 192.0.2.10', ['www.example.test. 60 IN A 192.0.2.10']],
    ['CLASS1 is IN', 'www CLASS1 A 192.0.2.10', ['www.example.test. 300 IN A 192.0.2.10']],
    ['lowercase class and type', 'www in a 192.0.2.10', ['www.example.test. 300 IN A 192.0.2.10']],
    ['TTL units', 'www 1h30m IN A 192.0.2.10', ['www.example.test. 5400 IN A 192.0.2.10']],
    ['TTL units upper case', 'www 2W IN A 192.0.2.10', ['www.example.test. 1209600 IN A 192.0.2.10']],
    ['TTL of a day', 'www 1d A 192.0.2.10', ['www.example.test. 86400 IN A 192.0.2.10']],
    ['TTL zero', 'www 0 A 192.0.2.10', ['www.example.test. 0 IN A 192.0.2.10']],
    ['TTL maximum (RFC 2181 §8)', 'www 2147483647 A 192.0.2.10', ['www.example.test. 2147483647 IN A 192.0.2.10']],
    ['AAAA compressed', 'www AAAA 2001:DB8:0:0:0:0:0:10', ['www.example.test. 300 IN AAAA 2001:db8::10']],
    ['AAAA IPv4-mapped', 'www AAAA ::ffff:192.0.2.1', ['www.example.test. 300 IN AAAA ::ffff:192.0.2.1']],
    ['CNAME relative target', 'ftp CNAME www', ['ftp.example.test. 300 IN CNAME www.example.test.']],
    ['CNAME out-of-zone target', 'ftp CNAME www.example.org.', ['ftp.example.test. 300 IN CNAME www.example.org.']],
    ['MX', '@ MX 10 mail', ['example.test. 300 IN MX 10 mail.example.test.']],
    ['SRV', '_http._tcp SRV 10 5 80 www', ['_http._tcp.example.test. 300 IN SRV 10 5 80 www.example.test.']],
    ['SRV root target', '_x._tcp SRV 0 0 0 .', ['_x._tcp.example.test. 300 IN SRV 0 0 0 .']],
    ['PTR', '10 PTR www.example.test.', ['10.example.test. 300 IN PTR www.example.test.']],
    ['TXT several strings', 'txt TXT "a b" c "d"', ['txt.example.test. 300 IN TXT "a b" "c" "d"']],
    ['TXT escapes', 'txt TXT "say \\"hi\\"" "semi\\;colon" "back\\\\slash" "\\065\\066"', ['txt.example.test. 300 IN TXT "say \\"hi\\"" "semi;colon" "back\\\\slash" "AB"']],
    ['TXT UTF-8 shown as \\DDD', 'txt TXT "é"', ['txt.example.test. 300 IN TXT "\\195\\169"']],
    ['TXT empty string', 'txt TXT ""', ['txt.example.test. 300 IN TXT ""']],
    ['TXT semicolon inside quotes is not a comment', 'txt TXT "a;b"', ['txt.example.test. 300 IN TXT "a;b"']],
    ['CAA', '@ CAA 0 issue "ca.example.org"', ['example.test. 300 IN CAA 0 issue "ca.example.org"']],
    ['CAA unquoted value', '@ CAA 128 iodef mailto:security@example.org', ['example.test. 300 IN CAA 128 iodef "mailto:security@example.org"']],
    ['generic unknown type', 'x TYPE65280 \\# 3 abcdef', ['x.example.test. 300 IN TYPE65280 \\# 3 abcdef']],
    ['generic hex split over tokens', 'x TYPE65280 \\# 4 ab cd EF 01', ['x.example.test. 300 IN TYPE65280 \\# 4 abcdef01']],
    ['generic empty', 'x TYPE65280 \\# 0', ['x.example.test. 300 IN TYPE65280 \\# 0']],
    ['generic for a known type (RFC 3597 §5)', 'x A \\# 4 C0000201', ['x.example.test. 300 IN A 192.0.2.1']],
    ['TYPE1 is A', 'x TYPE1 192.0.2.1', ['x.example.test. 300 IN A 192.0.2.1']],
    ['generic MX decoded', 'x MX \\# 8 000a046d61696c00', ['x.example.test. 300 IN MX 10 mail.']],
    ['escaped dot in a label', 'a\\.b TXT x', ['a\\.b.example.test. 300 IN TXT "x"']],
    ['\\DDD in a name', '\\097bc TXT x', ['abc.example.test. 300 IN TXT "x"']],
    ['wildcard owner', '*.apps A 192.0.2.30', ['*.apps.example.test. 300 IN A 192.0.2.30']],
    ['display case kept', 'WWW A 192.0.2.10', ['WWW.example.test. 300 IN A 192.0.2.10']],
    ['comment after record', 'www A 192.0.2.10 ; web server', ['www.example.test. 300 IN A 192.0.2.10']],
    ['CRLF line ends', 'www A 192.0.2.10\r', ['www.example.test. 300 IN A 192.0.2.10']],
  ];
  it.each(cases)('%s', (_name, line, expected) => {
    const { zone } = loadOk(HEAD + line + '\n');
    const all = [...zone.nodes.values()].filter((n) => n.name !== 'example.test.' && n.name !== 'ns1.example.test.');
    const apexExtra = records(zone, 'example.test.').filter((r) => !/ (SOA|NS) /.test(r));
    expect([...apexExtra, ...all.flatMap((n) => records(zone, n.name))]).toEqual(expected);
  });
});

describe('inheritance', () => {
  it('takes a blank owner from the previous record', () => {
    const { zone } = loadOk(HEAD + 'www A 192.0.2.10\n    A 192.0.2.11\n    AAAA 2001:db8::1\n');
    expect(records(zone, 'www.example.test.')).toEqual([
      'www.example.test. 300 IN A 192.0.2.10',
      'www.example.test. 300 IN A 192.0.2.11',
      'www.example.test. 300 IN AAAA 2001:db8::1',
    ]);
  });

  it('uses $TTL when set, else the previous record TTL (as BIND does)', () => {
    const text = [
      '$ORIGIN example.test.',
      '@ 600 IN SOA ns1 hostmaster 1 7200 900 1209600 30',
      '  NS ns1',
      'ns1 A 192.0.2.53',
      '$TTL 60',
      'www A 192.0.2.10',
      'web 10 A 192.0.2.11',
      'api A 192.0.2.12',
    ].join('\n');
    const { zone } = loadOk(text);
    expect(zone.soa.ttl).toBe(600);
    expect(records(zone, 'example.test.', RRType.NS)).toEqual(['example.test. 600 IN NS ns1.example.test.']);
    expect(records(zone, 'ns1.example.test.')).toEqual(['ns1.example.test. 600 IN A 192.0.2.53']);
    expect(records(zone, 'www.example.test.')).toEqual(['www.example.test. 60 IN A 192.0.2.10']);
    expect(records(zone, 'api.example.test.')).toEqual(['api.example.test. 60 IN A 192.0.2.12']);
  });

  it('applies $ORIGIN to later relative names', () => {
    const { zone } = loadOk(HEAD + '$ORIGIN sub.example.test.\nwww A 192.0.2.10\n$ORIGIN example.test.\nweb A 192.0.2.11\n');
    expect(records(zone, 'www.sub.example.test.')).toHaveLength(1);
    expect(records(zone, 'web.example.test.')).toHaveLength(1);
  });

  it('accepts a relative $ORIGIN', () => {
    const { zone } = loadOk(HEAD + '$ORIGIN sub\nwww A 192.0.2.10\n');
    expect(records(zone, 'www.sub.example.test.')).toHaveLength(1);
  });

  it('derives the origin from the file name when there is no $ORIGIN', () => {
    const { zone } = loadOk('$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 5\n NS ns1\nns1 A 192.0.2.53\n');
    expect(zone.origin).toBe('example.test.');
  });

  it('takes the origin option over the file name', () => {
    const { zone } = loadOk('$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 5\n NS ns1\nns1 A 192.0.2.53\n', { origin: 'example.org' });
    expect(zone.origin).toBe('example.org.');
    expect(zone.nodes.has('ns1.example.org.')).toBe(true);
  });

  it('uses the SOA owner as the origin', () => {
    const { zone } = loadOk('$TTL 300\nExample.ORG. SOA ns1.example.org. h.example.org. 1 2 3 4 5\n NS ns1.example.org.\n');
    expect(zone.origin).toBe('example.org.');
    expect(zone.display).toBe('Example.ORG.');
  });
});

describe('layout', () => {
  it('joins lines inside parentheses, with comments between', () => {
    const text = [
      '$ORIGIN example.test.',
      '$TTL 300',
      '@ IN SOA ns1 hostmaster (',
      '      2026112101 ; serial',
      '      2h         ; refresh',
      '      15m 2w',
      '      30 )',
      '  IN NS ns1',
      'ns1 IN A 192.0.2.53',
      'txt TXT ( "one"',
      '  "two" )',
    ].join('\n');
    const { zone } = loadOk(text);
    expect(zone.soa.records.map(formatRecord)).toEqual(['example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2026112101 7200 900 1209600 30']);
    expect(records(zone, 'txt.example.test.')).toEqual(['txt.example.test. 300 IN TXT "one" "two"']);
  });

  it('keeps the source position of each record', () => {
    const { zone } = loadOk(HEAD + '\n\n   A 192.0.2.10\n');
    const rr = zone.nodes.get('ns1.example.test.')?.rrsets.get(RRType.A)?.records[0];
    expect(rr?.source).toEqual({ file: 'zones/example.test.zone', line: 5, column: 1 });
    // Indented: blank owner, so it belongs to ns1.
    const rr2 = zone.nodes.get('ns1.example.test.')?.rrsets.get(RRType.A)?.records[1];
    expect(rr2?.source).toEqual({ file: 'zones/example.test.zone', line: 8, column: 4 });
  });

  it('counts the records in size', () => {
    const { zone } = loadOk(HEAD + 'www A 192.0.2.10\n A 192.0.2.11\n');
    expect(zone.size).toBe(5);
  });
});

describe('invalid records', () => {
  // Each case is one bad line after the valid HEAD, so the error is on line 6.
  const cases: [string, string, string, number][] = [
    ['bad IPv4', 'www A 192.0.2.300', 'ZONE_BAD_IPV4', 7],
    ['IPv4 with leading zero', 'www A 192.0.2.010', 'ZONE_BAD_IPV4', 7],
    ['IPv4 with three parts', 'www A 192.0.2', 'ZONE_BAD_IPV4', 7],
    ['IPv6 in A', 'www A 2001:db8::1', 'ZONE_BAD_IPV4', 7],
    ['bad IPv6', 'www AAAA 2001:db8::1::2', 'ZONE_BAD_IPV6', 10],
    ['IPv6 with zone id', 'www AAAA fe80::1%eth0', 'ZONE_BAD_IPV6', 10],
    ['IPv6 too many groups', 'www AAAA 1:2:3:4:5:6:7:8:9', 'ZONE_BAD_IPV6', 10],
    ['unknown type', 'www HINFO "pc" "unix"', 'ZONE_UNKNOWN_TYPE', 5],
    ['meta type', 'www TYPE255 \\# 0', 'ZONE_BAD_TYPE', 5],
    ['OPT type', 'www TYPE41 \\# 0', 'ZONE_BAD_TYPE', 5],
    ['CH class', 'www CH A 192.0.2.1', 'ZONE_BAD_CLASS', 5],
    ['CLASS3', 'www CLASS3 A 192.0.2.1', 'ZONE_BAD_CLASS', 5],
    ['bad TTL unit', 'www 1x A 192.0.2.1', 'ZONE_BAD_TTL', 5],
    ['TTL number after unit', 'www 1h30 A 192.0.2.1', 'ZONE_BAD_TTL', 5],
    ['TTL above 2^31-1', 'www 2147483648 A 192.0.2.1', 'ZONE_TTL_RANGE', 5],
    ['missing rdata', 'www A', 'ZONE_MISSING_RDATA', 5],
    ['extra rdata', 'www A 192.0.2.1 192.0.2.2', 'ZONE_EXTRA_RDATA', 17],
    ['MX missing exchange', '@ MX 10', 'ZONE_MISSING_RDATA', 6],
    ['MX preference too large', '@ MX 65536 mail', 'ZONE_BAD_NUMBER', 6],
    ['SRV port not a number', '_s._tcp SRV 1 1 http www', 'ZONE_BAD_NUMBER', 17],
    ['TXT string over 255 octets', `t TXT "${'x'.repeat(256)}"`, 'ZONE_BAD_STRING', 7],
    ['TXT bad \\DDD', 't TXT "\\300"', 'ZONE_BAD_STRING', 7],
    ['CAA bad tag', '@ CAA 0 is-sue "x"', 'ZONE_BAD_RDATA', 9],
    ['generic length mismatch', 'x TYPE65280 \\# 3 abcd', 'ZONE_BAD_GENERIC', 16],
    ['generic bad hex', 'x TYPE65280 \\# 1 zz', 'ZONE_BAD_GENERIC', 18],
    ['generic A of wrong size', 'x A \\# 3 c00002', 'ZONE_BAD_GENERIC', 10],
    ['unknown type needs \\#', 'x TYPE65280 abc', 'ZONE_BAD_GENERIC', 13],
    ['empty label', 'a..b A 192.0.2.1', 'ZONE_BAD_NAME', 1],
    ['label over 63 octets', `${'a'.repeat(64)} A 192.0.2.1`, 'ZONE_LABEL_TOO_LONG', 1],
    ['name over 255 octets', `${Array(5).fill('a'.repeat(60)).join('.')} A 192.0.2.1`, 'ZONE_NAME_TOO_LONG', 1],
    ['bad escape in a name', 'a\\25 A 192.0.2.1', 'ZONE_BAD_NAME', 1],
    ['unterminated string', 't TXT "abc', 'ZONE_UNTERMINATED_STRING', 7],
    ['unknown directive', '$GENERATE 1-2 x$ A 192.0.2.$', 'ZONE_UNKNOWN_DIRECTIVE', 1],
    ['$TTL without value', '$TTL', 'ZONE_BAD_DIRECTIVE', 1],
    ['$ORIGIN with two names', '$ORIGIN a. b.', 'ZONE_BAD_DIRECTIVE', 12],
    ['stray close parenthesis', 'www A 192.0.2.1 )', 'ZONE_UNBALANCED_PAREN', 17],
  ];
  it.each(cases)('%s', (_name, line, code, column) => {
    const errors = loadErrors(HEAD + line + '\n');
    expect(codeLines(errors)).toEqual([`${code}@6`]);
    expect(errors[0]?.column).toBe(column);
    expect(errors[0]?.message.startsWith(`zones/example.test.zone:6:${column}: `)).toBe(true);
  });

  it('formats the message as file:line:column: what is wrong', () => {
    const errors = loadErrors(HEAD + 'www  20 IN A 192.0.2.300\n');
    expect(errors[0]?.message).toBe('zones/example.test.zone:6:14: bad IPv4 address "192.0.2.300" in A record');
    expect(errors[0]?.token).toBe('192.0.2.300');
    expect(errors[0]?.name).toBe('ZoneSyntaxError');
  });

  it('reports a record with a blank owner first in the file', () => {
    expect(codeLines(loadErrors('  A 192.0.2.1\n'))).toContain('ZONE_NO_OWNER@1');
  });

  it('reports a record with no TTL anywhere', () => {
    const errors = loadErrors('$ORIGIN example.test.\n@ SOA ns1 hostmaster 1 2 3 4 5\n');
    expect(codeLines(errors)).toEqual(['ZONE_NO_TTL@2']);
  });

  it('reports a relative name when no origin is known', () => {
    // A file name that is not a domain name gives no origin.
    const r = parseZoneText('$TTL 1\nwww A 192.0.2.1\n@ NS ns1.example.test.\n', 'zones/.zone');
    expect(r.ok ? [] : codeLines(r.errors)).toEqual(['ZONE_NO_SOA@1', 'ZONE_NO_ORIGIN@2', 'ZONE_NO_ORIGIN@3']);
  });

  it('reports a "(" never closed at its position', () => {
    const errors = loadErrors(HEAD + 't TXT ( "a"\n"b"\n');
    expect(codeLines(errors)).toEqual(['ZONE_UNBALANCED_PAREN@6']);
    expect(errors[0]?.column).toBe(7);
  });
});

describe('error recovery', () => {
  it('reports exactly the three errors of a file with three errors, with their lines', () => {
    const text = [
      '$ORIGIN example.test.', //            1
      '$TTL 300', //                         2
      '@ IN SOA ns1 hostmaster 1 2 3 4 5', // 3
      '  IN NS ns1', //                      4
      'ns1 IN A 192.0.2.53', //              5
      'www IN A 192.0.2.256', //             6  bad address
      'www IN A 192.0.2.11', //              7
      'txt IN TXT ( "a"', //                 8
      '   "b" 12345x )', //                  9  fine: unquoted string
      'api IN BOGUS 1', //                   10 unknown type
      'api IN A 192.0.2.20', //              11
      'mx IN MX ( 10', //                    12
      '   mail extra ) ; comment', //        13 extra rdata, reported where it is
      'ok IN A 192.0.2.30', //               14
    ].join('\n');
    const errors = loadErrors(text);
    expect(codeLines(errors)).toEqual(['ZONE_BAD_IPV4@6', 'ZONE_UNKNOWN_TYPE@10', 'ZONE_EXTRA_RDATA@13']);
  });

  it('resumes after the closing parenthesis of a bad multi-line entry', () => {
    const text = HEAD + 'bad TXT ( "\\999"\n  "more" )\nwww A 192.0.2.300\n';
    expect(codeLines(loadErrors(text))).toEqual(['ZONE_BAD_STRING@6', 'ZONE_BAD_IPV4@8']);
  });

  it('stops a 10 MB line with a clear error instead of hanging', () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const started = performance.now();
    const errors = loadErrors(HEAD + `t TXT "${huge}"\nwww A 192.0.2.300\n`);
    expect(codeLines(errors)).toEqual(['ZONE_TOKEN_TOO_LONG@6', 'ZONE_BAD_IPV4@7']);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('stops a logical line of many small tokens', () => {
    const errors = loadErrors(HEAD + `t TXT ${'"abc" '.repeat(300_000)}\n`);
    expect(codeLines(errors)).toEqual(['ZONE_LINE_TOO_LONG@6']);
  });

  it('reports TXT rdata over 65535 octets', () => {
    const errors = loadErrors(HEAD + `t TXT ${`"${'x'.repeat(255)}" `.repeat(300)}\n`);
    expect(codeLines(errors)).toEqual(['ZONE_RDATA_TOO_LONG@6']);
  });
});
