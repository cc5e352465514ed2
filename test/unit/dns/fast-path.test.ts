/**
 * Issue 6, the UDP fast path: which queries it takes and which it leaves to the full path, that a
 * health change among 10,000 pools re-encodes only the pools whose plan changed, that a zone
 * reload makes new encodings, and that the answer observer hears both paths alike.
 */
import { describe, expect, it } from 'vitest';
import type { Pool } from '../../../model/zone.js';
import { buildQuery, ecsOption, wireName, type QuerySpec } from '../../helpers/dns-client.js';
import { zoneFromText } from '../../helpers/dns-zones.js';
import { presentMessage } from '../../helpers/presentation.js';
import type { AnswerObserver } from '../../../dns/planned-selector.js';
import { World } from './fast-path-world.js';

const ZONE = `
$ORIGIN fp.example.test.
$TTL 300
@    IN SOA ns1 hostmaster 1 7200 900 1209600 30
     IN NS  ns1
ns1  IN A   192.0.2.53
solo IN A   192.0.2.1
alias IN CNAME www
*.wild IN A 192.0.2.99
;@check web tcp port=80
;@pool www policy=round-robin check=web all-down=servfail
www  20 IN A 192.0.2.10
www  20 IN A 192.0.2.11
www  20 IN A 192.0.2.12
;@pool many policy=round-robin answers=all
${Array.from({ length: 40 }, (_, i) => `many IN AAAA 2001:db8::${i + 1}`).join('\n')}
`;

function takesFastPath(world: World, spec: QuerySpec | Buffer): boolean {
  const before = world.fast?.stats.answered ?? 0;
  const response = world.ask(Buffer.isBuffer(spec) ? spec : buildQuery(spec));
  expect(response).toBeDefined();
  return (world.fast?.stats.answered ?? 0) > before;
}

describe('which queries take the fast path', () => {
  const world = new World([zoneFromText(ZONE)], { fast: true });
  const www = 'www.fp.example.test.';

  it.each<[string, QuerySpec]>([
    ['a pool, plain', { name: www }],
    ['a pool, mixed case', { name: 'WwW.Fp.ExAmPlE.TeSt.' }],
    ['a pool, RD clear', { name: www, rd: false }],
    ['a pool, EDNS without options', { name: www, edns: {} }],
    ['a pool, EDNS with a cookie', { name: www, edns: { options: [{ code: 10, data: Buffer.alloc(8, 1) }] } }],
    ['a pool, EDNS size below 512', { name: www, edns: { udpSize: 100 } }],
    ['a pool, the DO bit (echoed)', { name: www, edns: { dnssecOk: true } }],
    ['a static A RRset', { name: 'solo.fp.example.test.' }],
  ])('takes %s', (_, spec) => {
    // The first query for a name teaches the fast path; from the second on it answers.
    world.ask(buildQuery(spec));
    expect(takesFastPath(world, spec)).toBe(true);
  });

  it.each<[string, QuerySpec]>([
    ['EDNS Client Subnet', { name: www, edns: { options: [ecsOption(1, 24, Buffer.from([198, 51, 100]))] } }],
    ['EDNS version 1', { name: www, edns: { version: 1 } }],
    ['a CNAME', { name: 'alias.fp.example.test.' }],
    ['a wildcard', { name: 'x.wild.fp.example.test.' }],
    ['NXDOMAIN', { name: 'nope.fp.example.test.' }],
    ['NODATA', { name: www, type: 28 }],
    ['a type other than A/AAAA', { name: www, type: 16 }],
    ['ANY', { name: www, type: 255 }],
    ['class CH', { name: www, klass: 3 }],
    ['a name not ours', { name: 'www.example.org.' }],
    ['an answer larger than 512 octets without EDNS', { name: 'many.fp.example.test.', type: 28 }],
  ])('leaves %s to the full path', (_, spec) => {
    world.ask(buildQuery(spec));
    expect(takesFastPath(world, spec)).toBe(false);
  });

  it('answers a large pool when the EDNS size admits it', () => {
    const spec: QuerySpec = { name: 'many.fp.example.test.', type: 28, edns: { udpSize: 4096 } };
    world.ask(buildQuery(spec));
    expect(takesFastPath(world, spec)).toBe(true);
  });

  it('leaves a compressed question name to the full path', () => {
    const name = wireName(www);
    // The question name as a pointer to a copy of it placed in... nowhere valid: the full path says FORMERR.
    const message = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 12]), Buffer.from([0, 1, 0, 1]), name]);
    expect(takesFastPath(world, message)).toBe(false);
  });

  it('leaves a pool whose members are all down (servfail) to the full path, and takes it again when one is back', () => {
    const zone = zoneFromText(ZONE);
    const w = new World([zone], { fast: true });
    const targets = zone.targets.map((t) => t.id);
    for (const id of targets) w.setHealth(id, 'down');
    w.ask(buildQuery({ name: www }));
    expect(takesFastPath(w, { name: www })).toBe(false);
    expect(presentMessage(w.ask(buildQuery({ name: www })) ?? Buffer.alloc(0)).rcode).toBe('SERVFAIL');
    w.setHealth(targets[1] ?? '', 'up');
    expect(takesFastPath(w, { name: www })).toBe(true);
    expect(presentMessage(w.ask(buildQuery({ name: www })) ?? Buffer.alloc(0)).answer).toEqual(['www.fp.example.test. 20 IN A 192.0.2.11']);
  });
});

