/**
 * `rondo demo` as a user drives it through its control endpoint: the answers follow the backend
 * that is stopped and started, and each health transition is reported with the new answers.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { Demo } from '../../../cli/demo/demo.js';
import { demoZoneText } from '../../../cli/demo/zone.js';
import { silentLogger } from '../../../lib/logger.js';
import { parseZoneText } from '../../../zones/load.js';
import { addressSet, query } from './fixture.js';

const DEMO_POLL = { interval: 50, timeout: 10_000 } as const;

describe('rondo demo', () => {
  it('takes backend 2 out of the answers when it is stopped over HTTP, and back when it starts', async () => {
    const lines: string[] = [];
    const demo = new Demo({ listen: { host: '127.0.0.1', port: 0 }, controlPort: 0, logger: silentLogger(), print: (line) => lines.push(line) });
    onTestFinished(() => demo.stop());
    await demo.start();
    const dns = demo.dns;
    const addresses = demo.backendList.map((b) => b.recordAddress);
    const second = addresses[1] ?? '';

    const intro = demo.intro(false);
    expect(intro).toContain(`dig @127.0.0.1 -p ${dns.port} www.demo.test +short`);
    expect(intro).toContain(`curl -X POST ${demo.controlUrl}/backend/2/down`);
    expect(await addressSet(dns, 'www.demo.test')).toEqual([...addresses].sort());
    expect((await query(dns, 'api.demo.test')).addresses).toHaveLength(1);
    expect((await query(dns, 'app.demo.test')).addresses).toEqual([addresses[0]]);
    // Sites (issue 12): 198.51.100.0/24 goes to east (backend 3), everyone else to west (1 and 2).
    expect([...(await query(dns, 'geo.demo.test')).addresses].sort()).toEqual([addresses[0], addresses[1]].sort());
    expect((await query(dns, 'geo.demo.test', { clientIp: '198.51.100.7' })).addresses).toEqual([addresses[2]]);
    expect(intro).toMatch(/geo → east>west: east \S+ \| west>east: west \S+ \S+/);

    await expect.poll(() => lines.filter((l) => / is up \(passed/.test(l)).length, DEMO_POLL).toBe(3);

    const down = await fetch(`${demo.controlUrl}/backend/2/down`, { method: 'POST' });
    expect(await down.json()).toEqual({ backend: 2, serving: false });
    await expect.poll(() => addressSet(dns, 'www.demo.test'), DEMO_POLL).toEqual(addresses.filter((a) => a !== second).sort());
    expect(lines.join('\n')).toMatch(new RegExp(`backend 2 is down \\(ECONNREFUSED\\); answering now:\\n\\s+www → ${addresses[0]} ${addresses[2]}`));

    await fetch(`${demo.controlUrl}/backend/2/up`, { method: 'POST' });
    await expect.poll(() => addressSet(dns, 'www.demo.test'), DEMO_POLL).toEqual([...addresses].sort());
    expect(lines.some((l) => l.includes('backend 2 is up; answering now:'))).toBe(true);

    const status = (await (await fetch(`${demo.controlUrl}/`)).json()) as { backends: { health: string; healthChecks: number }[] };
    expect(status.backends.map((b) => b.health)).toEqual(['up', 'up', 'up']);
    expect((await fetch(`${demo.controlUrl}/backend/9/down`, { method: 'POST' })).status).toBe(404);
  });

  it('writes a valid zone for both backend layouts (loopback addresses, or ports on 127.0.0.1)', () => {
    const loopback = [11, 12, 13].map((n, i) => ({ number: i + 1, address: `127.0.0.${n}`, recordAddress: `127.0.0.${n}`, port: 8080 }));
    const ports = [11, 12, 13].map((n, i) => ({ number: i + 1, address: '127.0.0.1', recordAddress: `192.0.2.${n}`, port: 8081 + i }));
    for (const layout of [loopback, ports]) {
      const result = parseZoneText(demoZoneText(layout), 'demo.test.zone');
      if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
      const targets = result.zone.targets.map((t) => `${t.address}:${t.port}`).sort();
      expect(targets).toEqual(layout.map((b) => `${b.address}:${b.port}`).sort());
      expect(result.zone.pools.map((p) => `${p.name} ${p.config.policy}`)).toEqual(['www.demo.test. round-robin', 'api.demo.test. weighted', 'app.demo.test. failover', 'geo.demo.test. round-robin']);
    }
  });
});
