/**
 * Issue 12 (multi-site steering): `dig +subnet=` gets the right site's members for each rule kind
 * (net v4/v6, country, continent, default), with the ECS SCOPE PREFIX-LENGTH of the decision; a
 * query without ECS is steered by its source address (on the fast path); a map with country rules
 * and no --geoip is a start-up error.
 */
import { describe, expect, it } from 'vitest';
import { dig, expectSection } from '../../helpers/dig.js';
import { zoneText } from '../balance-e2e/fixture.js';
import { Runtime } from '../../../server/runtime.js';
import { silentLogger } from '../../../lib/logger.js';
import { startSites } from './fixture.js';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

const ZONE = zoneText(`
;@map geo net:198.51.100.0/24=v4net>us net:2001:db8:100::/48=v6net>us country:JP,KR=ap>us continent:EU=eu>us default=us>eu
;@pool www map=geo
www   30 IN A    192.0.2.10   ;@ site=us
www   30 IN A    192.0.2.20   ;@ site=eu
www   30 IN A    192.0.2.30   ;@ site=ap
www   30 IN A    192.0.2.40   ;@ site=v4net
www   30 IN A    192.0.2.41   ;@ site=v4net
www   30 IN A    192.0.2.60   ;@ site=v6net
www   30 IN AAAA 2001:db8::10 ;@ site=us
www   30 IN AAAA 2001:db8::20 ;@ site=eu
;@map lo net:127.0.0.2/32=eu default=us
;@pool local map=lo
local 30 IN A    192.0.2.10   ;@ site=us
local 30 IN A    192.0.2.20   ;@ site=eu
`);

const GEO = [
  { network: '203.0.113.0/25', country: 'JP', continent: 'AS' },
  { network: '192.0.2.0/24', country: 'DE', continent: 'EU' },
  { network: '2001:db8:200::/40', country: 'FR', continent: 'EU' },
  { network: '2001:db8:300::/40', country: 'KR', continent: 'AS' },
];

describe('sites: map rules through dig +subnet', () => {
  it('answers each rule kind from its site with the scope that decided it', async () => {
    const rondo = await startSites(ZONE, { geo: GEO, checks: false });
    const cases: { subnet: string; type?: string; answer: string[]; scope: string }[] = [
      // net: v4, the matched /24
      { subnet: '198.51.100.77/32', answer: ['192.0.2.40', '192.0.2.41'], scope: '198.51.100.77/32/24' },
      // net: v6, the matched /48
      { subnet: '2001:db8:100:5::/64', answer: ['192.0.2.60'], scope: '2001:db8:100:5::/64/48' },
      // country JP: the database's /25
      { subnet: '203.0.113.0/24', answer: ['192.0.2.30'], scope: '203.0.113.0/24/25' },
      // country KR over IPv6: the database's /40
      { subnet: '2001:db8:300::/48', answer: ['192.0.2.30'], scope: '2001:db8:300::/48/40' },
      // continent EU (DE and FR have no country rule)
      { subnet: '192.0.2.0/24', answer: ['192.0.2.20'], scope: '192.0.2.0/24/24' },
      { subnet: '2001:db8:200::/56', type: 'AAAA', answer: ['2001:db8::20'], scope: '2001:db8:200::/56/40' },
      // default: in no net: prefix and no database network with a country
      { subnet: '203.0.113.128/25', answer: ['192.0.2.10'], scope: '203.0.113.128/25/25' },
    ];
    for (const c of cases) {
      const type = c.type ?? 'A';
      for (const tcp of [false, true]) {
        const res = await dig(rondo.target, 'www.example.test', type, { subnet: c.subnet, tcp });
        expect(res.status, `${c.subnet} ${type}`).toBe('NOERROR');
        expectSection(res.answer, c.answer.map((a) => `www.example.test. 30 IN ${type} ${a}`));
        expect(res.edns?.subnet, `${c.subnet} scope`).toBe(c.scope);
      }
    }
  });

  it('steers a query without ECS by its source address, on the fast path', async () => {
    const rondo = await startSites(ZONE, { geo: GEO, checks: false });
    const before = rondo.runtime.server?.fastPathStats()?.answered ?? 0;
    const fromTwo = await dig(rondo.target, 'local.example.test', 'A', { extra: ['-b', '127.0.0.2'] });
    expectSection(fromTwo.answer, ['local.example.test. 30 IN A 192.0.2.20']);
    expect(fromTwo.edns?.subnet).toBeUndefined();
    const fromOne = await dig(rondo.target, 'local.example.test', 'A', { extra: ['-b', '127.0.0.1'] });
    expectSection(fromOne.answer, ['local.example.test. 30 IN A 192.0.2.10']);
    for (let i = 0; i < 3; i++) {
      expectSection((await dig(rondo.target, 'local.example.test', 'A', { extra: ['-b', '127.0.0.2'] })).answer, ['local.example.test. 30 IN A 192.0.2.20']);
    }
    expect((rondo.runtime.server?.fastPathStats()?.answered ?? 0) - before).toBe(5);
    // The same source with ECS takes the full path and is steered by the subnet.
    const ecs = await dig(rondo.target, 'local.example.test', 'A', { extra: ['-b', '127.0.0.2'], subnet: '198.51.100.0/24' });
    expectSection(ecs.answer, ['local.example.test. 30 IN A 192.0.2.10']);
    // The answer holds for every address outside 127.0.0.2/32 as far as 128.0.0.0/1 reaches.
    expect(ecs.edns?.subnet).toBe('198.51.100.0/24/1');
  });

  it('refuses a reload that adds country rules without --geoip, and keeps serving the previous zone', async () => {
    const netOnly = zoneText(`
;@map lo net:198.51.100.0/24=eu default=us
;@pool local map=lo
local 30 IN A    192.0.2.10   ;@ site=us
local 30 IN A    192.0.2.20   ;@ site=eu
`);
    const rondo = await startSites(netOnly, { checks: false });
    const file = path.join(rondo.dir, 'example.test.zone');
    const next = path.join(rondo.dir, '.next.tmp');
    await writeFile(next, netOnly.replace('default=us', 'country:JP=eu default=us'));
    await rename(next, file);
    await expect.poll(() => rondo.runtime.zoneLoads.get('example.test.')?.failed ?? 0, { interval: 20, timeout: 8000 }).toBe(1);
    const res = await dig(rondo.target, 'local.example.test', 'A', { subnet: '198.51.100.0/24' });
    expectSection(res.answer, ['local.example.test. 30 IN A 192.0.2.20']);
  });

  it('refuses to start with country rules and no --geoip (CONFIG_GEOIP_REQUIRED)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-sites-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'example.test.zone'), ZONE);
    const runtime = new Runtime({ zonePaths: [dir], listen: [{ host: '127.0.0.1', port: 0 }], checks: false, logger: silentLogger() });
    onTestFinished(() => runtime.stop());
    await expect(runtime.start()).rejects.toMatchObject({ code: 'CONFIG_GEOIP_REQUIRED', message: expect.stringMatching(/example\.test\.zone:\d+:\d+: ;@map geo has country\/continent rules.*--geoip/) });
  });
});
