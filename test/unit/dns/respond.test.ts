/**
 * The authoritative answerer, without sockets: AA, pools and rotation, NXDOMAIN/NODATA with the
 * negative-caching SOA, empty non-terminals, CNAME chains and loops, wildcards (and the empty
 * non-terminals that block them), referrals with glue, ANY, additional-section processing,
 * REFUSED outside our zones, and SERVFAIL when anything inside fails.
 */
import { describe, expect, it } from 'vitest';
import { respond, type ClientInfo, type PoolSelector } from '../../../dns/respond.js';
import { RoundRobinSelector } from '../../helpers/round-robin-selector.js';
import { encodeResponse } from '../../../dns/wire/encode.js';
import { parseQuery } from '../../../dns/wire/parse-query.js';
import { presentMessage, type PresentedMessage } from '../../helpers/presentation.js';
import type { ZoneSet } from '../../../dns/zone-set.js';
import { buildQuery, ecsOption, type QuerySpec } from '../../helpers/dns-client.js';
import { expectRR, expectSection } from '../../helpers/dig.js';
import { fixtureZone, zoneFromText, zoneSet } from '../../helpers/dns-zones.js';

const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, SRV: 33, DS: 43, ANY: 255, AXFR: 252, MAILA: 254, TYPE65280: 65280 };

const zone = fixtureZone('example.test.zone');
const SOA_NEG = 'example.test. 30 IN SOA ns1.example.test. hostmaster.example.test. 2026112101 7200 900 1209600 30';

interface AskOptions {
  zones?: ZoneSet;
  selector?: PoolSelector;
  transport?: 'udp' | 'tcp';
  spec?: QuerySpec;
}

function ask(name: string, type: string, options: AskOptions = {}): PresentedMessage {
  const parsed = parseQuery(buildQuery({ name, type: TYPES[type] ?? Number(type), ...options.spec }));
  if (parsed.kind !== 'query') throw new Error(`test query rejected: ${JSON.stringify(parsed)}`);
  const client: ClientInfo = { address: '127.0.0.1', family: 4, transport: options.transport ?? 'udp' };
  const response = respond(parsed.query, options.zones ?? zoneSet(zone), options.selector ?? new RoundRobinSelector(), client);
  return presentMessage(encodeResponse(parsed.query, response, 65535).message);
}

describe('authoritative answers', () => {
  it('answers an exact match with AA, RA never set', () => {
    const r = ask('static.example.test.', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.flags).toEqual(['qr', 'aa', 'rd']);
    expectSection(r.answer, ['static.example.test. 300 IN A 192.0.2.40']);
    expect(r.authority).toEqual([]);
  });

  it('answers RFC 3597 generic types', () => {
    expectSection(ask('gen.example.test.', 'TYPE65280').answer, ['gen.example.test. 300 IN TYPE65280 \\# 4 DEADBEEF']);
  });

  it('echoes the query name case in the question and the answer owner', () => {
    const r = ask('StAtIc.ExAmPlE.test.', 'A');
    expect(r.question).toEqual(['StAtIc.ExAmPlE.test. IN A']);
    expectSection(r.answer, ['StAtIc.ExAmPlE.test. 300 IN A 192.0.2.40']);
  });

  it('rotates a pool: the first address cycles through every member, the zone untouched', () => {
    const selector = new RoundRobinSelector();
    const firsts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = ask('www.example.test.', 'A', { selector });
      expect(r.answer).toHaveLength(3);
      firsts.push(r.answer[0] ?? '');
    }
    expect(firsts.map((l) => l.split(' ').pop())).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.10', '192.0.2.11', '192.0.2.12']);
    const members = zone.pools.find((p) => p.key === 'www.example.test./A')?.members.map((m) => m.address);
    expect(members).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12']);
  });

  it('answers a pool with the pool TTL and the records the selector chose', () => {
    const pick: PoolSelector = { select: (pool) => ({ kind: 'answer', members: pool.members.slice(1, 2) }) };
    const withTtl = zoneFromText(
      '$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 30\n@ IN NS ns1\nns1 IN A 192.0.2.53\n;@pool api ttl=5\napi 60 IN A 192.0.2.20\napi 60 IN A 192.0.2.21\n',
      'example.test.zone',
    );
    expectSection(ask('api.example.test.', 'A', { zones: zoneSet(withTtl), selector: pick }).answer, ['api.example.test. 5 IN A 192.0.2.21']);
  });

  it('turns a nodata selection into NODATA with the SOA, and servfail into SERVFAIL', () => {
    const nodata = ask('www.example.test.', 'A', { selector: { select: () => ({ kind: 'nodata' }) } });
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answer).toEqual([]);
    expectSection(nodata.authority, [SOA_NEG]);
    const servfail = ask('www.example.test.', 'A', { selector: { select: () => ({ kind: 'servfail' }) } });
    expect(servfail.rcode).toBe('SERVFAIL');
    expect(servfail.flags).not.toContain('aa');
    expect(servfail.answer).toEqual([]);
  });

  it('maps a selector that throws to SERVFAIL', () => {
    const broken: PoolSelector = {
      select: () => {
        throw new Error('boom');
      },
    };
    expect(ask('www.example.test.', 'A', { selector: broken }).rcode).toBe('SERVFAIL');
  });

  it('echoes ECS with the scope the selection reports, else scope 0 (RFC 7871 §7.2.1)', () => {
    const ecs = { edns: { options: [ecsOption(1, 24, Buffer.from([198, 51, 100]))] } };
    const scoped: PoolSelector = { select: (pool) => ({ kind: 'answer', members: pool.members.slice(0, 1), ecsScope: 24 }) };
    expect(ask('www.example.test.', 'A', { selector: scoped, spec: ecs }).edns?.ecs).toBe('1/24/24/c63364');
    expect(ask('static.example.test.', 'A', { spec: ecs }).edns?.ecs).toBe('1/24/0/c63364');
  });
});

