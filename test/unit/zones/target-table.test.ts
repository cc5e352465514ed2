/**
 * Probe targets as rows (zones/target-table.ts): the same target added twice is one row, every
 * id is found by its hash (the builder hashes ids without making them, the table hashes the id it
 * is given: both must agree, through the table's growth too), each target knows its pools, and
 * the Target objects equal the ones the full pipeline makes.
 */
import { describe, expect, it } from 'vitest';
import type { CheckSpec } from '../../../model/zone.js';
import { CompactZone, TRANSFERABLE_ARRAYS } from '../../../zones/compact.js';
import { fastCompile } from '../../../zones/fast-compile.js';
import { targetQuorums } from '../../../health/consensus.js';
import { targetId } from '../../../zones/compile.js';
import { TargetRowsBuilder, TargetTable } from '../../../zones/target-table.js';

const ORIGIN = 'example.test.';
const web = { name: 'web', kind: 'tcp', port: 80 } as unknown as CheckSpec;
const ping = { name: 'ping', kind: 'icmp' } as unknown as CheckSpec;

describe('target rows', () => {
  it('finds every target by id, once per id, with its pools', () => {
    const builder = new TargetRowsBuilder(ORIGIN, TRANSFERABLE_ARRAYS);
    const width = 5;
    const members: number[] = [];
    const memberStart = [0];
    // 1,000 pools of 3 members: members 0 and 1 their own web targets, member 2 a shared ping target per 10 pools.
    for (let p = 0; p < 1000; p++) {
      members.push(1, 1, 0, builder.add(web, `10.0.${p >> 8}.${p & 255}`, 80), -1);
      members.push(1, 1, 0, builder.add(web, `2001:db8::${p.toString(16)}`, 80), -1);
      members.push(1, 1, 0, builder.add(ping, `192.0.2.${Math.floor(p / 10)}`, 0), -1);
      memberStart.push(memberStart[memberStart.length - 1]! + 3);
    }
    expect(builder.add(web, '10.0.0.0', 80)).toBe(0);
    expect(builder.count).toBe(2100);
    const rows = builder.finish(Int32Array.from(members), width, 3, Int32Array.from(memberStart));
    const table = new TargetTable(ORIGIN, rows);
    expect(table.count).toBe(2100);
    for (let t = 0; t < table.count; t++) expect(table.rowOf(table.id(t)!)).toBe(t);
    expect(table.rowOf(targetId(ORIGIN, web, '10.0.0.0', 81))).toBe(-1);
    expect(table.rowOf(targetId(ORIGIN, web, '10.9.9.9', 80))).toBe(-1);
    // Ids that differ from a present one in a single part.
    const present = targetId(ORIGIN, web, '10.0.0.1', 80);
    expect(table.rowOf(present)).toBeGreaterThanOrEqual(0);
    for (const near of [`${present}0`, present.slice(0, -1), present.replace('10.0.0.1/', '10.0.0.1x/'), present.replace('/web/', '/ping/'), `other.test./web/10.0.0.1/80`, present.replace('/80', '/08')]) {
      expect(table.rowOf(near)).toBe(-1);
    }

    const shared = table.rowOf(targetId(ORIGIN, ping, '192.0.2.7', 0));
    expect([...table.poolsOf(shared)]).toEqual([70, 71, 72, 73, 74, 75, 76, 77, 78, 79]);
    expect([...table.poolsOf(table.rowOf(targetId(ORIGIN, web, '2001:db8::1f', 80)))]).toEqual([31]);
    expect(table.target(shared)).toEqual({ id: `${ORIGIN}/ping/192.0.2.7/0`, zone: ORIGIN, check: ping, address: '192.0.2.7', port: 0 });
    expect(table.list()).toHaveLength(2100);
    expect(table.list()[shared]).toBe(table.target(shared));
  });

  it('tells the same probe from a changed one across versions', () => {
    const make = (port: number, address: string, check: CheckSpec) => {
      const b = new TargetRowsBuilder(ORIGIN, TRANSFERABLE_ARRAYS, 1);
      b.add(check, address, port);
      return new TargetTable(ORIGIN, b.finish(new Int32Array(0), 5, 3, Int32Array.from([0])));
    };
    const a = make(80, '10.0.0.1', web);
    expect(a.same(0, make(80, '10.0.0.1', { ...web } as CheckSpec), 0)).toBe(true);
    expect(a.same(0, make(81, '10.0.0.1', web), 0)).toBe(false);
    expect(a.same(0, make(80, '10.0.0.2', web), 0)).toBe(false);
    expect(a.same(0, make(80, '10.0.0.1', { ...web, port: 81 } as unknown as CheckSpec), 0)).toBe(false);
  });

  it("gives each target of a compiled zone its pools' quorums, as the decoded pools do", () => {
    const text = [
      '$ORIGIN example.test.',
      '$TTL 300',
      '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30',
      '  IN NS ns1',
      'ns1 IN A 192.0.2.53',
      ';@check web tcp port=80',
      ';@pool a check=web quorum=1',
      'a 20 IN A 192.0.2.1',
      'a 20 IN A 192.0.2.2',
      ';@pool b check=web quorum=all',
      'b 20 IN A 192.0.2.2',
      'b 20 IN A 192.0.2.3',
      ';@pool c check=web',
      'c 20 IN A 192.0.2.3',
      'c 20 IN A 192.0.2.4',
      '',
    ].join('\n');
    const data = fastCompile(text, 'example.test.zone');
    expect(data).toBeDefined();
    const zone = new CompactZone(data!);
    const source = zone.targetSource;
    const fromRows = new Map(Array.from({ length: source.count }, (_, i) => [source.id(i), [...(source.quorumsOf(i))].sort()] as const));
    const fromPools = new Map(targetQuorums([{ pools: zone.pools }]).map((t) => [t.id, [...t.quorum].sort()] as const));
    expect(fromRows).toEqual(fromPools);
    expect(fromRows.get(`${ORIGIN}/web/192.0.2.2/80`)).toEqual([1, 'all']);
    expect(fromRows.get(`${ORIGIN}/web/192.0.2.4/80`)).toEqual(['majority']);
  });
});
