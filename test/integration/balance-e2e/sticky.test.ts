/**
 * Sticky pools keyed on the EDNS Client Subnet (RFC 7871): one client subnet always gets the
 * same first answer, different subnets spread over the members, a member that dies moves only
 * its own clients, and the response's ECS scope is the pool's prefix.
 */
import { describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dig.js';
import { POLL, query, startBackends, startRondo, zoneText } from './fixture.js';

const MEMBERS = ['127.0.0.51', '127.0.0.52', '127.0.0.53'];
/** 120 client /24s in the benchmarking range 198.18.0.0/15 (RFC 2544). */
const SUBNETS = Array.from({ length: 120 }, (_, i) => `198.18.${i}.0/24`);

describe('sticky pools end to end', () => {
  it('keeps each client subnet on one member and moves only the clients of a member that dies', async () => {
    const backends = await startBackends(MEMBERS);
    const doomed = backends[1];
    if (!doomed) throw new Error('backends expected');
    const rondo = await startRondo(
      zoneText(`
;@check web http port=${doomed.port} path=/healthz interval=250ms timeout=200ms rise=1 fall=2
;@pool www policy=sticky check=web
www  20 IN A ${MEMBERS[0]}
www  20 IN A ${MEMBERS[1]}
www  20 IN A ${MEMBERS[2]}
`),
    );
    await expect.poll(() => rondo.states('www'), POLL).toEqual(['up', 'up', 'up']);

    const firstFor = async (clientIp: string): Promise<string> => (await query(rondo.target, 'www.example.test', { clientIp })).addresses[0] ?? '';
    const before = new Map<string, string>();
    for (const subnet of SUBNETS) before.set(subnet, await firstFor(subnet));

    // The same subnet asked again (from another address inside it) gets the same member.
    for (const subnet of SUBNETS.slice(0, 20)) {
      const again = await firstFor(subnet.replace('.0/24', '.77/32'));
      expect(again).toBe(before.get(subnet));
    }
    // Different subnets spread over every member (each expected to win about a third of them).
    const perMember = MEMBERS.map((m) => [...before.values()].filter((first) => first === m).length);
    for (const n of perMember) expect(n).toBeGreaterThanOrEqual(20);

    await doomed.stop();
    await expect.poll(() => rondo.states('www'), POLL).toEqual(['up', 'down', 'up']);
    let moved = 0;
    for (const subnet of SUBNETS) {
      const now = await firstFor(subnet);
      const was = before.get(subnet);
      if (was === doomed.address) {
        expect(now).not.toBe(doomed.address);
        moved += 1;
      } else {
        expect(now, `client ${subnet} was on ${was}`).toBe(was);
      }
    }
    expect(moved).toBe(perMember[1]);
  });

  it('answers with the pool prefix as ECS scope', async () => {
    const rondo = await startRondo(
      zoneText(`
;@pool www policy=sticky sticky-v4=24
www  20 IN A 192.0.2.10
www  20 IN A 192.0.2.11
`),
    );
    // A /32 source: the answer depended on the first 24 bits only.
    const narrow = await dig(rondo.target, 'www.example.test', 'A', { subnet: '198.51.100.7/32' });
    expect(narrow.status).toBe('NOERROR');
    expect(narrow.edns?.subnet).toBe('198.51.100.7/32/24');
    expect((await query(rondo.target, 'www.example.test', { clientIp: '198.51.100.7/32' })).ecsScope).toBe(24);
    // A /16 source: the pool could only use those 16 bits.
    expect((await query(rondo.target, 'www.example.test', { clientIp: '198.51.0.0/16' })).ecsScope).toBe(16);
    // No ECS option in the query: none in the answer.
    expect((await query(rondo.target, 'www.example.test')).ecsScope).toBeUndefined();
  });
});
