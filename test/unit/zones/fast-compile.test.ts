/**
 * Issue 14: the fast lane (zones/fast-compile.ts) compiles the zones it accepts to exactly what
 * the full pipeline compiles (every node, RRset, record with its position, pool and member), and
 * declines whatever the full pipeline would refuse or warn about. The compact form (compact.ts)
 * reads back as the zone it was made from.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Zone } from '../../../model/zone.js';
import { fastCompile } from '../../../zones/fast-compile.js';
import { CompactZone, copyArrays, encodeZone, SHARED_ARRAYS, transferList } from '../../../zones/compact.js';
import { HEAD, load, loadOk } from './helpers.js';

const FILE = 'zones/example.test.zone';

/** Everything about a zone a server answers from, as plain data in a stable order. */
function dump(zone: Zone): unknown {
  const nodes = [...zone.nodes.values()].map((node) => ({
    name: node.name,
    display: node.display,
    rrsets: [...node.rrsets.values()].map((set) => ({
      type: set.type,
      ttl: set.ttl,
      // A record's owner as written is its node's in the compact form (the answers use the RRset's).
      records: set.records.map((rr) => ({ name: rr.name, type: rr.type, ttl: rr.ttl, rdata: rr.rdata, source: rr.source })),
      pool: set.pool && {
        key: set.pool.key,
        display: set.pool.display,
        config: set.pool.config,
        ttl: set.pool.ttl,
        members: set.pool.members.map((m) => ({ address: m.address, family: m.family, weight: m.weight, priority: m.priority, backup: m.backup, targetId: m.targetId, line: m.record.source.line })),
      },
    })),
  }));
  return { origin: zone.origin, display: zone.display, size: zone.size, nodes, pools: zone.pools.map((p) => p.key), targets: zone.targets.map((t) => t.id) };
}

const accepted = [
  ['pools and plain records', HEAD + ';@pool www policy=weighted answers=1\nwww 20 IN A 192.0.2.10\n 20 IN A 192.0.2.11\n\napi IN A 192.0.2.20\napi IN A 192.0.2.21\nsolo 60 A 192.0.2.30\n'],
  ['blank owners, class before TTL, comments', HEAD + 'www IN 20 A 192.0.2.10 ; a comment\n\tIN 20 A 192.0.2.11\n; a line of comment\nmail MX 10 mx.example.test.\nmx A 192.0.2.25\n'],
  ['other types, a multi-line SOA, deep names (empty non-terminals)', '$ORIGIN Example.Test.\n$TTL 300\n@ IN SOA ns1 hostmaster (\n  1 7200 900\n  1209600 30 )\n  IN NS ns1\nns1 IN A 192.0.2.53\na.b.c IN A 192.0.2.1\na.b.c IN A 192.0.2.2\ntxt TXT "hello; world" "x"\nv6 AAAA 2001:db8::1\n*.wild A 192.0.2.9\n'],
  ['a pool with one record, relative and absolute owners', HEAD + ';@pool one ttl=5 all-down=nodata\none A 192.0.2.1\ntwo.example.test. A 192.0.2.2\ntwo.example.test. A 192.0.2.3\n'],
  // File order is not the compiled order: the records are sorted into RRsets node by node.
  ['records of one owner apart', HEAD + ';@pool a\na A 192.0.2.1\nb A 192.0.2.2\na A 192.0.2.3\na TXT "t"\nb A 192.0.2.4\na A 192.0.2.5\n'],
  ['types of one owner interleaved', HEAD + 'm A 192.0.2.1\nm TXT "x"\nm A 192.0.2.2\nm TXT "y"\nn A 192.0.2.9\n'],
  // The tokens between owner and address are reused when written the same way as the last A record's.
  ['A records written alike and not', HEAD + 'www 20 IN A 192.0.2.1\n 20 IN A  \t192.0.2.2\nweb 200 IN A 192.0.2.3\nnet IN A 192.0.2.4\n$TTL 60\nnew IN A 192.0.2.5\ntxt TXT "a ; quoted" "text"\nend IN A 192.0.2.6\n'],
  ['AAAA pools, a dual-stack pool, AAAA written in every case', HEAD + ';@pool www policy=weighted\nwww 20 IN AAAA 2001:db8::1\n 20 IN AAAA 2001:DB8::2\n 20 IN aaaa ::ffff:192.0.2.1\nwww 20 IN A 192.0.2.1\nv6 AAAA 2001:db8::10\nv6 AAAA 2001:db8::11\nsolo AAAA 2001:db8::99\nmulti ( AAAA\n 2001:db8::5 )\n'],
  ['member settings (weight, priority, backup), repeated and on AAAA', HEAD + ';@pool www policy=weighted\nwww A 192.0.2.1 ;@ weight=3\nwww A 192.0.2.2 ;@ weight=3\nwww A 192.0.2.3\nwww A 192.0.2.4 ;@ priority=2 backup\napi AAAA 2001:db8::1 ;@weight=7\napi AAAA 2001:db8::2\nlast A 192.0.2.9\nlast A 192.0.2.10\n'],
  ['checked pools (every kind, shared targets, AAAA, weights)', HEAD + ';@check web http port=8080 path=/healthz interval=10s\n;@check t tcp port=443\n;@check ping icmp\n;@check ns dns qname=www\n;@pool www check=web policy=weighted\nwww A 192.0.2.1 ;@ weight=2\nwww A 192.0.2.2\nwww AAAA 2001:db8::1\n;@pool api check=t\napi A 192.0.2.2\napi A 192.0.2.3\n;@pool p check=ping\np A 192.0.2.4\n;@pool d check=ns\nd A 192.0.2.5\nplain A 192.0.2.9\nplain A 192.0.2.10\n'],
  ['a big generated zone of AAAA pools', HEAD + Array.from({ length: 40 }, (_, n) => `;@pool h${n}\n` + Array.from({ length: 20 }, (_, k) => `${k === 0 ? `h${n}` : ''}\t20\tIN\tAAAA\t2001:db8:${n.toString(16)}::${(k + 1).toString(16)}`).join('\n')).join('\n') + '\n'],
  ['a big generated zone', HEAD + Array.from({ length: 300 }, (_, n) => `;@pool host${n} policy=round-robin\n` + Array.from({ length: 5 }, (_, k) => `${k === 0 ? `host${n}` : ''}\t20\tIN\tA\t192.0.2.${k + 1}`).join('\n')).join('\n') + '\n'],
] as const;

