/**
 * `--http` with `--workers N`: the primary's WorkerStatsCollector asks every worker for its DNS
 * counters, sums the replies (counters added, pool answers by pool and member, snapshots merged)
 * and leaves out — and counts — a worker that does not answer in time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Observer, type ObservedPool } from '../../../report/observe.js';
import { resolverKeyFromAddress } from '../../../report/resolver-key.js';
import { sumWorkerStats, WorkerStatsCollector, type StatsRequest, type StatsWorker, type WorkerStats } from '../../../server/worker-stats.js';

const POOL: ObservedPool = {
  key: 'www.example.test./A',
  name: 'www.example.test.',
  type: 1,
  ttl: 30,
  config: { policy: 'round-robin', answers: 1 },
  members: ['192.0.2.10', '192.0.2.11'].map((address) => ({ address, weight: 1 })),
};

function dnsStats(udp: number, noerror: number) {
  return { received: udp, dropped: 0, udp, tcp: 0, truncated: 0, rcodes: { NOERROR: noerror, REFUSED: udp - noerror }, tcpAccepted: 0, tcpOpen: 1, tcpRejected: 0, tcpIdleClosed: 0 };
}

/** One worker's counters after answering `answers` (member index per answer) to one resolver. */
function worker(answers: readonly number[], resolver: string): WorkerStats {
  const observer = new Observer({ startMs: 0 });
  const at = observer.registerPool(POOL);
  answers.forEach((m, i) => observer.record(at, [m], resolverKeyFromAddress(resolver), 1000 + i * 1000));
  return {
    dnsStats: dnsStats(answers.length + 1, answers.length),
    queryCounts: [
      { zone: 'example.test.', qtype: 'A', rcode: 'NOERROR', count: answers.length },
      { zone: '-', qtype: 'A', rcode: 'REFUSED', count: 1 },
    ],
    fastPathAnswered: answers.length,
    poolAnswers: observer.answerCounts(),
    observerStats: { tracked: 1, untrackedQueries: 0 },
    observerSnapshot: observer.toSnapshot(10_000),
  };
}

describe('sumWorkerStats', () => {
  it('adds every counter, pool answers by member, and merges the snapshots as one server', () => {
    const sum = sumWorkerStats([worker([0, 1, 0], '198.51.100.1'), worker([1, 1], '203.0.113.1')]);
    expect(sum.dnsStats).toMatchObject({ received: 7, udp: 7, tcpOpen: 2, rcodes: { NOERROR: 5, REFUSED: 2 } });
    expect(sum.queryCounts).toEqual([
      { zone: 'example.test.', qtype: 'A', rcode: 'NOERROR', count: 5 },
      { zone: '-', qtype: 'A', rcode: 'REFUSED', count: 2 },
    ]);
    expect(sum.fastPathAnswered).toBe(5);
    expect(sum.poolAnswers).toEqual([
      {
        key: POOL.key,
        name: POOL.name,
        type: 'A',
        answersTotal: 5,
        members: [
          { address: '192.0.2.10', first: 2, included: 2 },
          { address: '192.0.2.11', first: 3, included: 3 },
        ],
      },
    ]);
    expect(sum.observerStats).toEqual({ tracked: 2, untrackedQueries: 0 });
    const pool = sum.observerSnapshot?.pools[0];
    expect(sum.observerSnapshot?.sources).toBe(1);
    expect(pool?.answersTotal).toBe(5);
    // Resolver rows are keyed by source address (one cache each); the /24 is only how they are shown.
    expect(pool?.resolvers.map((r) => r.key).sort()).toEqual(['198.51.100.1', '203.0.113.1']);
  });

  it('sums nothing to empty counters', () => {
    const sum = sumWorkerStats([]);
    expect(sum).toMatchObject({ dnsStats: undefined, queryCounts: [], fastPathAnswered: undefined, poolAnswers: [], observerSnapshot: undefined });
  });
});

interface FakeWorker extends StatsWorker {
  readonly requests: StatsRequest[];
}

function fakeWorker(id: number): FakeWorker {
  const requests: StatsRequest[] = [];
  return {
    id,
    requests,
    isConnected: () => true,
    send(message, callback) {
      requests.push(message);
      callback(null);
      return true;
    },
  };
}

