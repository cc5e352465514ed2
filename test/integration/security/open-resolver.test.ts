/**
 * No recursion, ever (issue 7): names outside our zones are REFUSED whatever RD says, RA is never
 * set, and a CNAME leading out of our zones is answered as far as our data goes, never chased.
 * Over UDP and TCP, with the real dig.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dig, expectRR, type DnsTarget } from '../../helpers/dig.js';
import { startDnsServer } from '../../helpers/dns-server.js';
import { fixtureZone, zoneSet } from '../../helpers/dns-zones.js';

let target: DnsTarget;

beforeAll(async () => {
  ({ target } = await startDnsServer(zoneSet(fixtureZone('example.test.zone'))));
});

describe('not an open resolver', () => {
  it.each([
    ['www.example.org.', 'A'],
    ['example.org.', 'NS'],
    ['.', 'NS'],
    ['test.', 'SOA'],
    ['1.2.0.192.in-addr.arpa.', 'PTR'],
  ])('REFUSES %s %s with RD=1, without AA or RA, over UDP and TCP', async (name, type) => {
    for (const tcp of [false, true]) {
      const r = await dig(target, name, type, { tcp, recurse: true });
      expect(r.status).toBe('REFUSED');
      expect(r.flags).not.toContain('ra');
      expect(r.flags).not.toContain('aa');
      expect([...r.answer, ...r.authority, ...r.additional]).toEqual([]);
    }
  });

  it('answers a CNAME that leaves our zones without following it', async () => {
    const r = await dig(target, 'outside.example.test.', 'A', { recurse: true });
    expect(r.status).toBe('NOERROR');
    expect(r.flags).not.toContain('ra');
    expect(r.answer).toHaveLength(1);
    expectRR(r.answer, 'outside.example.test. 300 IN CNAME www.example.org.');
  });
});
