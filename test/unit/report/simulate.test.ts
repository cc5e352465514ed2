import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare, simulate, simulationReport } from '../../../report/simulate.js';
import type { SimulateInput } from '../../../report/simulate.js';
import { parseCompareSpec, parseSimulateOptions, SIMULATE_OPTIONS } from '../../../report/simulate/options.js';
import { DEFAULT_SIMULATE_PARAMS, resolveSimulateParams } from '../../../report/simulate/params.js';
import { assignByTraffic, buildPopulation } from '../../../report/simulate/population.js';
import { seededRandom } from '../../../lib/random.js';

/** A small, quick run: 200 resolvers, 300 requests/s, 10 minutes measured. */
const SMALL: SimulateInput = { requestRate: 300, resolvers: 200, warmupSeconds: 300, durationSeconds: 600, drainSeconds: 600, windows: [10, 60, 300] };

function withoutTiming<T extends { elapsedMs: number; pool: unknown }>(r: T): unknown {
  return { ...r, elapsedMs: 0 };
}

describe('simulate', () => {
  it('is reproducible for a seed and changes with it', () => {
    const a = simulate({ ...SMALL, answers: 1, seed: 5 });
    const b = simulate({ ...SMALL, answers: 1, seed: 5 });
    const c = simulate({ ...SMALL, answers: 1, seed: 6 });
    expect(withoutTiming(a)).toEqual(withoutTiming(b));
    expect(c.dns.requests).not.toBe(a.dns.requests);
  });

  it('returns the report metrics, windows and a drain curve', () => {
    const r = simulate({ ...SMALL, answers: 1 });
    expect(r.pool.members).toHaveLength(4);
    expect(r.pool.members.map((m) => m.address)).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13']);
    for (const m of r.pool.members) {
      expect(m.measuredShare).toBeGreaterThan(0.15);
      expect(m.measuredShare).toBeLessThan(0.35);
      expect(m.estimatedShare).not.toBeNull();
    }
    expect(new Set(r.pool.windows!.map((w) => w.basis))).toEqual(new Set(['requests', 'connections', 'lookups']));
    expect(r.pool.windows!.find((w) => w.basis === 'requests' && w.windowSeconds === 60)!.windows).toBe(10);
    expect(r.pool.closedForm.map((c) => c.windowSeconds)).toEqual([10, 60, 300]);
    expect(r.pool.closedForm.every((c) => c.observedCv !== null && !c.upperBound)).toBe(true);
    expect(r.pool.drain.source).toBe('simulated');
    expect(r.pool.drain.member).toBe('192.0.2.10');
    const first = r.pool.drain.curves[0]!.points[0]!;
    expect(first.seconds).toBe(0);
    // Clients whose answer and resolver entry expired at that instant switch at once.
    expect(first.lookups).toBeGreaterThan(0.9);
    expect(first.lookups).toBeLessThanOrEqual(1);
    const last = r.pool.drain.curves[0]!.points.at(-1)!;
    expect(last.lookups).toBeLessThan(0.2);
    expect(r.dns.authoritativeQps).toBeGreaterThan(0);
    expect(r.truth.caches).toBe(200 + 3 * 7);
  });

  it('estimates the members’ load from the authoritative’s view within a few points', () => {
    const r = simulate({ ...SMALL, answers: 1, drainSeconds: 0, durationSeconds: 1800 });
    for (const m of r.pool.members) expect(Math.abs(m.estimatedShare! - m.measuredShare!)).toBeLessThan(0.03);
  });

  it('runs the weighted policy through balance/ and lands near the weights', () => {
    const r = simulate({ ...SMALL, backends: 2, weights: [3, 5], policy: 'weighted', answers: 1, drainSeconds: 0, resolvers: 2000, publicCaches: 1, publicResolvers: 0 });
    expect(r.pool.members.map((m) => m.targetShare)).toEqual([0.375, 0.625]);
    expect(r.pool.members.map((m) => m.firstShare)).toEqual([0.375, 0.625]);
    expect(r.pool.members[0]!.measuredShare).toBeGreaterThan(0.3);
    expect(r.pool.members[0]!.measuredShare).toBeLessThan(0.45);
  });

  it('shows that weights carried by order are lost when answers carry every member', () => {
    const r = simulate({ ...SMALL, backends: 2, weights: [1, 3], policy: 'weighted', answers: 'all', drainSeconds: 0 });
    // Reordering resolvers spread first-address clients evenly, whatever the order we sent.
    expect(r.pool.members[0]!.measuredShare).toBeGreaterThan(0.35);
    expect(r.pool.advice.map((a) => a.code)).toContain('order-weights-lost');
  });

  it('fails requests of single-address clients when a member dies, and fails over otherwise', () => {
    const single = simulate({ ...SMALL, answers: 1, removal: 'dead', drainSeconds: 120 });
    const all = simulate({ ...SMALL, answers: 'all', removal: 'dead', drainSeconds: 120 });
    expect(single.dns.failedRequests).toBeGreaterThan(0);
    expect(all.dns.failedRequests).toBe(0);
  });

  it('pins IPv6 clients by rule 9 when members are in different prefixes', () => {
    const base = { ...SMALL, answers: 'all' as const, drainSeconds: 0, durationSeconds: 1200, windows: [600] };
    const v4 = simulate(base);
    const v6 = simulate({ ...base, family: 6 });
    const cv = (r: typeof v4) => r.pool.windows!.find((w) => w.basis === 'requests')!.cvRms;
    expect(cv(v6)).toBeGreaterThan(3 * cv(v4));
    const off = simulate({ ...base, family: 6, ipv6Rule9: false });
    expect(cv(off)).toBeLessThan(cv(v6));
  });

  it('compares runs side by side', () => {
    const c = compare([
      { ...SMALL, ttl: 5, answers: 1, drainSeconds: 120 },
      { ...SMALL, ttl: 300, answers: 1, drainSeconds: 120 },
    ]);
    expect(c.rows.map((r) => r.ttl)).toEqual([5, 300]);
    // Longer TTLs: fewer authoritative queries, more skew per minute.
    expect(c.rows[0]!.authoritativeQps).toBeGreaterThan(c.rows[1]!.authoritativeQps);
    expect(c.rows[1]!.cv['60']).toBeGreaterThan(c.rows[0]!.cv['60']!);
    const model = simulationReport(c.results, '2026-01-01T00:00:00.000Z');
    expect(model.kind).toBe('simulated');
    expect(model.pools).toHaveLength(2);
  });

  it('refuses bad parameters with the name, the rule and the value', () => {
    expect(() => resolveSimulateParams({ ttl: -1 })).toThrow(/simulate\.ttl must be a number from 0/);
    expect(() => resolveSimulateParams({ weights: [1, 2] })).toThrow(expect.objectContaining({ code: 'SIMULATE_BAD_PARAM' }));
    expect(() => resolveSimulateParams({ removeMember: 9 })).toThrow(/removeMember/);
    expect(() => resolveSimulateParams({ windows: [10, 7200] })).toThrow(/windows\[1\]/);
    expect(resolveSimulateParams({ client: { firstAddressShare: 0.5 } }).client.classes).toEqual(DEFAULT_SIMULATE_PARAMS.client.classes);
  });
});