describe('WorkerStatsCollector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks every worker and resolves with the sum once all have answered', async () => {
    const workers = [fakeWorker(1), fakeWorker(2)];
    const collector = new WorkerStatsCollector(() => workers);
    const pending = collector.collect(1000);
    expect(workers.map((w) => w.requests[0]?.snapshotResolvers)).toEqual([1000, 1000]);
    const id = workers[0]!.requests[0]!.id;
    collector.receive(1, { type: 'rondo:stats', id, stats: worker([0], '198.51.100.1') });
    collector.receive(1, { type: 'rondo:stats', id, stats: worker([0], '198.51.100.1') }); // a duplicate is ignored
    collector.receive(2, { type: 'rondo:stats', id, stats: worker([1, 1], '203.0.113.1') });
    const collected = await pending;
    expect(collected).toMatchObject({ workers: 2, answered: 2 });
    expect(collected.stats.fastPathAnswered).toBe(3);
    expect(collector.unanswered).toBe(0);
  });

  it('leaves out and counts a worker that does not answer in time; its late reply is ignored', async () => {
    vi.useFakeTimers();
    const workers = [fakeWorker(1), fakeWorker(2)];
    const collector = new WorkerStatsCollector(() => workers, 1000);
    const pending = collector.collect(null);
    const id = workers[0]!.requests[0]!.id;
    collector.receive(1, { type: 'rondo:stats', id, stats: worker([0, 1], '198.51.100.1') });
    await vi.advanceTimersByTimeAsync(1000);
    const collected = await pending;
    expect(collected).toMatchObject({ workers: 2, answered: 1 });
    expect(collected.stats.fastPathAnswered).toBe(2);
    expect(collector.unanswered).toBe(1);
    collector.receive(2, { type: 'rondo:stats', id, stats: worker([1], '203.0.113.1') });
    expect(collector.unanswered).toBe(1);
  });

  it('stops waiting for a worker that exits, and resolves at once without workers', async () => {
    const workers = [fakeWorker(1), fakeWorker(2)];
    const collector = new WorkerStatsCollector(() => workers, 60_000);
    const pending = collector.collect(null);
    const id = workers[0]!.requests[0]!.id;
    collector.receive(1, { type: 'rondo:stats', id, stats: worker([0], '198.51.100.1') });
    collector.forget(2);
    await expect(pending).resolves.toMatchObject({ workers: 2, answered: 1 });
    await expect(new WorkerStatsCollector(() => []).collect(null)).resolves.toMatchObject({ workers: 0, answered: 0 });
  });

  it('matches replies to their request: a reply to an earlier request does not complete a later one', async () => {
    vi.useFakeTimers();
    const workers = [fakeWorker(1)];
    const collector = new WorkerStatsCollector(() => workers, 1000);
    const first = collector.collect(null);
    await vi.advanceTimersByTimeAsync(1000);
    await first;
    const second = collector.collect(null);
    const [old, current] = workers[0]!.requests.map((r) => r.id);
    expect(current).not.toBe(old);
    collector.receive(1, { type: 'rondo:stats', id: old!, stats: worker([0, 0, 0], '198.51.100.1') });
    collector.receive(1, { type: 'rondo:stats', id: current!, stats: worker([1], '198.51.100.1') });
    expect((await second).stats.fastPathAnswered).toBe(1);
  });
});

describe('WorkerStatsCollector counters across worker replacement (issue 15)', () => {
  it('never go down: a dead worker’s counters stay in the sum, a late worker counts with its last reply', async () => {
    vi.useFakeTimers();
    const workers = [fakeWorker(1), fakeWorker(2)];
    const collector = new WorkerStatsCollector(() => workers, 1000);
    const lastRequest = (w: FakeWorker) => w.requests[w.requests.length - 1]!.id;
    const answer = (w: FakeWorker, stats: WorkerStats) => collector.receive(w.id, { type: 'rondo:stats', id: lastRequest(w), stats });
    const totals: { udp: number; noerror: number; fast: number; pool: number; tcpOpen: number }[] = [];
    const scrape = async (reply: (w: FakeWorker) => WorkerStats | undefined) => {
      const pending = collector.collect(null);
      for (const w of workers) {
        const stats = reply(w);
        if (stats) answer(w, stats);
      }
      await vi.advanceTimersByTimeAsync(1000);
      const s = (await pending).stats;
      totals.push({ udp: s.dnsStats?.udp ?? 0, noerror: s.dnsStats?.rcodes.NOERROR ?? 0, fast: s.fastPathAnswered ?? 0, pool: s.poolAnswers[0]?.answersTotal ?? 0, tcpOpen: s.dnsStats?.tcpOpen ?? 0 });
    };
    await scrape((w) => (w.id === 1 ? worker([0, 1], '198.51.100.1') : worker([1, 1, 1, 0], '203.0.113.1')));
    // Worker 2 dies and is replaced by worker 3, which starts from zero.
    workers.splice(1, 1);
    collector.forget(2);
    workers.push(fakeWorker(3));
    await scrape((w) => (w.id === 1 ? worker([0, 1, 0], '198.51.100.1') : worker([0], '203.0.113.1')));
    // Worker 1 is late this time: its last counters still count.
    await scrape((w) => (w.id === 3 ? worker([0, 1], '203.0.113.1') : undefined));
    for (let i = 1; i < totals.length; i++) {
      for (const key of ['udp', 'noerror', 'fast', 'pool'] as const) expect(totals[i]![key]).toBeGreaterThanOrEqual(totals[i - 1]![key]);
    }
    expect(totals.map((t) => t.fast)).toEqual([6, 3 + 4 + 1, 3 + 4 + 2]);
    // Gauges are not carried over from the dead or the late: only the live repliers' open connections.
    expect(totals.map((t) => t.tcpOpen)).toEqual([2, 2, 1]);
  });
});
