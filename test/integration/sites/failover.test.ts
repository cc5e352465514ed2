/**
 * Issue 12: failover across sites with HTTP checks at interval=1s fall=2 rise=2. Killing a site's
 * backends below its site-threshold moves its clients to the next site of their list within
 * interval × fall + 1 s; killing the last site gives the `cname:` fallback; bringing the backends
 * back fails back after `rise`. Prints the measured times.
 */
import { describe, expect, it } from 'vitest';
import { dig, expectSection, type DnsTarget } from '../../helpers/dig.js';
import { startBackends, zoneText } from '../balance-e2e/fixture.js';
import { startSites } from './fixture.js';

const INTERVAL_MS = 1000;
const FALL = 2;
const RISE = 2;
const BOUND_MS = INTERVAL_MS * FALL + 1000;

/** Polls (every 50 ms, bounded) until `probe` returns `want`; resolves with the milliseconds it took from `since`. */
async function timeUntil(since: number, want: string, probe: () => Promise<string>, limitMs: number): Promise<number> {
  const deadline = since + limitMs;
  let last = '';
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    last = await probe();
    if (last === want) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`still "${last}" after ${limitMs} ms, wanted "${want}"`);
}

async function answerOf(target: DnsTarget, subnet: string | undefined): Promise<string> {
  const res = await dig(target, 'www.example.test', 'A', subnet ? { subnet } : {});
  return res.answer.map((rr) => rr.split(' ').slice(3).join(' ')).sort().join(', ');
}

describe('sites: failover across sites with HTTP checks', () => {
  it('moves clients to the next site, to the cname: fallback, and back', { timeout: 30_000 }, async () => {
    const [us1, , eu1, eu2] = await startBackends(['127.0.0.41', '127.0.0.42', '127.0.0.43', '127.0.0.44']);
    const port = us1!.port;
    const rondo = await startSites(
      zoneText(`
;@check web http port=${port} path=/healthz interval=${INTERVAL_MS}ms timeout=400ms fall=${FALL} rise=${RISE}
;@map geo net:198.51.100.0/24=eu>us default=us>eu
;@pool www policy=round-robin map=geo check=web site-threshold=50% all-down=cname:sorry.example.net.
www 20 IN A 127.0.0.41 ;@ site=us weight=2
www 20 IN A 127.0.0.42 ;@ site=us
www 20 IN A 127.0.0.43 ;@ site=eu
www 20 IN A 127.0.0.44 ;@ site=eu
`),
    );
    const t = rondo.target;
    const US = 'A 127.0.0.41, A 127.0.0.42';
    const EU = 'A 127.0.0.43, A 127.0.0.44';
    const view = () => rondo.runtime.zones()[0]!.pools[0]!.members.map((m) => rondo.runtime.store.view().get(m.targetId!)?.state).join(',');
    await expect.poll(view, { interval: 50, timeout: 10_000 }).toBe('up,up,up,up');
    expect(await answerOf(t, undefined)).toBe(US);
    expect(await answerOf(t, '198.51.100.0/24')).toBe(EU);

    // us below its threshold: 127.0.0.41 carries 2 of its 3 weight.
    let killed = Date.now();
    await us1!.stop();
    const toEu = await timeUntil(killed, EU, () => answerOf(t, undefined), BOUND_MS + 2000);
    expect(toEu).toBeLessThanOrEqual(BOUND_MS);
    expect(await answerOf(t, '198.51.100.0/24')).toBe(EU);
    // 127.0.0.42 alone is still live, but the site is down: nobody gets it.
    expect((await dig(t, 'www.example.test', 'A', { subnet: '192.0.2.0/24' })).answer.join()).not.toContain('127.0.0.42');

    // The last site goes: the cname: fallback, for both lists.
    killed = Date.now();
    await Promise.all([eu1!.stop(), eu2!.stop()]);
    const toCname = await timeUntil(killed, 'CNAME sorry.example.net.', () => answerOf(t, '198.51.100.0/24'), BOUND_MS + 2000);
    expect(toCname).toBeLessThanOrEqual(BOUND_MS);
    const cname = await dig(t, 'www.example.test', 'A');
    expect(cname.status).toBe('NOERROR');
    expectSection(cname.answer, ['www.example.test. 20 IN CNAME sorry.example.net.']);

    // Back: eu first (rise=2 good checks), then us.
    let back = Date.now();
    await Promise.all([eu1!.start(), eu2!.start()]);
    const euBack = await timeUntil(back, EU, () => answerOf(t, '198.51.100.0/24'), INTERVAL_MS * RISE + 3000);
    expect(await answerOf(t, undefined)).toBe(EU);
    back = Date.now();
    await us1!.start();
    const usBack = await timeUntil(back, US, () => answerOf(t, undefined), INTERVAL_MS * RISE + 3000);
    expect(await answerOf(t, '198.51.100.0/24')).toBe(EU);

    const changes = rondo.runtime.selector.sites.changeCounts().map((c) => `${c.site}:${c.to}=${c.count}`).sort();
    expect(changes).toEqual(['eu:down=1', 'eu:up=1', 'us:down=1', 'us:up=1']);
    console.info(`site failover (interval=${INTERVAL_MS}ms fall=${FALL} rise=${RISE}, bound ${BOUND_MS} ms): us→eu ${toEu} ms, eu→cname ${toCname} ms, eu back ${euBack} ms, us back ${usBack} ms`);
  });
});