describe('pre-encoded answers are re-encoded only for what changed', () => {
  function manyPools(count: number): string {
    const lines = ['$ORIGIN scale.example.test.', '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 192.0.2.53', ';@check web tcp port=80'];
    for (let p = 0; p < count; p++) {
      lines.push(`;@pool p${p} policy=round-robin check=web`);
      for (let m = 1; m <= 4; m++) lines.push(`p${p} 20 IN AAAA 2001:db8:${p.toString(16)}::${m}`);
    }
    return lines.join('\n') + '\n';
  }

  it('a health change among 10,000 pools re-encodes only the 10 pools whose plan changed', () => {
    const zone = zoneFromText(manyPools(10_000));
    const world = new World([zone], { fast: true });
    const fast = world.fast!;
    const askAll = (): void => {
      for (let p = 0; p < 10_000; p++) world.ask(buildQuery({ id: p, name: `p${p}.scale.example.test.`, type: 28 }));
    };
    askAll();
    expect(fast.stats.answered).toBe(10_000);
    expect(fast.cache.stats.poolEncodes).toBe(10_000);
    const buildsBefore = world.selector.stats.planBuilds;

    // One member down in each of 10 pools.
    const changed = [3, 777, 1234, 2500, 4096, 5000, 6543, 8000, 9001, 9999];
    const poolsByName = new Map(zone.pools.map((p): [string, Pool] => [p.name, p]));
    for (const p of changed) {
      const member = poolsByName.get(`p${p}.scale.example.test.`)?.members[1];
      world.setHealth(member?.targetId ?? '', 'down');
    }
    expect(world.selector.stats.planBuilds - buildsBefore).toBe(10);
    askAll();
    expect(fast.cache.stats.poolEncodes).toBe(10_010);
    expect(fast.stats.answered).toBe(20_000);

    // A verdict that leaves the variants as they were (unknown -> up) rebuilds a plan but keeps the bytes.
    const untouched = poolsByName.get('p42.scale.example.test.')?.members[0];
    world.setHealth(untouched?.targetId ?? '', 'up');
    askAll();
    expect(world.selector.stats.planBuilds - buildsBefore).toBe(11);
    expect(fast.cache.stats.poolEncodes).toBe(10_010);

    // The changed pools no longer answer the down member.
    const answer = presentMessage(world.ask(buildQuery({ name: 'p777.scale.example.test.', type: 28, edns: { udpSize: 4096 } })) ?? Buffer.alloc(0));
    expect(answer.answer).toHaveLength(3);
    expect(answer.answer.join('\n')).not.toContain('2001:db8:309::2');
  });

  it('a verdict on a target two pools probe re-plans both, and only them', () => {
    const zone = zoneFromText(`$ORIGIN two.example.test.
$TTL 300
@ IN SOA ns1 hostmaster 1 7200 900 1209600 30
  IN NS ns1
ns1 IN A 192.0.2.53
;@check web tcp port=80
;@pool a check=web
a 20 IN A 192.0.2.10
a 20 IN A 192.0.2.11
;@pool b check=web
b 20 IN A 192.0.2.10
b 20 IN A 192.0.2.12
;@pool c check=web
c 20 IN A 192.0.2.13
c 20 IN A 192.0.2.14
`);
    const world = new World([zone], { fast: true });
    for (const name of ['a', 'b', 'c']) world.ask(buildQuery({ name: `${name}.two.example.test.`, type: 1 }));
    const shared = zone.pools.find((p) => p.name === 'a.two.example.test.')?.members[0]?.targetId;
    expect(zone.pools.find((p) => p.name === 'b.two.example.test.')?.members[0]?.targetId).toBe(shared);
    const before = world.selector.stats.planBuilds;
    world.setHealth(shared ?? '', 'down');
    expect(world.selector.stats.planBuilds - before).toBe(2);
    for (const name of ['a', 'b']) {
      const answer = presentMessage(world.ask(buildQuery({ name: `${name}.two.example.test.`, type: 1 })) ?? Buffer.alloc(0));
      expect(answer.answer.join('\n')).not.toContain('192.0.2.10');
    }
  });

  it('a zone reload makes new encodings and forgets the names learnt', () => {
    const zone = zoneFromText(ZONE);
    const world = new World([zone], { fast: true });
    const ask = () => presentMessage(world.ask(buildQuery({ name: 'solo.fp.example.test.' })) ?? Buffer.alloc(0));
    expect(ask().answer).toEqual(['solo.fp.example.test. 300 IN A 192.0.2.1']);
    expect(ask().answer).toEqual(['solo.fp.example.test. 300 IN A 192.0.2.1']);
    const encodesBefore = world.fast!.cache.stats.staticEncodes;
    world.load([zoneFromText(ZONE.replace('solo IN A   192.0.2.1', 'solo 60 IN A 192.0.2.2'))]);
    expect(ask().answer).toEqual(['solo.fp.example.test. 60 IN A 192.0.2.2']);
    expect(world.fast!.cache.stats.staticEncodes).toBe(encodesBefore + 1);
  });
});

