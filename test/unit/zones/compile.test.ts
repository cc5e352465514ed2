/** The compiled Zone: nodes with empty non-terminals, RRsets, pools, members, targets. */
import { describe, expect, it } from 'vitest';
import { RRType } from '../../../model/zone.js';
import { HEAD, loadOk } from './helpers.js';

describe('nodes', () => {
  it('adds every empty non-terminal between an owner and the apex', () => {
    const { zone } = loadOk(HEAD + 'a.b.c A 192.0.2.1\n*.apps A 192.0.2.2\n_http._tcp.web SRV 0 0 80 web\nweb A 192.0.2.3\n');
    const empty = [...zone.nodes.values()].filter((n) => n.rrsets.size === 0).map((n) => n.name);
    expect(empty.sort()).toEqual(['_tcp.web.example.test.', 'apps.example.test.', 'b.c.example.test.', 'c.example.test.']);
    expect(zone.nodes.get('web.example.test.')?.rrsets.size).toBe(1);
    expect([...zone.nodes.keys()].sort()).toEqual(
      [
        'example.test.',
        'ns1.example.test.',
        'a.b.c.example.test.',
        'b.c.example.test.',
        'c.example.test.',
        '*.apps.example.test.',
        'apps.example.test.',
        '_http._tcp.web.example.test.',
        '_tcp.web.example.test.',
        'web.example.test.',
      ].sort(),
    );
  });

  it('keys nodes lowercase and keeps the display case', () => {
    const { zone } = loadOk(HEAD + 'Www.Deep A 192.0.2.1\n');
    expect(zone.nodes.get('www.deep.example.test.')?.display).toBe('Www.Deep.example.test.');
    expect(zone.nodes.get('deep.example.test.')?.display).toBe('Deep.example.test.');
  });

  it('groups records of one owner written in different cases', () => {
    const { zone } = loadOk(HEAD + 'www A 192.0.2.1\nWWW A 192.0.2.2\n');
    expect(zone.nodes.get('www.example.test.')?.rrsets.get(RRType.A)?.records.map((r) => r.display)).toEqual(['www.example.test.', 'WWW.example.test.']);
  });

  it('keeps records in file order, also across other owners', () => {
    const { zone } = loadOk(HEAD + 'www A 192.0.2.3\nweb A 192.0.2.9\nwww A 192.0.2.1\nwww A 192.0.2.2\n');
    const set = zone.nodes.get('www.example.test.')?.rrsets.get(RRType.A);
    expect(set?.records.map((r) => (r.rdata.kind === 'A' ? r.rdata.address : ''))).toEqual(['192.0.2.3', '192.0.2.1', '192.0.2.2']);
  });

  it('exposes the SOA RRset and the origin', () => {
    const { zone } = loadOk(HEAD);
    expect(zone.origin).toBe('example.test.');
    expect(zone.soa.type).toBe(RRType.SOA);
    expect(zone.soa.records).toHaveLength(1);
    expect(zone.file).toBe('zones/example.test.zone');
    expect(zone.size).toBe(3);
  });
});

