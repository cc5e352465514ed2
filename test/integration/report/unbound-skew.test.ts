/**
 * The caching-skew report against a real caching resolver (issue 5): three unbound instances on
 * loopback stub `skew.test` to a real `rondo serve`, each sending its upstream queries from its
 * own /24 (127.0.1.1, 127.0.2.1, 127.0.3.1), so Rondo sees three resolvers. Behind them, a skewed
 * client population: one big group (150 lookups/s) behind the first, small ones (30/s, 20/s)
 * behind the others. Each client lookup goes through its resolver (no client cache) and is
 * followed by one HTTP request to the first address, counted by the backends.
 *
 * The site has 24 names on the same four backends (like www, api, static ...): half rotate
 * (round-robin, one address per answer), half are sticky (each resolver always gets one member, so
 * the big resolver's member carries most of their load and the estimate must weigh resolvers
 * right). The names also give each resolver 24 independent caches to learn its rate from: with
 * TTL 1 s, unbound asks again at most every 2 s per name, so one name alone gives under 20 gaps in
 * the run, and a rate read from n exponential gaps has a sampling error near 1/√(n − 3): 25% for
 * one name, 5–7% over 24.
 *
 * Checked, from `GET /report?clients=none` (the clients here keep no answers of their own):
 * - each member's estimated share of the load, summed over the pools, is within 5
 *   percentage points of the share the backends counted;
 * - each resolver's estimated client rate (summed over the pools) is within 25% of the rate of
 *   lookups its client group sent.
 */
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../lib/random.js';
import type { ReportModel } from '../../../report/model.js';
import { freePort } from '../../../bench/lib/redis-server.js';
import { freeDnsPort, startRondo, stopAllRondo } from '../../../bench/lib/rondo-process.js';
import { runClientGroup, skewZoneText, startCountingBackends, type ClientGroupResult, type CountingBackends } from './fixture.js';
import { startUnbound, unboundAvailable, type Unbound } from './unbound.js';

const BACKENDS = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'];
const POOLS = Array.from({ length: 24 }, (_, i) => ({ name: `n${i + 1}`, policy: i % 2 === 0 ? 'round-robin' : 'sticky' }));
const GROUPS = [
  { outgoing: '127.0.1.1', key: '127.0.1.0/24', rate: 150 },
  { outgoing: '127.0.2.1', key: '127.0.2.0/24', rate: 30 },
  { outgoing: '127.0.3.1', key: '127.0.3.0/24', rate: 20 },
];
const TTL_SECONDS = 1;
const LOAD_MS = 40_000;

describe.runIf(unboundAvailable())('skew report with real unbound resolvers', () => {
  let dir: string;
  let backends: CountingBackends;
  let adminPort: number;
  const resolvers: Unbound[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-skew-'));
    backends = await startCountingBackends(BACKENDS);
    await writeFile(path.join(dir, 'skew.test.zone'), skewZoneText(POOLS, BACKENDS, TTL_SECONDS));
    const dnsPort = await freeDnsPort();
    adminPort = await freePort();
    await startRondo(['serve', '--zones', dir, '--listen', `127.0.0.1:${dnsPort}`, '--http', `127.0.0.1:${adminPort}`], { name: 'rondo' });
    for (const g of GROUPS) resolvers.push(await startUnbound({ zone: 'skew.test', stubHost: '127.0.0.1', stubPort: dnsPort, outgoing: g.outgoing }));
  });

  afterAll(async () => {
    agent.destroy();
    await Promise.all(resolvers.map((r) => r.stop()));
    await stopAllRondo();
    await backends?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('estimates member shares within 5 points of the backends’ counts and resolver rates within 25%', async () => {
    const random = seededRandom(20261121);
    const results: ClientGroupResult[] = await Promise.all(
      GROUPS.map((g, i) =>
        runClientGroup({
          resolver: resolvers[i]!,
          rate: g.rate,
          names: POOLS.map((p) => p.name),
          durationMs: LOAD_MS,
          backends,
          agent,
          random: () => random.next(),
        }),
      ),
    );
    const res = await fetch(`http://127.0.0.1:${adminPort}/report?clients=none`);
    expect(res.status).toBe(200);
    const model = (await res.json()) as ReportModel;

    // The run itself went as planned.
    for (const [i, r] of results.entries()) {
      expect(r.failedLookups, `group ${i} lookups failed`).toBeLessThan(r.lookups * 0.01);
      expect(r.failedRequests, `group ${i} requests failed`).toBeLessThan(r.lookups * 0.005);
    }
    expect(model.pools).toHaveLength(POOLS.length);

    // Members: estimated requests summed over the pools vs what the backends counted.
    const counted = backends.counts();
    const countedTotal = [...counted.values()].reduce((a, b) => a + b, 0);
    const estimated = new Map<string, number>();
    for (const p of model.pools) for (const m of p.members) estimated.set(m.address, (estimated.get(m.address) ?? 0) + (m.estimatedRequests ?? 0));
    const estimatedTotal = [...estimated.values()].reduce((a, b) => a + b, 0);
    const shares = BACKENDS.map((b) => ({
      member: b,
      counted: (counted.get(b) ?? 0) / countedTotal,
      estimated: (estimated.get(b) ?? 0) / estimatedTotal,
    }));

    // Resolvers: client rate estimated per pool, summed, vs the lookups each group sent.
    const rates = GROUPS.map((g, i) => {
      let rate = 0;
      for (const p of model.pools) rate += p.resolvers.top.find((t) => t.key === g.key)?.ratePerSecond ?? 0;
      const r = results[i]!;
      return { resolver: g.key, true: r.lookups / r.seconds, estimated: rate };
    });
    console.log(
      `skew report vs unbound: ${countedTotal} requests counted\n` +
        shares.map((s) => `  ${s.member}: counted ${(s.counted * 100).toFixed(1)}%, estimated ${(s.estimated * 100).toFixed(1)}%`).join('\n') +
        '\n' +
        rates.map((r) => `  ${r.resolver}: ${r.true.toFixed(1)} lookups/s, estimated ${r.estimated.toFixed(1)}/s (${((r.estimated / r.true - 1) * 100).toFixed(1)}%)`).join('\n'),
    );

    // The population really is skewed: the sticky pools put most load on the big resolver's member.
    expect(Math.max(...shares.map((s) => s.counted))).toBeGreaterThan(0.35);
    for (const s of shares) expect(Math.abs(s.estimated - s.counted), `${s.member} share`).toBeLessThanOrEqual(0.05);
    for (const r of rates) {
      expect(r.estimated, `${r.resolver} rate`).toBeGreaterThan(r.true * 0.75);
      expect(r.estimated, `${r.resolver} rate`).toBeLessThan(r.true * 1.25);
    }
  }, 90_000);
});