const declined = [
  ['a duplicate record', HEAD + 'www A 192.0.2.1\nwww A 192.0.2.1\n'],
  ['a TTL disagreement (a warning)', HEAD + 'www 20 A 192.0.2.1\nwww 30 A 192.0.2.2\n'],
  ['a bad address', HEAD + 'www A 192.0.2.300\n'],
  ['a check no pool uses (a warning)', HEAD + ';@check web tcp port=80\n;@pool www\nwww A 192.0.2.1\n'],
  ['a pool naming an unknown check', HEAD + ';@pool www check=web\nwww A 192.0.2.1\n'],
  ['a tcp check without a port', HEAD + ';@check web tcp\n;@pool www check=web\nwww A 192.0.2.1\n'],
  ['a check defined twice', HEAD + ';@check web tcp port=80\n;@check web http\n;@pool www check=web\nwww A 192.0.2.1\n'],
  ['a member check', HEAD + ';@check web tcp port=80\n;@pool www\nwww A 192.0.2.1 ;@ check=web\nwww A 192.0.2.2\n'],
  ['member settings on a record that is no pool member (a warning)', HEAD + 'www A 192.0.2.1 ;@ weight=2\n'],
  ['a member with a site', HEAD + 'www A 192.0.2.1 ;@ site=eu\nwww A 192.0.2.2\n'],
  ['a member with a probe port', HEAD + 'www A 192.0.2.1 ;@ port=8080\nwww A 192.0.2.2\n'],
  ['a weight out of range', HEAD + 'www A 192.0.2.1 ;@ weight=0\nwww A 192.0.2.2\n'],
  ['an unknown member key', HEAD + 'www A 192.0.2.1 ;@ colour=blue\nwww A 192.0.2.2\n'],
  ['a comment after member settings', HEAD + 'www A 192.0.2.1 ;@ weight=2 ; heavier\nwww A 192.0.2.2\n'],
  ['a CNAME', HEAD + 'www CNAME other\n'],
  ['a delegation', HEAD + 'sub NS ns.sub\nns.sub A 192.0.2.1\n'],
  ['a name outside the zone', HEAD + 'www.example.org. A 192.0.2.1\n'],
  ['a duplicate AAAA record, written two ways', HEAD + 'www AAAA 2001:db8::1\nwww AAAA 2001:DB8:0::1\n'],
  ['a bad IPv6 address', HEAD + 'www AAAA 2001:db8::g\n'],
  ['an unknown pool key', HEAD + ';@pool www colour=blue\nwww A 192.0.2.1\n'],
  ['a pool without addresses', HEAD + ';@pool www\nwww TXT "x"\n'],
  ['a TTL with units', HEAD + 'www 1h A 192.0.2.1\n'],
  ['$INCLUDE', HEAD + '$INCLUDE other.zone\n'],
  ['an escape', HEAD + 'w\\065w A 192.0.2.1\n'],
  ['CRLF', HEAD.replace(/\n/g, '\r\n')],
  ['no SOA', '$ORIGIN example.test.\n$TTL 300\n@ NS ns1\nns1 A 192.0.2.1\n'],
  ['no NS', '$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 30\n'],
] as const;

