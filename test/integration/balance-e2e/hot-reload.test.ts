/**
 * Editing a served zone file changes the pool without a restart: the new members are probed and
 * answered, the removed ones are no longer probed.
 */
import { describe, expect, it } from 'vitest';
import { addressSet, POLL, startBackends, startRondo, zoneText } from './fixture.js';

function zone(port: number, members: readonly string[]): string {
  return zoneText(`
;@check web http port=${port} path=/healthz interval=200ms timeout=150ms rise=1 fall=2
;@pool www check=web
${members.map((m) => `www  20 IN A ${m}`).join('\n')}
`);
}

describe('zone hot reload with checks', () => {
  it('probes the new members after the file changes and stops probing the removed ones', async () => {
    const [old, kept, added] = await startBackends(['127.0.0.81', '127.0.0.82', '127.0.0.83']);
    if (!old || !kept || !added) throw new Error('backends expected');
    const rondo = await startRondo(zone(old.port, [old.address, kept.address]));
    await expect.poll(() => rondo.states('www'), POLL).toEqual(['up', 'up']);
    expect(added.hits('/healthz')).toBe(0);

    await rondo.rewriteZone(zone(old.port, [kept.address, added.address]));
    await expect.poll(() => addressSet(rondo.target, 'www.example.test'), POLL).toEqual([kept.address, added.address]);
    expect(rondo.runtime.scheduler?.targetCount).toBe(2);
    const oldProbes = old.hits('/healthz');
    const addedProbes = added.hits('/healthz');

    // Three more rounds of the new member; the removed one gets at most a probe already in flight.
    await expect.poll(() => added.hits('/healthz'), POLL).toBeGreaterThanOrEqual(addedProbes + 3);
    await expect.poll(() => rondo.states('www'), POLL).toEqual(['up', 'up']);
    expect(old.hits('/healthz')).toBeLessThanOrEqual(oldProbes + 1);
  });
});
