/**
 * A backend that stops drops out of DNS answers within interval × fall (+ one interval for the
 * phase of the probe cycle), and comes back after `rise` good probes, with http and tcp checks;
 * members whose health is not known yet follow the pool's `unknown=`.
 */
import { describe, expect, it } from 'vitest';
import { addressSet, POLL, query, startBackends, startRondo, zoneText } from './fixture.js';

const INTERVAL_MS = 300;
const FALL = 2;
const RISE = 2;
/** The default jitter: 10% of the interval either way. */
const JITTER_MS = INTERVAL_MS / 10;

describe('health checks drive the answers', () => {
  it('drops a stopped backend within interval × fall (+ one interval) and brings it back after rise (http and tcp checks)', async () => {
    const backends = await startBackends(['127.0.0.21', '127.0.0.22', '127.0.0.23']);
    const [b1, b2, b3] = backends;
    if (!b1 || !b2 || !b3) throw new Error('three backends expected');
    const port = b1.port;
    const rondo = await startRondo(
      zoneText(`
;@check web http port=${port} path=/healthz interval=${INTERVAL_MS}ms timeout=200ms fall=${FALL} rise=${RISE}
;@check conn tcp port=${port} interval=${INTERVAL_MS}ms timeout=200ms fall=${FALL} rise=${RISE}
;@pool www check=web
www  20 IN A 127.0.0.21
www  20 IN A 127.0.0.22
www  20 IN A 127.0.0.23
;@pool db check=conn
db   20 IN A 127.0.0.21
db   20 IN A 127.0.0.22
db   20 IN A 127.0.0.23
`),
    );
    const all = ['127.0.0.21', '127.0.0.22', '127.0.0.23'];
    const withoutB2 = ['127.0.0.21', '127.0.0.23'];
    await expect.poll(() => [...rondo.states('www'), ...rondo.states('db')], POLL).toEqual(new Array(6).fill('up'));
    expect(await addressSet(rondo.target, 'www.example.test')).toEqual(all);
    expect(await addressSet(rondo.target, 'db.example.test')).toEqual(all);

    const stopped = performance.now();
    await b2.stop();
    await Promise.all([
      expect.poll(() => addressSet(rondo.target, 'www.example.test'), POLL).toEqual(withoutB2),
      expect.poll(() => addressSet(rondo.target, 'db.example.test'), POLL).toEqual(withoutB2),
    ]);
    const downAfterMs = performance.now() - stopped;
    expect(downAfterMs).toBeLessThanOrEqual(INTERVAL_MS * FALL + INTERVAL_MS);
    expect(b2.hits('/healthz')).toBeGreaterThan(0);

    const restarted = performance.now();
    await b2.start();
    await Promise.all([
      expect.poll(() => addressSet(rondo.target, 'www.example.test'), POLL).toEqual(all),
      expect.poll(() => addressSet(rondo.target, 'db.example.test'), POLL).toEqual(all),
    ]);
    const upAfterMs = performance.now() - restarted;
    // `rise` good probes in a row: at least rise - 1 full intervals after the first one.
    expect(upAfterMs).toBeGreaterThanOrEqual((RISE - 1) * (INTERVAL_MS - JITTER_MS));
    expect(upAfterMs).toBeLessThanOrEqual(INTERVAL_MS * RISE + INTERVAL_MS);
  });

  it('answers members not checked yet with unknown=up, and leaves them out with unknown=down', async () => {
    // The probe answers after 600 ms, so for that long after the start no verdict exists.
    const backends = await startBackends(['127.0.0.24', '127.0.0.25'], { behaviour: { delayMs: 600 } });
    const port = backends[0]?.port ?? 0;
    const rondo = await startRondo(
      zoneText(`
;@check slow http port=${port} path=/healthz interval=1s timeout=900ms rise=1 fall=2
;@pool open check=slow unknown=up all-down=nodata
open  20 IN A 127.0.0.24
open  20 IN A 127.0.0.25
;@pool closed check=slow unknown=down all-down=nodata
closed  20 IN A 127.0.0.24
closed  20 IN A 127.0.0.25
`),
    );
    expect(rondo.states('open')).toEqual([undefined, undefined]);
    const open = await query(rondo.target, 'open.example.test');
    const closed = await query(rondo.target, 'closed.example.test');
    // Still no verdict: the answers above were made before the first probe completed.
    expect(rondo.states('closed')).toEqual([undefined, undefined]);
    expect([...open.addresses].sort()).toEqual(['127.0.0.24', '127.0.0.25']);
    expect(closed).toMatchObject({ rcode: 0, addresses: [], authorityTypes: [6] });

    await expect.poll(() => rondo.states('closed'), POLL).toEqual(['up', 'up']);
    expect(await addressSet(rondo.target, 'closed.example.test')).toEqual(['127.0.0.24', '127.0.0.25']);
  });
});
