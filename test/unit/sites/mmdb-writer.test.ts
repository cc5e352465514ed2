/** Issue 12: the test MMDB writer produces databases the `maxmind` reader (and so --geoip) reads. */
import { describe, expect, it } from 'vitest';
import { Reader, type Response } from 'maxmind';
import { buildMmdb } from '../../helpers/mmdb-writer.js';
import { MaxMindGeo } from '../../../server/geoip.js';

describe('test MMDB writer', () => {
  it('writes networks the maxmind reader finds, with their prefix lengths', () => {
    const db = buildMmdb([
      { network: '192.0.2.0/24', country: 'JP', continent: 'AS' },
      { network: '203.0.113.0/25', country: 'DE', continent: 'EU' },
      { network: '2001:db8:200::/40', country: 'KR', continent: 'AS' },
      { network: '198.51.0.0/16', country: 'US' },
      { network: '198.51.100.0/24', country: 'FR' },
    ]);
    const r = new Reader<Response>(db);
    const geo = new MaxMindGeo(r, 'test.mmdb');
    expect(geo.lookup('192.0.2.7', 4)).toEqual({ country: 'JP', continent: 'AS', prefixLength: 24 });
    expect(geo.lookup('203.0.113.9', 4)).toEqual({ country: 'DE', continent: 'EU', prefixLength: 25 });
    expect(geo.lookup('203.0.113.200', 4)).toMatchObject({ country: undefined });
    expect(geo.lookup('2001:db8:200::1', 6)).toEqual({ country: 'KR', continent: 'AS', prefixLength: 40 });
    // No continent in the record: taken from the country. The /24 inside the /16 splits it: the
    // tree's network for 198.51.7.1 is 198.51.0.0/18, as in MaxMind's own databases.
    expect(geo.lookup('198.51.7.1', 4)).toEqual({ country: 'US', continent: 'NA', prefixLength: 18 });
    expect(geo.lookup('198.51.100.1', 4)).toEqual({ country: 'FR', continent: 'EU', prefixLength: 24 });
    expect(geo.lookup('2001:db8::1', 6).country).toBeUndefined();
    expect(geo.description).toContain('Rondo-Test-Country');
  });
});
