/**
 * The other probe kinds reach the answers too: an https check with `insecure` passes against a
 * self-signed backend (and the same check without it fails), and an icmp check (system `ping`)
 * keeps 127.0.0.1 while an address that does not answer echo drops out.
 */
import { describe, expect, it } from 'vitest';
import { makeSelfSignedCertificate } from '../../helpers/backends.js';
import { addressSet, POLL, query, startBackends, startRondo, zoneText } from './fixture.js';

describe('https and icmp checks end to end', () => {
  it('answers a self-signed https backend with `insecure`, and refuses it when the certificate is verified', async () => {
    const certificate = await makeSelfSignedCertificate('www.example.test');
    const backends = await startBackends(['127.0.0.71', '127.0.0.72'], { tls: certificate });
    const [live, dead] = backends;
    if (!live || !dead) throw new Error('backends expected');
    await dead.stop();
    const rondo = await startRondo(
      zoneText(`
;@check tls-lax https port=${live.port} path=/healthz host=www.example.test insecure interval=250ms timeout=200ms rise=1 fall=1
;@check tls-strict https port=${live.port} path=/healthz host=www.example.test interval=250ms timeout=200ms rise=1 fall=1
;@pool www check=tls-lax
www     20 IN A 127.0.0.71
www     20 IN A 127.0.0.72
;@pool strict check=tls-strict all-down=nodata
strict  20 IN A 127.0.0.71
`),
    );
    await expect.poll(() => rondo.states('www'), POLL).toEqual(['up', 'down']);
    expect(await addressSet(rondo.target, 'www.example.test')).toEqual(['127.0.0.71']);
    expect(live.hits('/healthz')).toBeGreaterThan(0);

    await expect.poll(() => rondo.states('strict'), POLL).toEqual(['down']);
    const id = rondo.pool('strict').members[0]?.targetId ?? '';
    expect(rondo.runtime.store.view().get(id)?.reason).toMatch(/SELF_SIGNED|certificate/i);
    expect(await query(rondo.target, 'strict.example.test')).toMatchObject({ rcode: 0, addresses: [], authorityTypes: [6] });
  });

  it('keeps an address that answers ping and drops one that does not', async () => {
    const rondo = await startRondo(
      zoneText(`
;@check echo icmp interval=300ms timeout=250ms rise=1 fall=1
;@pool ping check=echo
ping  20 IN A 127.0.0.1
ping  20 IN A 203.0.113.1
`),
    );
    await expect.poll(() => rondo.states('ping'), POLL).toEqual(['up', 'down']);
    expect(await addressSet(rondo.target, 'ping.example.test')).toEqual(['127.0.0.1']);
    const id = rondo.pool('ping').members[0]?.targetId ?? '';
    expect(rondo.runtime.store.view().get(id)?.latencyMs).toBeGreaterThan(0);
  });
});
