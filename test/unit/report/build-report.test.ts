import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../lib/random.js';
import { advise, commonPrefixBits } from '../../../report/advice.js';
import type { AdviceInput } from '../../../report/advice.js';
import { buildReport, measuredLoadFromHealth, targetShares } from '../../../report/build-report.js';
import { DEFAULT_DEMAND_OPTIONS } from '../../../report/demand.js';
import { Observer } from '../../../report/observe.js';
import type { ObservedPool } from '../../../report/observe.js';
import { resolverKeyFromAddress } from '../../../report/resolver-key.js';

const MEMBERS = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'];

function observedPool(overrides: Partial<ObservedPool> = {}): ObservedPool {
  return {
    key: 'www.example.test./A',
    name: 'www.example.test.',
    type: 1,
    ttl: 30,
    config: { policy: 'round-robin', answers: 1 },
    members: MEMBERS.map((address) => ({ address, weight: 1 })),
    ...overrides,
  };
}

/**
 * Feeds the observer the queries of resolvers whose caches hold each answer for ttl seconds and
 * ask again when the next client lookup (Poisson, `rate` per second) finds it expired.
 */
function feed(o: Observer, pool: number, resolvers: { address: string; ttl: number; rate: number }[], hours: number): void {
  const random = seededRandom(3);
  const events: { t: number; key: number | string }[] = [];
  for (const r of resolvers) {
    const key = resolverKeyFromAddress(r.address);
    let t = random.next() * 1000;
    while (t < hours * 3_600_000) {
      events.push({ t, key });
      t += r.ttl * 1000 - (Math.log(1 - random.next()) / r.rate) * 1000;
    }
  }
  events.sort((a, b) => a.t - b.t);
  let seq = 0;
  for (const e of events) o.record(pool, [seq++ % MEMBERS.length], e.key, e.t);
}