describe('population', () => {
  it('assigns behaviour mixes by traffic, not by count', () => {
    const shares = [0.5, 0.2, 0.1, 0.1, 0.05, 0.05];
    for (let seed = 1; seed <= 20; seed++) {
      const out = assignByTraffic(shares, [0.7, 0.3], seededRandom(seed));
      const second = shares.reduce((a, s, i) => a + (out[i] === 1 ? s : 0), 0);
      // Systematic sampling: within one resolver's share of the target.
      expect(Math.abs(second - 0.3)).toBeLessThanOrEqual(0.5);
    }
    const many = Array.from({ length: 1000 }, () => 0.001);
    const out = assignByTraffic(many, [0.91, 0.09], seededRandom(1));
    expect(out.filter((v) => v === 1).length).toBe(90);
  });

  it('clamps and floors effective TTLs and gives the public resolvers several caches', () => {
    const p = resolveSimulateParams({ ttl: 2, resolvers: 500 });
    const pop = buildPopulation(p, seededRandom(1));
    expect(pop.caches).toBe(500 + 3 * 7);
    expect(Math.min(...pop.resolverTtl)).toBe(2);
    expect(pop.resolverTtl.some((t) => t === 5)).toBe(true);
    expect(pop.resolverTtl.some((t) => t === 3600)).toBe(true);
    expect(pop.clientStart[pop.caches]).toBe(pop.clients);
  });
});