describe('negative answers (RFC 2308)', () => {
  it('NXDOMAIN carries the SOA with TTL min(SOA TTL, MINIMUM), AA set', () => {
    const r = ask('nope.example.test.', 'A');
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.flags).toContain('aa');
    expect(r.answer).toEqual([]);
    expectSection(r.authority, [SOA_NEG]);
  });

  it('NODATA when the name exists without the type', () => {
    const r = ask('static.example.test.', 'AAAA');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answer).toEqual([]);
    expectSection(r.authority, [SOA_NEG]);
  });

  it('an empty non-terminal is NODATA, not NXDOMAIN', () => {
    for (const name of ['b.c.example.test.', 'c.example.test.']) {
      const r = ask(name, 'A');
      expect(r.rcode).toBe('NOERROR');
      expectSection(r.authority, [SOA_NEG]);
    }
  });
});

describe('outside our zones', () => {
  it('REFUSED without AA for a name in no loaded zone', () => {
    const r = ask('www.example.org.', 'A');
    expect(r.rcode).toBe('REFUSED');
    expect(r.flags).not.toContain('aa');
  });

  it('REFUSED for classes other than IN, and for zone transfers; NOTIMP for MAILA', () => {
    expect(ask('static.example.test.', 'A', { spec: { klass: 3 } }).rcode).toBe('REFUSED');
    expect(ask('static.example.test.', 'A', { spec: { klass: 255 } }).rcode).toBe('REFUSED');
    expect(ask('example.test.', 'AXFR').rcode).toBe('REFUSED');
    expect(ask('example.test.', 'MAILA').rcode).toBe('NOTIMP');
  });

  it('picks the longest matching zone', () => {
    const child = zoneFromText('$TTL 60\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns.example.test.\nwww IN A 192.0.2.99\n', 'sub.example.test.zone');
    const r = ask('www.sub.example.test.', 'A', { zones: zoneSet(zone, child) });
    expect(r.flags).toContain('aa');
    expectSection(r.answer, ['www.sub.example.test. 60 IN A 192.0.2.99']);
  });
});

