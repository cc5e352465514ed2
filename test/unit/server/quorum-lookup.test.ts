/**
 * A Redis store's quorums looked up in the served zones (server/quorum-lookup.ts): a compact zone
 * finds each target in its rows, another zone (an API overlay's) is listed, and a target of no
 * served zone has none, which tells the store it is not ours.
 */
import { describe, expect, it } from 'vitest';
import { zonesQuorumLookup } from '../../../server/quorum-lookup.js';
import { CompactZone } from '../../../zones/compact.js';
import { fastCompile } from '../../../zones/fast-compile.js';
import { parseZoneText } from '../../../zones/load.js';
import type { Zone } from '../../../model/zone.js';

function zoneText(origin: string): string {
  return [
    `$ORIGIN ${origin}`,
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
    '',
  ].join('\n');
}

function compact(origin: string): Zone {
  const data = fastCompile(zoneText(origin), `${origin}zone`);
  if (!data) throw new Error('the fast lane declined the test zone');
  return new CompactZone(data);
}

function plain(origin: string): Zone {
  const result = parseZoneText(zoneText(origin), `${origin}zone`);
  if (!result.ok) throw new Error('the test zone did not compile');
  return result.zone;
}

describe('quorums looked up in the zones', () => {
  it('finds each target in a compact zone, in a listed one, and in neither', () => {
    const lookup = zonesQuorumLookup([compact('one.test.'), plain('two.test.')]);
    for (const origin of ['one.test.', 'two.test.']) {
      expect(lookup.quorumsOf(`${origin}/web/192.0.2.1/80`)).toEqual([1]);
      expect([...(lookup.quorumsOf(`${origin}/web/192.0.2.2/80`) ?? [])].sort()).toEqual([1, 'all']);
      expect(lookup.quorumsOf(`${origin}/web/192.0.2.3/80`)).toEqual(['all']);
      expect(lookup.quorumsOf(`${origin}/web/192.0.2.4/80`)).toBeUndefined();
      expect(lookup.quorumsOf(`${origin}/web/192.0.2.1/81`)).toBeUndefined();
    }
    expect(lookup.quorumsOf('three.test./web/192.0.2.1/80')).toBeUndefined();
    expect(zonesQuorumLookup([]).quorumsOf('one.test./web/192.0.2.1/80')).toBeUndefined();
  });
});
