/**
 * Issue 16: the write API's input is checked by the zone file's own code. Each bad setting given
 * through the overlay is refused with the same code and message as the same setting written in a
 * zone file (what `rondo zone check` prints after the position); good ones merge with the file
 * (API wins per member, per pool line), and removing the API's entry brings the file back.
 */
import { describe, expect, it } from 'vitest';
import { parseZone } from '../../../zones/parse.js';
import { parseZoneText } from '../../../zones/load.js';
import { compileWithOverlay, keysFromJson, checkMemberKeys, checkPoolKeys, checkOwner, checkAddress, overlayError } from '../../../zones/overlay.js';
import { emptyOverlay, type ZoneOverlay } from '../../../model/membership.js';

const HEAD = [
  '$ORIGIN example.org.',
  '$TTL 300',
  '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
  '     IN NS  ns1',
  'ns1  IN A   192.0.2.53',
  ';@check web http port=8080 path=/healthz',
  ';@check raw tcp',
  ';@pool www policy=weighted check=web',
  'www  20 IN A 192.0.2.10 ;@ weight=2',
  'www  20 IN A 192.0.2.11',
];
const FILE = parseZone(HEAD.join('\n'), 'example.org.zone');
const ZONE = 'example.org.';

function overlay(pools: ZoneOverlay['pools'], rrsets: ZoneOverlay['rrsets'] = []): ZoneOverlay {
  return { ...emptyOverlay(ZONE), version: 1, pools, rrsets };
}

function member(address: string, keys: Record<string, string | true> = {}) {
  return { address, keys, at: 0, by: 'test' };
}

/** The first error `rondo zone check` reports for the file plus one line. */
function zoneCheckError(line: string): { code: string; detail: string } {
  const result = parseZoneText([...HEAD, line].join('\n'), 'example.org.zone');
  if (result.ok) throw new Error(`zone file accepted: ${line}`);
  const e = result.errors[0];
  return { code: e?.code ?? '', detail: e?.detail ?? '' };
}

describe('API settings are checked like a zone file (issue 16)', () => {
  const cases: { name: string; keys: Record<string, unknown>; line: string }[] = [
    { name: 'unknown key', keys: { colour: 'blue' }, line: 'www 20 IN A 192.0.2.12 ;@ colour=blue' },
    { name: 'weight out of range', keys: { weight: 0 }, line: 'www 20 IN A 192.0.2.12 ;@ weight=0' },
    { name: 'bad probe address', keys: { probe: '192.0.2.300' }, line: 'www 20 IN A 192.0.2.12 ;@ probe=192.0.2.300' },
    { name: 'flag with a value', keys: { backup: 'yes' }, line: 'www 20 IN A 192.0.2.12 ;@ backup=yes' },
  ];
  for (const c of cases) {
    it(`member: ${c.name} gives the zone-check code and message`, () => {
      const keys = keysFromJson(c.keys);
      const checked = keys.ok ? checkMemberKeys(keys.value) : keys;
      expect(checked.ok).toBe(false);
      if (checked.ok) return;
      const want = zoneCheckError(c.line);
      expect({ code: checked.error.code, detail: checked.error.message }).toEqual(want);
    });
  }

  it('pool: a bad policy gives the zone-check code and message', () => {
    const checked = checkPoolKeys('www.example.org.', { policy: 'fastest-ever' });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect({ code: checked.error.code, detail: checked.error.message }).toEqual(zoneCheckError(';@pool api policy=fastest-ever'));
  });

  it('a check the zone does not define: ZONE_UNKNOWN_CHECK, as zone check says', () => {
    const result = compileWithOverlay(FILE, overlay([{ owner: 'api.example.org.', members: [member('192.0.2.20', { check: 'nope' })] }]), ZONE);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const e = overlayError(result.errors);
    expect({ code: e?.code, detail: e?.message }).toEqual(zoneCheckError('api 20 IN A 192.0.2.20 ;@ check=nope'));
  });

  it('a tcp check without a port: ZONE_CHECK_NO_PORT', () => {
    const result = compileWithOverlay(FILE, overlay([{ owner: 'tcp.example.org.', members: [member('192.0.2.20', { check: 'raw' })] }]), ZONE);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(overlayError(result.errors)?.code).toBe('ZONE_CHECK_NO_PORT');
  });

  it('a bad address, a name outside the zone, values of the wrong JSON type', () => {
    const a = checkAddress('A', '192.0.2.1234');
    expect(a.ok ? undefined : a.error).toEqual({ code: 'ZONE_BAD_IPV4', message: 'bad IPv4 address "192.0.2.1234" in A record', key: '192.0.2.1234' });
    expect(checkAddress('AAAA', '192.0.2.1').ok).toBe(false);
    const o = checkOwner('www.example.net.', ZONE);
    expect(o.ok ? undefined : o.error.code).toBe('ZONE_OUT_OF_ZONE');
    const k = keysFromJson({ weight: null });
    expect(k.ok ? undefined : k.error.code).toBe('ZONE_BAD_VALUE');
    expect(keysFromJson([1]).ok).toBe(false);
  });

  it('a CNAME beside an API pool is refused (ZONE_CNAME_AND_OTHER)', () => {
    const result = compileWithOverlay(
      FILE,
      overlay([{ owner: 'app.example.org.', members: [member('192.0.2.30')] }], [{ owner: 'app.example.org.', type: 'CNAME', ttl: 60, values: ['lb.example.net'], at: 0, by: 't' }]),
      ZONE,
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.code)).toContain('ZONE_CNAME_AND_OTHER');
  });
});