describe('CNAME', () => {
  it('follows a chain inside the zone', () => {
    const r = ask('chain1.example.test.', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answer).toEqual([
      'chain1.example.test. 300 IN CNAME chain2.example.test.',
      'chain2.example.test. 300 IN CNAME static.example.test.',
      'static.example.test. 300 IN A 192.0.2.40',
    ]);
  });

  it('follows into a pool', () => {
    const r = ask('ftp.example.test.', 'A');
    expect(r.answer[0]).toBe('ftp.example.test. 300 IN CNAME www.example.test.');
    expect(r.answer.slice(1)).toHaveLength(3);
  });

  it('answers the CNAME itself for qtype CNAME', () => {
    expectSection(ask('ftp.example.test.', 'CNAME').answer, ['ftp.example.test. 300 IN CNAME www.example.test.']);
  });

  it('ends in NXDOMAIN with AA when the target does not exist (RFC 6604)', () => {
    const r = ask('dangling.example.test.', 'A');
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.flags).toContain('aa');
    expectSection(r.answer, ['dangling.example.test. 300 IN CNAME nothere.example.test.']);
    expectSection(r.authority, [SOA_NEG]);
  });

  it('ends in NODATA with the SOA when the target lacks the type', () => {
    const r = ask('chain1.example.test.', 'AAAA');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answer).toHaveLength(2);
    expectSection(r.authority, [SOA_NEG]);
  });

  it('answers just the CNAME when the target is outside our zones', () => {
    const r = ask('outside.example.test.', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answer).toEqual(['outside.example.test. 300 IN CNAME www.example.org.']);
    expect(r.authority).toEqual([]);
  });

  it('stops on a loop', () => {
    const r = ask('loop1.example.test.', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answer).toEqual(['loop1.example.test. 300 IN CNAME loop2.example.test.', 'loop2.example.test. 300 IN CNAME loop1.example.test.']);
  });

  it('stops after 8 steps of a long chain', () => {
    const lines = ['$TTL 60', '@ IN SOA ns hm 1 2 3 4 5', '@ IN NS ns', 'ns IN A 192.0.2.1'];
    for (let i = 0; i < 12; i++) lines.push(`c${i} IN CNAME c${i + 1}`);
    lines.push('c12 IN A 192.0.2.2');
    const long = zoneFromText(lines.join('\n') + '\n', 'example.test.zone');
    const r = ask('c0.example.test.', 'A', { zones: zoneSet(long) });
    expect(r.answer).toHaveLength(8);
    expect(r.answer.every((l) => l.includes(' CNAME '))).toBe(true);
  });

  it('follows into another loaded zone', () => {
    const other = zoneFromText('$TTL 60\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns.example.test.\nwww IN A 192.0.2.77\n', 'example.org.zone');
    const r = ask('outside.example.test.', 'A', { zones: zoneSet(zone, other) });
    expect(r.answer).toEqual(['outside.example.test. 300 IN CNAME www.example.org.', 'www.example.org. 60 IN A 192.0.2.77']);
  });
});

describe('wildcards (RFC 4592)', () => {
  it('synthesises with the query name (case as asked) as owner', () => {
    const r = ask('Anything.wild.example.test.', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.flags).toContain('aa');
    expectSection(r.answer, ['Anything.wild.example.test. 300 IN A 192.0.2.60']);
  });

  it('matches several labels below the closest encloser', () => {
    expectSection(ask('a.b.wild.example.test.', 'TXT').answer, ['a.b.wild.example.test. 300 IN TXT "wild"']);
  });

  it('does not apply to names that exist', () => {
    expectSection(ask('x.wild.example.test.', 'A').answer, ['x.wild.example.test. 300 IN A 192.0.2.61']);
    const nodata = ask('x.wild.example.test.', 'TXT');
    expect(nodata.answer).toEqual([]);
    expect(nodata.rcode).toBe('NOERROR');
  });

  it('is blocked by an empty non-terminal closer to the query name', () => {
    const r = ask('zzz.sub.wild.example.test.', 'A');
    expect(r.rcode).toBe('NXDOMAIN');
    expectSection(r.authority, [SOA_NEG]);
    expect(ask('sub.wild.example.test.', 'A').rcode).toBe('NOERROR');
  });

  it('answers NODATA for a type the wildcard lacks', () => {
    const r = ask('q.wild.example.test.', 'AAAA');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answer).toEqual([]);
    expectSection(r.authority, [SOA_NEG]);
  });

  it('synthesises a CNAME and follows it', () => {
    expect(ask('foo.cn.example.test.', 'A').answer).toEqual(['foo.cn.example.test. 300 IN CNAME static.example.test.', 'static.example.test. 300 IN A 192.0.2.40']);
  });

  it('rotates a wildcard pool like a named one', () => {
    const selector = new RoundRobinSelector();
    const first = ask('a.pool.example.test.', 'A', { selector }).answer;
    const second = ask('b.pool.example.test.', 'A', { selector }).answer;
    expect(first).toEqual(['a.pool.example.test. 15 IN A 192.0.2.70', 'a.pool.example.test. 15 IN A 192.0.2.71']);
    expect(second).toEqual(['b.pool.example.test. 15 IN A 192.0.2.71', 'b.pool.example.test. 15 IN A 192.0.2.70']);
  });
});