describe('buildReport', () => {
  // The closed form and the estimated drain: no answer log, so nothing is replayed.
  const o = new Observer({ startMs: 0, answerLogBudget: 0 });
  const p = o.registerPool(observedPool());
  // Client lookups per second: 10, 1 and 0.05 → load shares about 90.5%, 9.0% and 0.45%.
  feed(
    o,
    p,
    [
      { address: '198.51.100.1', ttl: 30, rate: 10 },
      { address: '203.0.113.1', ttl: 300, rate: 1 },
      { address: '192.0.2.200', ttl: 30, rate: 0.05 },
    ],
    6,
  );
  const loads = new Map([
    ['192.0.2.10', 10],
    ['192.0.2.11', 20],
    ['192.0.2.12', 30],
    ['192.0.2.13', 40],
  ]);
  // The synthetic resolvers see a plain Poisson stream of lookups (clients without caches).
  const model = buildReport(o.toSnapshot(6 * 3_600_000), {
    measuredLoad: (_pool, address) => loads.get(address),
    demand: { ...DEFAULT_DEMAND_OPTIONS, clients: null },
  });
  const pool = model.pools[0]!;

  it('lays out intended, answered, estimated and measured shares per member', () => {
    expect(model.kind).toBe('observed');
    expect(pool.members.map((m) => m.targetShare)).toEqual([0.25, 0.25, 0.25, 0.25]);
    for (const m of pool.members) expect(m.firstShare).toBeCloseTo(0.25, 2);
    expect(pool.members.map((m) => m.measuredShare)).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(pool.members.reduce((a, m) => a + (m.estimatedShare ?? 0), 0)).toBeCloseTo(1, 3);
    expect(pool.skew.map((s) => s.basis)).toEqual(['answers', 'estimated', 'measured']);
  });

  it('recovers each resolver’s share of the load, its TTL and its rate', () => {
    const [big, clamped, small] = pool.resolvers.top;
    expect(big!.key).toBe('198.51.100.0/24');
    expect(big!.loadShare).toBeGreaterThan(0.87);
    expect(big!.loadShare).toBeLessThan(0.93);
    expect(big!.ratePerSecond).toBeGreaterThan(9);
    expect(big!.ratePerSecond).toBeLessThan(11);
    expect(clamped!.key).toBe('203.0.113.0/24');
    expect(clamped!.ttlEffSeconds).toBeGreaterThanOrEqual(300);
    expect(clamped!.ttlEffSeconds).toBeLessThan(301);
    expect(clamped!.flags).toContain('extends-ttl');
    expect(clamped!.loadShare).toBeGreaterThan(0.07);
    expect(clamped!.loadShare).toBeLessThan(0.11);
    expect(small!.loadShare).toBeLessThan(0.01);
    expect(pool.resolvers.nEff).toBeGreaterThan(1);
    expect(pool.resolvers.nEff).toBeLessThan(1.3);
    expect(pool.resolvers.extendingShare).toBeCloseTo(clamped!.loadShare, 3);
    // A resolver's contribution to each member: its share of that member's load.
    for (let m = 0; m < MEMBERS.length; m++) {
      const sum = pool.resolvers.top.reduce((a, r) => a + (r.contribution[m] ?? 0), 0);
      expect(sum).toBeCloseTo(1, 3);
    }
  });

  it('puts the closed form beside the observed CV, and estimates the drain', () => {
    expect(pool.closedForm.map((c) => c.windowSeconds)).toEqual([10, 60, 300, 3600, 21600]);
    expect(pool.closedForm.map((c) => c.observedCv === null)).toEqual([true, true, true, true, false]);
    const minute = pool.closedForm[1]!;
    // One resolver holds 90% of the load: the note's CV² ≈ 3 · 0.9² / (1 + 60/30) gives 0.90; the
    // window prediction spreads each entry over the clients' older lookups (browsers pin 60 s),
    // which lowers it (docs/report.md, bench/skew).
    expect(minute.predictedCv).toBeGreaterThan(0.6);
    expect(minute.predictedCv).toBeLessThan(1.0);
    expect(pool.closedForm[4]!.observedCv).not.toBeNull();
    expect(pool.drain.source).toBe('estimated');
    expect(pool.drain.curves.map((c) => c.label)).toEqual(['pool', ...MEMBERS]);
    expect(pool.drain.marks[0]!.label).toBe('1×TTL');
  });

  it('replays the answer log of a pool whose answers carry one member (replay.ts)', () => {
    const logged = new Observer({ startMs: 0 });
    const index = logged.registerPool(observedPool());
    feed(
      logged,
      index,
      [
        { address: '198.51.100.1', ttl: 30, rate: 10 },
        { address: '203.0.113.1', ttl: 30, rate: 2 },
      ],
      0.25,
    );
    const report = buildReport(logged.toSnapshot(900_000), { demand: { ...DEFAULT_DEMAND_OPTIONS, clients: null } }).pools[0]!;
    const replayed = report.closedForm.filter((r) => r.replayed === true).map((r) => r.windowSeconds);
    expect(replayed).toEqual([10, 60, 300]);
    expect(report.drain.membersReplayed).toBe(true);
    expect(report.drain.curves.map((c) => c.label)).toEqual(['pool', ...MEMBERS]);
    // The shares are the replay's: they add up, and every member got some of the 30 s entries.
    const shares = report.members.map((m) => m.estimatedShare!);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    for (const s of shares) expect(s).toBeGreaterThan(0.05);
    // Without a log (or with answers of several members) the closed form stays.
    const plain = buildReport(o.toSnapshot(6 * 3_600_000)).pools[0]!;
    expect(plain.closedForm.some((r) => r.replayed === true)).toBe(false);
  });

  it('gives advice where it applies', () => {
    const codes = pool.advice.map((a) => a.code);
    expect(codes).toContain('dominant-resolver');
    expect(codes).toContain('few-decision-units');
    expect(codes).toContain('ttl-extended');
    expect(codes).toContain('ttl-below-browser-floor');
    expect(codes).toContain('overloaded-member');
    expect(codes).not.toContain('order-weights-lost');
    expect(pool.advice.find((a) => a.code === 'dominant-resolver')!.text).toMatch(/198\.51\.100\.0\/24\) carries 9\d%/);
  });

  it('reads measured load from the health view', () => {
    const read = measuredLoadFromHealth([{ key: 'p', members: [{ address: '192.0.2.10', targetId: 't1' }, { address: '192.0.2.11', targetId: undefined }] }], {
      version: 1,
      get: (id) => (id === 't1' ? { state: 'up', latencyMs: 1, load: 0.7, reason: 'ok', since: 0 } : undefined),
    });
    expect(read('p', '192.0.2.10')).toBe(0.7);
    expect(read('p', '192.0.2.11')).toBeUndefined();
  });

  it('fills the observed CV into the window as long as the report', () => {
    const hour = new Observer({ startMs: 0 });
    const index = hour.registerPool(observedPool());
    feed(hour, index, [{ address: '198.51.100.1', ttl: 30, rate: 1 }], 1);
    const rows = buildReport(hour.toSnapshot(3_600_000)).pools[0]!.closedForm;
    expect(rows.map((r) => r.windowSeconds)).toEqual([10, 60, 300, 3600]);
    expect(rows[3]!.observedCv).not.toBeNull();
  });

  it('reports an empty observer without failing', () => {
    const empty = new Observer({ startMs: 0 });
    empty.registerPool(observedPool());
    const m = buildReport(empty.toSnapshot(1000));
    expect(m.pools[0]!.members[0]!.estimatedShare).toBeNull();
    expect(m.pools[0]!.advice.map((a) => a.code)).toContain('little-data');
  });
});