describe('fast lane (issue 14)', () => {
  it.each(accepted)('compiles %s exactly as the full pipeline', (_what, text) => {
    const fast = fastCompile(text, FILE);
    expect(fast, 'the fast lane should accept this zone').toBeDefined();
    const full = loadOk(text).zone;
    expect(dump(new CompactZone(fast!))).toEqual(dump(full));
  });

  it.each(accepted)('compiles %s into shared arrays, the same zone (a first version: compact.ts SHARED_ARRAYS)', (_what, text) => {
    const shared = fastCompile(text, FILE, SHARED_ARRAYS);
    expect(shared).toBeDefined();
    expect(shared?.nodes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(transferList(shared!)).toEqual([]);
    expect(shared).toEqual(copyArrays(fastCompile(text, FILE)!, SHARED_ARRAYS));
    expect(dump(new CompactZone(shared!))).toEqual(dump(loadOk(text).zone));
  });

  it.each(declined)('declines %s, for the full pipeline to report', (_what, text) => {
    expect(fastCompile(text, FILE)).toBeUndefined();
  });

  it('accepts the examples and fixtures it can, and agrees with the full pipeline on them', () => {
    const dirs = ['zones/examples', 'test/fixtures/zones/ok'];

    for (const dir of dirs) {
      for (const name of readdirSync(dir).filter((f) => f.endsWith('.zone'))) {
        const file = path.join(dir, name);
        const text = readFileSync(file, 'utf8');
        const fast = fastCompile(text, file);
        const full = load(text);
        if (!fast) continue;
        expect(full.ok, `${file}: the fast lane accepted a zone the full pipeline refuses`).toBe(true);
        if (full.ok) expect(full.warnings).toEqual([]);

      }
    }
  });
});

describe('compact form (issue 14)', () => {
  it('reads back every zone of the fixtures as compiled', () => {
    for (const name of readdirSync('test/fixtures/zones/ok').filter((f) => f.endsWith('.zone'))) {
      const text = readFileSync(path.join('test/fixtures/zones/ok', name), 'utf8');
      const r = load(text, { readInclude: (f) => readFileSync(f, 'utf8'), allowIncludeOutside: true });
      if (!r.ok) continue;
      expect(dump(new CompactZone(encodeZone(r.zone)))).toEqual(dump(r.zone));
    }
  });

  it('hands an unchanged pool over to the next version and rebuilds a changed one', () => {
    const v1 = HEAD + 'a A 192.0.2.1\na A 192.0.2.2\nb A 192.0.2.3\nb A 192.0.2.4\n';
    const v2 = HEAD + 'a A 192.0.2.1\na A 192.0.2.2\nb A 192.0.2.3\nb A 192.0.2.5\n';
    const one = new CompactZone(fastCompile(v1, FILE)!);
    const a1 = one.poolIndex.find('a.example.test.', 1);
    const b1 = one.poolIndex.find('b.example.test.', 1);
    const two = new CompactZone(fastCompile(v2, FILE)!, one);
    expect(two.poolIndex.find('a.example.test.', 1)).toBe(a1);
    expect(two.poolIndex.find('b.example.test.', 1)).not.toBe(b1);
    expect(two.nodes.get('a.example.test.')?.rrsets.get(1)?.pool).toBe(a1);
    expect(two.reusedPools).toBe(1);
  });

  it('hands a pool over between the lanes: no member rows (fast) and default rows (full pipeline) are the same members', () => {
    // v2 declines the fast lane (a CNAME elsewhere) and compiles through the full pipeline.
    const v1 = HEAD + 'a A 192.0.2.1\na A 192.0.2.2\nb A 192.0.2.3\nb A 192.0.2.4\n';
    const v2 = v1 + 'c CNAME a\n';
    expect(fastCompile(v2, FILE)).toBeUndefined();
    const fast = fastCompile(v1, FILE)!;
    expect(fast.members.length).toBe(0);
    const one = new CompactZone(fast);
    const a1 = one.poolIndex.find('a.example.test.', 1);
    expect(a1?.members.map((m) => [m.weight, m.priority, m.backup, m.targetId, m.site])).toEqual([
      [1, 1, false, undefined, undefined],
      [1, 1, false, undefined, undefined],
    ]);
    const two = new CompactZone(encodeZone(loadOk(v2).zone), one);
    expect(two.poolIndex.find('a.example.test.', 1)).toBe(a1);
    expect(two.reusedPools).toBe(1);
  });

  it('keeps AAAA addresses as 16 bytes each, not objects, and hands an unchanged AAAA pool over', () => {
    const v1 = HEAD + 'a AAAA 2001:db8::1\na AAAA 2001:db8::2\nb AAAA 2001:db8::3\nb AAAA 2001:db8::4\nc AAAA ::ffff:192.0.2.1\n';
    const v2 = v1.replace('2001:db8::4', '2001:db8::5');
    const data = encodeZone(loadOk(v1).zone);
    expect(data.ipv6.length).toBe(5 * 16);
    expect(data.others.some((r) => r.kind === 'AAAA')).toBe(false);
    expect(dump(new CompactZone(data))).toEqual(dump(loadOk(v1).zone));
    const one = new CompactZone(data);
    const a1 = one.poolIndex.find('a.example.test.', 28);
    const b1 = one.poolIndex.find('b.example.test.', 28);
    expect(a1?.members.map((m) => m.address)).toEqual(['2001:db8::1', '2001:db8::2']);
    const two = new CompactZone(encodeZone(loadOk(v2).zone), one);
    expect(two.poolIndex.find('a.example.test.', 28)).toBe(a1);
    expect(two.poolIndex.find('b.example.test.', 28)).not.toBe(b1);
    expect(two.poolIndex.find('b.example.test.', 28)?.members.map((m) => m.address)).toEqual(['2001:db8::3', '2001:db8::5']);
  });

  it('hands a checked pool over while its check is the same, and not once its settings changed', () => {
    const v1 = HEAD + ';@check web http interval=10s\n;@pool a check=web\na A 192.0.2.1\na A 192.0.2.2\n';
    const one = new CompactZone(fastCompile(v1, FILE)!);
    const a1 = one.poolIndex.find('a.example.test.', 1);
    expect(a1?.members[0]?.targetId).toBe('example.test./web/192.0.2.1/80');
    const same = new CompactZone(fastCompile(v1.replace('1 7200', '2 7200'), FILE)!, one);
    expect(same.poolIndex.find('a.example.test.', 1)).toBe(a1);
    const slower = new CompactZone(fastCompile(v1.replace('interval=10s', 'interval=20s'), FILE)!, one);
    expect(slower.poolIndex.find('a.example.test.', 1)).not.toBe(a1);
  });

  it('finds the pools with map= without decoding the others (site states for /metrics)', () => {
    const text = HEAD + ';@map m net:198.51.100.0/24=eu default=us\n;@pool www map=m\nwww A 192.0.2.1 ;@ site=eu\nwww A 192.0.2.2 ;@ site=us\nother A 192.0.2.3\nother A 192.0.2.4\n';
    const zone = new CompactZone(encodeZone(loadOk(text).zone));
    expect(zone.poolIndex.count).toBe(2);
    expect(zone.poolIndex.mapped().map((p) => [p.key, p.siteMap?.name])).toEqual([['www.example.test./A', 'm']]);
    const plain = new CompactZone(fastCompile(HEAD + 'a A 192.0.2.1\na A 192.0.2.2\n', FILE)!);
    expect(plain.poolIndex.mapped()).toEqual([]);
  });

  it('takes the decoded pools of the previous version over in steps, then lets it go', () => {
    let v1 = HEAD;
    let v2 = HEAD;
    for (let n = 0; n < 600; n++) {
      v1 += `h${n} A 192.0.2.1\nh${n} A 192.0.2.2\n`;
      v2 += `h${n} A 192.0.2.1\nh${n} A 192.0.2.${n === 7 ? 9 : 2}\n`;
    }
    const one = new CompactZone(fastCompile(v1, FILE)!);
    const asked = [3, 7, 450].map((n) => one.poolIndex.find(`h${n}.example.test.`, 1));
    const two = new CompactZone(fastCompile(v2, FILE)!, one);
    let steps = 1;
    while (!two.adoptStep(256)) steps++;
    expect(steps).toBe(3); // 600 pool slots, 256 a step
    expect(two.reusedPools).toBe(2); // h3 and h450; h7 changed and was decoded anew
    // The previous version is gone: what was handed over stays, the rest is decoded here.
    expect(two.poolIndex.find('h3.example.test.', 1)).toBe(asked[0]);
    expect(two.poolIndex.find('h450.example.test.', 1)).toBe(asked[2]);
    expect(two.poolIndex.find('h7.example.test.', 1)).not.toBe(asked[1]);
    expect(two.poolIndex.find('h8.example.test.', 1)).not.toBe(one.poolIndex.find('h8.example.test.', 1));
    expect(two.reusedPools).toBe(2);
  });
});