describe('simulate options', () => {
  it('reads command-line values into parameters', () => {
    const input = parseSimulateOptions({
      ttl: '5s',
      answers: 'all',
      backends: '2',
      weights: '3,5',
      policy: 'weighted',
      extendTo: '60:1',
      floors: 'none',
      reorder: '0.5,0.5,0',
      browser: '0.5',
      pin: '30s',
      pinFrom: 'lookup',
      connLifetime: '2m',
      rule9: 'off',
      remove: 'none',
      'public-caches': '2',
      duration: '30m',
    });
    const p = resolveSimulateParams(input);
    expect(p.ttl).toBe(5);
    expect(p.answers).toBe('all');
    expect(p.weights).toEqual([3, 5]);
    expect(p.ttlExtendTo).toEqual([{ seconds: 60, share: 1 }]);
    expect(p.ttlFloors).toEqual([]);
    expect(p.reorder).toEqual({ perResponse: 0.5, frozen: 0.5, preserve: 0 });
    expect(p.client.classes.find((c) => c.name === 'browser')).toMatchObject({ share: 0.5, pinSeconds: 30 });
    expect(p.client.pinFrom).toBe('lookup');
    expect(p.client.connectionLifetimeSeconds).toBe(120);
    expect(p.ipv6Rule9).toBe(false);
    expect(p.removeMember).toBeNull();
    expect(p.publicCaches).toBe(2);
    expect(p.durationSeconds).toBe(1800);
    expect(p.windows).toEqual([10, 60, 300]);
  });

  it('applies presets, then explicit options', () => {
    expect(resolveSimulateParams(parseSimulateOptions({ preset: 'api' }))).toMatchObject({ resolvers: 50, zipfAlpha: 1.2 });
    expect(resolveSimulateParams(parseSimulateOptions({ preset: 'consumer', resolvers: '20' })).resolvers).toBe(20);
  });

  it('refuses unreadable values', () => {
    expect(() => parseSimulateOptions({ ttl: 'soon' })).toThrow(/--ttl must be a duration/);
    expect(() => parseSimulateOptions({ preset: 'huge' })).toThrow(expect.objectContaining({ code: 'SIMULATE_BAD_OPTION' }));
    expect(() => parseSimulateOptions({ rule9: 'maybe' })).toThrow(/--rule9/);
    expect(() => parseSimulateOptions({ extendTo: '60' })).toThrow(/SECONDS:SHARE/);
  });

  it('expands --compare specs into every combination', () => {
    const runs = parseCompareSpec('ttl=5,30 answers=1,all', { resolvers: '100' });
    expect(runs).toHaveLength(4);
    expect(runs.map((r) => [r.ttl, r.answers, r.resolvers])).toEqual([
      [5, 1, 100],
      [5, 'all', 100],
      [30, 1, 100],
      [30, 'all', 100],
    ]);
    expect(parseCompareSpec('extend-to=60:1|300:1', { extendTo: '5:1' }).map((r) => r.ttlExtendTo)).toEqual([[{ seconds: 60, share: 1 }], [{ seconds: 300, share: 1 }]]);
    expect(() => parseCompareSpec('speed=1,2')).toThrow(/unknown option/);
    expect(() => parseCompareSpec('ttl')).toThrow(expect.objectContaining({ code: 'SIMULATE_BAD_OPTION' }));
  });

  it('documents every option with a default and a source, here and in docs/report.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'report.md'), 'utf8');
    for (const o of SIMULATE_OPTIONS) {
      expect(o.default).not.toBe('');
      expect(o.source).not.toBe('');
      expect(doc).toContain(`| \`--${o.flag}\` |`);
    }
  });
});
