/**
 * Issue 12, through a real resolver: unbound in ECS mode (`module-config: "subnetcache iterator"`,
 * `send-client-subnet` toward Rondo) answers clients of two subnets from two different sites, and
 * caches each answer for its own subnet (the scope Rondo returned): a repeat from either subnet,
 * or another client of the first subnet, is answered from unbound's cache without asking Rondo.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { zoneText } from '../balance-e2e/fixture.js';
import { DnsClient, startUnbound, unboundAvailable } from '../report/unbound.js';
import { startSites } from './fixture.js';

describe.runIf(unboundAvailable())('sites: through unbound in ECS mode', () => {
  it('answers two client subnets from two sites and caches each separately', { timeout: 30_000 }, async () => {
    const rondo = await startSites(
      zoneText(`
;@map nets net:127.0.1.0/24=eu>us default=us>eu
;@pool www map=nets ttl=300
www 30 IN A 192.0.2.10 ;@ site=us
www 30 IN A 192.0.2.20 ;@ site=eu
`),
      { checks: false },
    );
    const unbound = await startUnbound({ zone: 'example.test', stubHost: rondo.target.host, stubPort: rondo.target.port, outgoing: '127.0.0.1', ecs: true });
    onTestFinished(() => unbound.stop());
    const clients = ['127.0.1.5', '127.0.2.5', '127.0.1.9'].map((address) => new DnsClient(unbound.host, unbound.port, 3000, address));
    onTestFinished(() => clients.forEach((c) => c.close()));
    const [eu1, us1, eu2] = clients as [DnsClient, DnsClient, DnsClient];
    const asked = () => rondo.runtime.selector.sites.answerCounts().reduce((n, c) => n + c.count, 0);

    expect((await eu1.query('www.example.test')).addresses, unbound.logTail()).toEqual(['192.0.2.20']);
    expect((await us1.query('www.example.test')).addresses).toEqual(['192.0.2.10']);
    const afterFirst = asked();
    expect(afterFirst).toBe(2);
    // Repeats from both subnets, and a new client in the first one: unbound's per-subnet cache.
    for (let i = 0; i < 3; i++) {
      expect((await eu1.query('www.example.test')).addresses).toEqual(['192.0.2.20']);
      expect((await us1.query('www.example.test')).addresses).toEqual(['192.0.2.10']);
      expect((await eu2.query('www.example.test')).addresses).toEqual(['192.0.2.20']);
    }
    expect(asked()).toBe(afterFirst);
    const bySite = Object.fromEntries(rondo.runtime.selector.sites.answerCounts().map((c) => [c.site, c.count]));
    expect(bySite).toEqual({ eu: 1, us: 1 });
  });
});