describe('the answer observer', () => {
  it('hears every pool answer with the same variant and client on both paths', () => {
    type Seen = [string, string, string, boolean];
    const observer = (seen: Seen[]): AnswerObserver => ({
      onPoolAnswer: (pool, members, clientAddress, ecs) => seen.push([pool.key, members.join(','), clientAddress, ecs !== undefined]),
    });
    const seenFast: Seen[] = [];
    const seenFull: Seen[] = [];
    const zone = zoneFromText(ZONE);
    const fast = new World([zone], { fast: true, observer: observer(seenFast) });
    const full = new World([zone], { fast: false, observer: observer(seenFull) });
    for (let i = 0; i < 9; i++) {
      const spec: QuerySpec = { id: i, name: 'www.fp.example.test.', ...(i % 3 === 2 ? { edns: { options: [ecsOption(1, 24, Buffer.from([198, 51, 100]))] } } : {}) };
      fast.ask(buildQuery(spec), '203.0.113.5');
      full.ask(buildQuery(spec), '203.0.113.5');
    }
    expect(fast.fast?.stats.answered).toBeGreaterThan(0);
    expect(seenFast).toHaveLength(9);
    expect(seenFast).toEqual(seenFull);
    expect(seenFast.map((s) => s[1])).toEqual(['0,1,2', '1,2,0', '2,0,1', '0,1,2', '1,2,0', '2,0,1', '0,1,2', '1,2,0', '2,0,1']);
  });
});