describe('targets and advice', () => {
  it('derives intended shares from the policy', () => {
    const members = [
      { weight: 3, backup: false, priority: 1 },
      { weight: 5, backup: false, priority: 2 },
      { weight: 1, backup: true, priority: 1 },
    ];
    expect(targetShares('weighted', members)).toEqual([3 / 8, 5 / 8, 0]);
    expect(targetShares('round-robin', members)).toEqual([0.5, 0.5, 0]);
    expect(targetShares('failover', members)).toEqual([1, 0, 0]);
  });

  const base: AdviceInput = {
    type: 'A',
    policy: 'weighted',
    ttl: 300,
    members: [
      { address: '192.0.2.10', weight: 3, backup: false },
      { address: '192.0.2.11', weight: 5, backup: false },
    ],
    targets: [0.375, 0.625],
    answerSize: 1,
    answersTotal: 10_000,
    estimatedShares: null,
    measuredShares: null,
    topResolver: null,
    nEff: 50,
    extendingShare: 0,
    longestTtlSeconds: null,
    predictedCvMinute: null,
  };

  it('says nothing when nothing applies', () => {
    expect(advise(base)).toEqual([]);
  });

  it('warns when weights ride only on order', () => {
    const a = advise({ ...base, answerSize: 2 });
    expect(a.map((x) => x.code)).toEqual(['order-weights-lost']);
    expect(a[0]!.text).toContain('use answers=1');
  });

  it('warns about IPv6 members in different prefixes', () => {
    expect(commonPrefixBits(['2001:db8:1::10', '2001:db8:1::11'])).toBe(127);
    expect(commonPrefixBits(['2001:db8:1::10', '2001:db8:2::10'])).toBe(46);
    const spread = advise({
      ...base,
      type: 'AAAA',
      policy: 'round-robin',
      targets: [0.5, 0.5],
      members: [
        { address: '2001:db8:1::10', weight: 1, backup: false },
        { address: '2001:db8:2::10', weight: 1, backup: false },
      ],
    });
    expect(spread.map((x) => x.code)).toEqual(['ipv6-rule9']);
  });

  it('notes when the estimate and the backends disagree', () => {
    const a = advise({ ...base, estimatedShares: [0.375, 0.625], measuredShares: [0.55, 0.45] });
    expect(a.map((x) => x.code)).toEqual(['estimate-disagrees']);
  });
});
