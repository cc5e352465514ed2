/**
 * Weighted pools hand out exact counts over every window of sum(weights) consecutive answers;
 * failover pools answer from the best priority group that has a live member.
 */
import { describe, expect, it } from 'vitest';
import { addresses, addressSet, POLL, startBackends, startRondo, zoneText } from './fixture.js';

describe('weights and failover groups end to end', () => {
  it('answers a 3:5 weighted pool exactly 3k and 5k times over 8k consecutive queries', async () => {
    const backends = await startBackends(['127.0.0.41', '127.0.0.42']);
    const port = backends[0]?.port ?? 0;
    const rondo = await startRondo(
      zoneText(`
;@check web http port=${port} path=/healthz interval=250ms timeout=200ms rise=1 fall=2
;@pool api policy=weighted answers=1 check=web
api  20 IN A 127.0.0.41   ;@ weight=3
api  20 IN A 127.0.0.42   ;@ weight=5
`),
    );
    await expect.poll(() => rondo.states('api'), POLL).toEqual(['up', 'up']);

    const k = 50;
    const counts = new Map<string, number>();
    for (let i = 0; i < 8 * k; i++) {
      const answer = await addresses(rondo.target, 'api.example.test');
      expect(answer).toHaveLength(1);
      const first = answer[0] ?? '';
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ '127.0.0.41': 3 * k, '127.0.0.42': 5 * k });
  });

  it('answers from priority 2 while every priority 1 member is down, and from priority 1 again when it returns', async () => {
    const backends = await startBackends(['127.0.0.43', '127.0.0.44', '127.0.0.45']);
    const [p1a, p1b] = backends;
    if (!p1a || !p1b) throw new Error('backends expected');
    const rondo = await startRondo(
      zoneText(`
;@check web http port=${p1a.port} path=/healthz interval=250ms timeout=200ms rise=2 fall=2
;@pool app policy=failover check=web
app  20 IN A 127.0.0.43   ;@ priority=1
app  20 IN A 127.0.0.44   ;@ priority=1
app  20 IN A 127.0.0.45   ;@ priority=2
`),
    );
    const firstGroup = ['127.0.0.43', '127.0.0.44'];
    await expect.poll(() => rondo.states('app'), POLL).toEqual(['up', 'up', 'up']);
    expect(await addressSet(rondo.target, 'app.example.test')).toEqual(firstGroup);

    // One member of the group down: the group still answers, without it.
    await p1a.stop();
    await expect.poll(() => addressSet(rondo.target, 'app.example.test'), POLL).toEqual(['127.0.0.44']);

    await p1b.stop();
    await expect.poll(() => addressSet(rondo.target, 'app.example.test'), POLL).toEqual(['127.0.0.45']);

    await Promise.all([p1a.start(), p1b.start()]);
    await expect.poll(() => addressSet(rondo.target, 'app.example.test'), POLL).toEqual(firstGroup);
  });
});
