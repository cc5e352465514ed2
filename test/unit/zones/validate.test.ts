/** Semantic checks (ZoneSemanticError): SOA, apex NS, CNAME rules, out-of-zone, duplicates, delegations, TTLs. */
import { describe, expect, it } from 'vitest';
import { ZoneSemanticError } from '../../../lib/errors.js';
import { RRType } from '../../../model/zone.js';
import { HEAD, codeLines, load, loadErrors, loadOk } from './helpers.js';

describe('valid zones', () => {
  it.each([
    ['CNAME with out-of-zone target', 'ftp CNAME www.example.org.'],
    ['glue below a delegation', 'sub NS ns.sub\nns.sub A 192.0.2.60\nns.sub AAAA 2001:db8::60'],
    ['glue at the delegation point', 'sub NS sub\nsub A 192.0.2.60'],
    ['NS pointing at a CNAME (not checked)', 'sub NS alias\nalias CNAME ns1'],
    ['MX pointing at a CNAME (not checked)', '@ MX 10 alias\nalias CNAME ns1'],
    ['the same rdata at different owners', 'a A 192.0.2.1\nb A 192.0.2.1'],
    ['the same address as A and in a TXT', 'a A 192.0.2.1\na TXT "192.0.2.1"'],
    ['CNAME at a name with an RRSIG (RFC 4035 §2.5)', 'c CNAME www\nc TYPE46 \\# 0'],
  ])('accepts %s', (_name, lines) => {
    loadOk(HEAD + lines + '\n');
  });
});

describe('invalid zones', () => {
  const cases: [string, string, string[]][] = [
    ['no SOA', '$ORIGIN example.test.\n$TTL 1\n@ NS ns1\n', ['ZONE_NO_SOA@1']],
    ['two SOAs', HEAD + '@ SOA ns1 hostmaster 2 2 3 4 5\n', ['ZONE_MULTIPLE_SOA@6']],
    ['no NS at the apex', '$ORIGIN example.test.\n$TTL 1\n@ SOA ns1 hostmaster 1 2 3 4 5\n', ['ZONE_NO_NS@3']],
    ['a record outside the origin', HEAD + 'www.example.org. A 192.0.2.1\n', ['ZONE_OUT_OF_ZONE@6']],
    ['a name that only ends like the origin', HEAD + 'www.notexample.test. A 192.0.2.1\n', ['ZONE_OUT_OF_ZONE@6']],
    ['an escaped dot is not a label boundary', HEAD + 'a\\.example.test. A 192.0.2.1\n', ['ZONE_OUT_OF_ZONE@6']],
    ['CNAME after other data', HEAD + 'www A 192.0.2.1\nwww CNAME ns1\n', ['ZONE_CNAME_AND_OTHER@7']],
    ['other data after a CNAME', HEAD + 'www CNAME ns1\nwww TXT "x"\n', ['ZONE_CNAME_AND_OTHER@7']],
    ['CNAME at the apex', HEAD + '@ CNAME www.example.org.\n', ['ZONE_CNAME_AND_OTHER@6']],
    ['two CNAMEs', HEAD + 'www CNAME a\nwww CNAME b\n', ['ZONE_MULTIPLE_CNAME@7']],
    ['a duplicate A', HEAD + 'www A 192.0.2.1\nwww A 192.0.2.2\nwww A 192.0.2.1\n', ['ZONE_DUPLICATE_RECORD@8']],
    ['a duplicate AAAA written differently', HEAD + 'www AAAA 2001:db8::1\nwww AAAA 2001:DB8:0::1\n', ['ZONE_DUPLICATE_RECORD@7']],
    ['a duplicate CNAME target in another case', HEAD + 'www CNAME ns1\nWWW CNAME NS1\n', ['ZONE_DUPLICATE_RECORD@7']],
    ['a duplicate TXT', HEAD + 't TXT "a" "b"\nt TXT a b\n', ['ZONE_DUPLICATE_RECORD@7']],
    ['a duplicate with another TTL', HEAD + 'www 10 A 192.0.2.1\nwww 20 A 192.0.2.1\n', ['ZONE_DUPLICATE_RECORD@7']],
    ['a TXT below a delegation', HEAD + 'sub NS ns.sub\nx.sub TXT "hidden"\n', ['ZONE_BELOW_DELEGATION@7']],
    ['a CNAME below a delegation', HEAD + 'sub NS ns.sub\nx.sub CNAME www\n', ['ZONE_BELOW_DELEGATION@7']],
    ['an MX at the delegation point', HEAD + 'sub NS ns.sub\nsub MX 10 mail\n', ['ZONE_BELOW_DELEGATION@7']],
    ['the SOA not at the origin given', HEAD, ['ZONE_SOA_NOT_AT_APEX@3']],
  ];
  it.each(cases)('refuses %s', (name, text, expected) => {
    const errors = loadErrors(text, name === 'the SOA not at the origin given' ? { origin: 'example.org.' } : {});
    expect(codeLines(errors)).toEqual(expected);
    expect(errors[0]).toBeInstanceOf(ZoneSemanticError);
  });

  it('reports a TTL above 2^31-1 in $TTL as a semantic error', () => {
    const errors = loadErrors(HEAD + '$TTL 4294967296\n');
    expect(codeLines(errors)).toEqual(['ZONE_TTL_RANGE@6']);
    expect(errors[0]).toBeInstanceOf(ZoneSemanticError);
  });

  it('does not pile a missing-SOA error on a broken SOA line', () => {
    const errors = loadErrors('$ORIGIN example.test.\n$TTL 1\n@ SOA ns1 hostmaster 1 2 3 4\n@ NS ns1\n');
    expect(codeLines(errors)).toEqual(['ZONE_MISSING_RDATA@3']);
  });

  it('does not report an unknown check when the check itself was broken', () => {
    const errors = loadErrors(HEAD + ';@check web http port=x\n;@pool www check=web\nwww A 192.0.2.1\n');
    expect(codeLines(errors)).toEqual(['ZONE_BAD_VALUE@6']);
  });

  it('does not report a pool without addresses when its address line was broken', () => {
    const errors = loadErrors(HEAD + ';@pool www\nwww A 192.0.2.300\n');
    expect(codeLines(errors)).toEqual(['ZONE_BAD_IPV4@7']);
  });

  it('sorts syntax and semantic errors by line', () => {
    const errors = loadErrors(HEAD + 'www A 192.0.2.1\nwww A 192.0.2.1\nbad A 1\n');
    expect(codeLines(errors)).toEqual(['ZONE_DUPLICATE_RECORD@7', 'ZONE_BAD_IPV4@8']);
  });
});

describe('TTLs of an RRset (RFC 2181 §5.2)', () => {
  it('uses the smallest and warns, never refuses', () => {
    const r = load(HEAD + 'www 60 A 192.0.2.1\nwww 30 A 192.0.2.2\nwww 90 A 192.0.2.3\n');
    if (!r.ok) throw new Error('refused');
    expect(r.zone.nodes.get('www.example.test.')?.rrsets.get(RRType.A)?.ttl).toBe(30);
    expect(r.zone.pools[0]?.ttl).toBe(30);
    expect(codeLines(r.warnings)).toEqual(['ZONE_TTL_MISMATCH@7']);
  });
});
