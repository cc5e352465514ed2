/**
 * The short version of the real-resolver skew testbed (bench/skew, issue 11): `rondo serve` behind
 * unbound ×3, BIND, PowerDNS Recursor, Knot Resolver and dnsmasq, all querying from one /24 (as a
 * resolver farm does), 300 virtual clients per pool in the browser / stub / Java / long-lived mix,
 * two pools side by side (TTL 5 s, answers=1 and answers=all), 15 s of skew, then one member of each
 * pool leaves the answers and 12 s of drain. The full runs and their figures are in docs/report.md
 * (`npm run bench:skew`); the bounds here are loose so the test is stable on a busy machine:
 *
 * - every resolver answers, and Rondo tells the seven caches apart though they share one /24
 *   (one display row, seven caches, none flagged `shared-key`);
 * - with answers=all, the reported member shares are within 12 points of the counted ones (20 s of
 *   300 clients, half of them pinned for a minute: one member at 34% was seen, and 10.1 points off
 *   once in a CI run with the whole suite beside it);
 * - after the removal, the removed member's traffic falls (stubs leave within a TTL) and the
 *   report's drain estimate is within 30 points of the counted drain at 1× and 2× TTL with
 *   answers=all, and at 2× TTL with answers=1 (at 1× TTL an answers=1 member that has just been
 *   handed a busy resolver's entry keeps its whole rate for that TTL: 47–67 points above the
 *   report in 4 of 9 full runs, docs/report.md);
 * - a third pool, `skew=correct` with an HTTP check reading the backends' `X-Load`, closes the
 *   loop: Rondo's report shows the load every member reported and corrected answers.
 */
import { describe, expect, it } from 'vitest';
import { testbedClientModel } from '../../../bench/skew/client-model.js';
import { DEFAULT_CLASSES } from '../../../bench/skew/clients.js';
import { evaluateRun } from '../../../bench/skew/evaluate.js';
import { resolverAvailable } from '../../../bench/skew/resolvers.js';
import { DEFAULT_RESOLVERS, runTestbed } from '../../../bench/skew/testbed.js';

const KINDS = ['unbound', 'bind', 'pdns', 'knot', 'dnsmasq'] as const;

describe.runIf(KINDS.every((k) => resolverAvailable(k)))('skew testbed with real resolvers (short)', () => {
  it('tells caches of one /24 apart, and its shares and drain follow the counted ones', async () => {
    const rate = 0.5;
    const run = await runTestbed({
      pools: [
        { name: 't5a1', ttl: 5, answers: 1, clients: 300, ratePerClient: rate },
        { name: 't5aall', ttl: 5, answers: 'all', clients: 300, ratePerClient: rate },
        { name: 'c5a1', ttl: 5, answers: 1, keys: 'skew=correct', loadCheck: true, clients: 200, ratePerClient: rate },
      ],
      resolvers: DEFAULT_RESOLVERS,
      alpha: 1,
      shared24: true,
      members: 4,
      classes: DEFAULT_CLASSES,
      seed: 11,
      warmupSeconds: 5,
      skewSeconds: 15,
      drainSeconds: 12,
    });
    for (const p of run.pools) {
      expect(p.stats.failedLookups, `${p.config.name} failed lookups`).toBeLessThan(p.stats.lookups * 0.1 + 5);
      expect(p.stats.requests, `${p.config.name} requests`).toBeGreaterThan(8 * p.config.clients);
    }
    const e = evaluateRun(run, testbedClientModel(run.classes, rate));
    console.log(e.rows.map((r) => `${r.pool} ${r.kind} ${r.what}: counted ${r.counted.toFixed(3)}, reported ${r.reported.toFixed(3)}`).join('\n'));
    console.log([...e.rates].map(([pool, r]) => `${pool} rate: counted ${r.counted.toFixed(1)}/s, estimated ${r.estimated.toFixed(1)}/s`).join('\n'));

    for (const [name, report] of e.reports) {
      // Seven source addresses in 127.0.1.0/24: one row, seven caches, estimated one by one (the
      // corrected pool's against the TTL each answer carried, not the pool's).
      expect(report.resolvers.tracked, `${name} caches`).toBe(7);
      expect(report.resolvers.top).toHaveLength(1);
      expect(report.resolvers.top[0]!.key).toBe('127.0.1.0/24');
      expect(report.resolvers.top[0]!.caches).toBe(7);
      expect(report.resolvers.top[0]!.flags, `${name} flags`).not.toContain('shared-key');
    }
    // Read against the pool TTL, the corrected pool's 1 s answers made its rate read 12 times low
    // (estimates from 20 s of gaps scatter widely: 0.5-1.7 of the count in three runs for this pool,
    // 0.09-1.6 for the plain pools, which are not checked; the lower bound it had read about 0.05).
    const corrected = e.rates.get('c5a1');
    expect(corrected && corrected.estimated / corrected.counted, 'c5a1 estimated / counted request rate').toBeGreaterThan(0.2);
    for (const r of e.rows.filter((x) => x.pool === 't5aall' && x.kind === 'share')) {
      expect(Math.abs(r.counted - r.reported), `share of ${r.what}`).toBeLessThanOrEqual(0.12);
    }
    const correction = run.liveReport?.pools.find((p) => p.name.startsWith('c5a1.'))?.correction;
    // 20 s is too short for demand estimates (plain rotation meanwhile): the answers are counted either way.
    expect((correction?.correctedAnswers ?? 0) + (correction?.rotatedAnswers ?? 0), 'answers skew correction gave').toBeGreaterThan(0);
    expect(correction?.feedback?.rounds, 'load reports applied').toBeGreaterThan(5);
    expect(correction?.feedback?.members.every((m) => m.reported !== null && m.reported > 0), 'every member reported load').toBe(true);
    const drainChecked = (pool: string, what: string): boolean => (pool === 't5aall' && what === '1×TTL') || ((pool === 't5aall' || pool === 't5a1') && what === '2×TTL');
    for (const r of e.rows.filter((x) => x.kind === 'drain' && drainChecked(x.pool, x.what))) {
      expect(r.counted, `${r.pool} drain ${r.what}`).toBeLessThan(1.2);
      expect(Math.abs(r.counted - r.reported), `${r.pool} drain ${r.what}`).toBeLessThanOrEqual(0.3);
    }
  }, 90_000);
});