describe('the overlay on the file (issue 16)', () => {
  it('adds members and pools; the API wins over the file for the same member and pool line', () => {
    const result = compileWithOverlay(
      FILE,
      overlay([
        { owner: 'www.example.org.', keys: { policy: 'round-robin' }, members: [member('192.0.2.10', { weight: '7' }), member('192.0.2.12')] },
        { owner: 'v6.example.org.', members: [member('2001:db8::1'), member('2001:db8::2', { backup: true })] },
      ]),
      ZONE,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const www = result.zone.pools.find((p) => p.key === 'www.example.org./A');
    expect(www?.config.policy).toBe('round-robin');
    expect(www?.members.map((m) => [m.address, m.weight, m.record.source.file])).toEqual([
      ['192.0.2.11', 1, 'example.org.zone'],
      ['192.0.2.10', 7, '(api)'],
      ['192.0.2.12', 1, '(api)'],
    ]);
    // The API's pool line replaces the file's whole line: no check= now.
    expect(www?.members.every((m) => m.targetId === undefined)).toBe(true);
    const v6 = result.zone.pools.find((p) => p.key === 'v6.example.org./AAAA');
    expect(v6?.members.map((m) => [m.address, m.backup])).toEqual([['2001:db8::1', false], ['2001:db8::2', true]]);
  });

  it('an empty overlay gives the file back; the file parse is not changed', () => {
    const before = FILE.records.length;
    compileWithOverlay(FILE, overlay([{ owner: 'www.example.org.', members: [member('192.0.2.10', { weight: '9' })] }]), ZONE);
    expect(FILE.records.length).toBe(before);
    const result = compileWithOverlay(FILE, overlay([]), ZONE);
    expect(result.ok && result.zone.pools[0]?.members.map((m) => m.weight)).toEqual([2, 1]);
  });

  it('pool keys set before any member wait for one (no ZONE_POOL_WITHOUT_ADDRESSES)', () => {
    const result = compileWithOverlay(FILE, overlay([{ owner: 'later.example.org.', keys: { policy: 'weighted', check: 'web' }, members: [] }]), ZONE);
    expect(result.ok).toBe(true);
  });

  it('TXT registry records are served as character-strings', () => {
    const result = compileWithOverlay(FILE, overlay([], [{ owner: 'a-www.example.org.', type: 'TXT', ttl: 300, values: ['"heritage=external-dns,external-dns/owner=default"'], at: 0, by: 't' }]), ZONE);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const rr = result.zone.nodes.get('a-www.example.org.')?.rrsets.get(16)?.records[0];
    expect(rr?.rdata.kind === 'TXT' && new TextDecoder().decode(rr.rdata.strings[0])).toBe('heritage=external-dns,external-dns/owner=default');
  });
});
