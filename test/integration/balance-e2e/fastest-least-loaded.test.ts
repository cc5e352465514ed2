/**
 * Policies that read what the checks measured: `fastest` orders by the smoothed probe latency,
 * `least-loaded` by the load the backend reports (here in an X-Load header) divided by weight.
 */
import { describe, expect, it } from 'vitest';
import { addresses, POLL, startBackends, startRondo, zoneText } from './fixture.js';

describe('measured policies end to end', () => {
  it('answers the fastest backend first once probes measured it, and follows when speeds change', async () => {
    const [slow, fast] = await startBackends(['127.0.0.61', '127.0.0.62']);
    if (!slow || !fast) throw new Error('backends expected');
    slow.set({ delayMs: 150 });
    const rondo = await startRondo(
      zoneText(`
;@check web http port=${slow.port} path=/healthz interval=300ms timeout=250ms rise=1 fall=3
;@pool www policy=fastest check=web
www  20 IN A 127.0.0.61
www  20 IN A 127.0.0.62
`),
    );
    const latency = (index: number): number | undefined => {
      const id = rondo.pool('www').members[index]?.targetId;
      return id === undefined ? undefined : rondo.runtime.store.view().get(id)?.latencyMs;
    };
    await expect.poll(() => latency(0) !== undefined && latency(1) !== undefined, POLL).toBe(true);
    expect(latency(0)).toBeGreaterThan(100);
    for (let i = 0; i < 5; i++) expect(await addresses(rondo.target, 'www.example.test')).toEqual(['127.0.0.62', '127.0.0.61']);

    slow.set({ delayMs: 0 });
    fast.set({ delayMs: 150 });
    await expect.poll(() => addresses(rondo.target, 'www.example.test'), POLL).toEqual(['127.0.0.61', '127.0.0.62']);
  });

  it('answers the lowest load per weight first, as the backends report it', async () => {
    const backends = await startBackends(['127.0.0.63', '127.0.0.64', '127.0.0.65']);
    const [a, b, c] = backends;
    if (!a || !b || !c) throw new Error('backends expected');
    a.set({ headers: { 'X-Load': '50' } });
    b.set({ headers: { 'X-Load': '30' } });
    c.set({ headers: { 'X-Load': '40' } });
    const rondo = await startRondo(
      zoneText(`
;@check web http port=${a.port} path=/healthz load-header=X-Load interval=200ms timeout=150ms rise=1 fall=2
;@pool www policy=least-loaded check=web
www  20 IN A 127.0.0.63   ;@ weight=1
www  20 IN A 127.0.0.64   ;@ weight=1
www  20 IN A 127.0.0.65   ;@ weight=2
`),
    );
    // Load per weight: 50, 30, 20.
    await expect.poll(() => addresses(rondo.target, 'www.example.test'), POLL).toEqual(['127.0.0.65', '127.0.0.64', '127.0.0.63']);

    b.set({ headers: { 'X-Load': '5' } });
    await expect.poll(() => addresses(rondo.target, 'www.example.test'), POLL).toEqual(['127.0.0.64', '127.0.0.65', '127.0.0.63']);
  });
});