describe('delegations', () => {
  it('refers below a cut: AA=0, NS in authority, glue in additional', () => {
    const r = ask('www.sub.example.test.', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.flags).not.toContain('aa');
    expect(r.answer).toEqual([]);
    expectSection(r.authority, ['sub.example.test. 300 IN NS ns.sub.example.test.', 'sub.example.test. 300 IN NS ns.elsewhere.example.org.']);
    expectSection(r.additional, ['ns.sub.example.test. 300 IN A 192.0.2.80', 'ns.sub.example.test. 300 IN AAAA 2001:db8::80']);
  });

  it('refers at the cut itself for NS and A; answers DS there as the parent (RFC 4035 §3.1.4.1)', () => {
    for (const type of ['NS', 'A']) {
      const r = ask('sub.example.test.', type);
      expect(r.flags).not.toContain('aa');
      expect(r.authority).toHaveLength(2);
    }
    // DS lives on the parent side of the cut: the parent answers it (here NODATA with its SOA).
    const ds = ask('sub.example.test.', 'DS');
    expect(ds.flags).toContain('aa');
    expect(ds.rcode).toBe('NOERROR');
    expect(ds.answer).toEqual([]);
    expect(ds.authority.join(' ')).toContain('SOA');
  });

  it('refers for the glue names too (they are not authoritative data)', () => {
    const r = ask('ns.sub.example.test.', 'A');
    expect(r.flags).not.toContain('aa');
    expect(r.answer).toEqual([]);
  });
});

describe('ANY (RFC 8482) and additional-section processing', () => {
  it('answers ANY over UDP with one RRset', () => {
    const r = ask('static.example.test.', 'ANY');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answer).toHaveLength(1);
  });

  it('answers ANY over TCP with every RRset', () => {
    const r = ask('static.example.test.', 'ANY', { transport: 'tcp' });
    expectSection(r.answer, ['static.example.test. 300 IN A 192.0.2.40', 'static.example.test. 300 IN TXT "hello"']);
  });

  it('adds in-zone addresses of NS hosts at the apex', () => {
    const r = ask('example.test.', 'NS');
    expect(r.flags).toContain('aa');
    expectSection(r.answer, ['example.test. 300 IN NS ns1.example.test.', 'example.test. 300 IN NS ns2.example.org.']);
    expectSection(r.additional, ['ns1.example.test. 300 IN A 192.0.2.53', 'ns1.example.test. 300 IN AAAA 2001:db8::53']);
  });

  it('adds the MX exchange and SRV target addresses', () => {
    expectSection(ask('example.test.', 'MX').additional, ['mail.example.test. 300 IN A 192.0.2.25']);
    expectRR(ask('_http._tcp.example.test.', 'SRV').additional, 'static.example.test. 300 IN A 192.0.2.40');
  });

  it('shows other owners in the zone file case, the query name as asked', () => {
    const cased = zoneFromText('$TTL 1\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.1\nMail IN A 192.0.2.2\n@ IN MX 1 Mail\n', 'example.test.zone');
    const r = ask('EXAMPLE.test.', 'MX', { zones: zoneSet(cased) });
    expectSection(r.answer, ['EXAMPLE.test. 1 IN MX 1 Mail.EXAMPLE.test.']);
    expectSection(r.additional, ['Mail.EXAMPLE.test. 1 IN A 192.0.2.2']);
    expectSection(ask('mixed.example.test.', 'A').answer, ['mixed.example.test. 300 IN A 192.0.2.90']);
  });
});