describe('pools', () => {
  it('makes every A and AAAA RRset with two or more records a pool, and nothing else', () => {
    const { zone } = loadOk(HEAD + 'www A 192.0.2.1\nwww A 192.0.2.2\nwww AAAA 2001:db8::1\nv6 AAAA 2001:db8::1\nv6 AAAA 2001:db8::2\nt TXT a\nt TXT b\n');
    expect(zone.pools.map((p) => p.key)).toEqual(['www.example.test./A', 'v6.example.test./AAAA']);
    const www = zone.nodes.get('www.example.test.');
    expect(www?.rrsets.get(RRType.A)?.pool).toBe(zone.pools[0]);
    expect(www?.rrsets.get(RRType.AAAA)?.pool).toBeUndefined();
    expect(zone.pools[1]?.members.map((m) => [m.address, m.family])).toEqual([
      ['2001:db8::1', 6],
      ['2001:db8::2', 6],
    ]);
  });

  it('links each member to its record and keeps the pool display name', () => {
    const { zone } = loadOk(HEAD + 'WWW A 192.0.2.1\nwww A 192.0.2.2\n');
    const pool = zone.pools[0];
    expect(pool?.display).toBe('WWW.example.test.');
    expect(pool?.name).toBe('www.example.test.');
    expect(pool?.type).toBe(RRType.A);
    expect(pool?.members.map((m) => m.record.source.line)).toEqual([6, 7]);
  });

  it('uses the pool ttl over the RRset TTL', () => {
    const { zone } = loadOk(HEAD + ';@pool www ttl=5\nwww 60 A 192.0.2.1\nwww 60 A 192.0.2.2\nweb 60 A 192.0.2.1\nweb 60 A 192.0.2.2\n');
    expect(zone.pools.map((p) => [p.key, p.ttl])).toEqual([
      ['www.example.test./A', 5],
      ['web.example.test./A', 60],
    ]);
    // The RRset keeps its own TTL; the pool's is what answers carry.
    expect(zone.nodes.get('www.example.test.')?.rrsets.get(RRType.A)?.ttl).toBe(60);
  });
});

describe('targets', () => {
  const text =
    HEAD +
    [
      ';@check web http port=8080',
      ';@check ping icmp',
      ';@check alt tcp port=22',
      ';@pool www check=web',
      'www A 192.0.2.10',
      'www A 192.0.2.11 ;@ probe=192.0.2.99',
      'www A 192.0.2.12 ;@ port=9090',
      'www A 192.0.2.13 ;@ check=ping port=1',
      'www AAAA 2001:db8::10',
      'www AAAA 2001:db8::11 ;@ check=alt',
      'api A 192.0.2.10 ;@ check=web',
      'api A 192.0.2.20',
      ';@pool api-dup check=web',
      'api-dup A 192.0.2.10',
    ].join('\n');

  it('gives each checked member the id origin/check/probe-or-address/port', () => {
    const { zone } = loadOk(text);
    const ids = (key: string) => zone.pools.find((p) => p.key === key)?.members.map((m) => m.targetId);
    expect(ids('www.example.test./A')).toEqual([
      'example.test./web/192.0.2.10/8080',
      'example.test./web/192.0.2.99/8080',
      'example.test./web/192.0.2.12/9090',
      'example.test./ping/192.0.2.13/0',
    ]);
    expect(ids('www.example.test./AAAA')).toEqual(['example.test./web/2001:db8::10/8080', 'example.test./alt/2001:db8::11/22']);
    expect(ids('api.example.test./A')).toEqual(['example.test./web/192.0.2.10/8080', undefined]);
  });

  it('lists each target once, with its check', () => {
    const { zone } = loadOk(text);
    expect(zone.targets.map((t) => `${t.id} ${t.check.kind} ${t.address} ${t.port} ${t.zone}`)).toEqual([
      'example.test./web/192.0.2.10/8080 http 192.0.2.10 8080 example.test.',
      'example.test./web/192.0.2.99/8080 http 192.0.2.99 8080 example.test.',
      'example.test./web/192.0.2.12/9090 http 192.0.2.12 9090 example.test.',
      'example.test./ping/192.0.2.13/0 icmp 192.0.2.13 0 example.test.',
      'example.test./web/2001:db8::10/8080 http 2001:db8::10 8080 example.test.',
      'example.test./alt/2001:db8::11/22 tcp 2001:db8::11 22 example.test.',
    ]);
    expect(zone.targets[0]?.check).toBe(zone.checks.get('web'));
  });

  it('exposes every check, used or not', () => {
    const { zone } = loadOk(HEAD + ';@check idle icmp\n');
    expect([...zone.checks.keys()]).toEqual(['idle']);
  });
});
