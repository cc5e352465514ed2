import { describe, expect, it } from 'vitest';
import { decideConsensus, median, parseQuorum, requiredVotes, targetQuorums, type Quorum } from '../../../health/consensus.js';
import type { TargetState, Verdict } from '../../../model/health.js';

const NOW = 1_000_000;

function v(checker: string, state: TargetState, extra: Partial<Verdict> = {}): Verdict {
  return { targetId: 't1', checker, state, latencyMs: undefined, load: undefined, reason: `${checker} says ${state}`, at: NOW - 100, ttlMs: 3000, ...extra };
}

describe('requiredVotes', () => {
  it.each<[Quorum | Quorum[], number, number]>([
    ['majority', 1, 1],
    ['majority', 2, 2],
    ['majority', 3, 2],
    ['majority', 4, 3],
    ['all', 3, 3],
    ['all', 0, 1],
    [2, 5, 2],
    [1, 0, 1],
    [[1, 'majority'], 4, 3],
    [['all', 2], 1, 2],
    [[], 3, 2],
  ])('%j with %i voters needs %i', (quorum, voters, need) => {
    expect(requiredVotes(quorum, voters)).toBe(need);
  });
});

describe('decideConsensus', () => {
  it('is unknown with no fresh verdict, even if the previous state was known', () => {
    const stale = v('a', 'up', { at: NOW - 3000, ttlMs: 3000 });
    const c = decideConsensus([stale], 'majority', NOW, 'up');
    expect(c.state).toBe('unknown');
    expect(c.reason).toBe('no fresh verdict');
  });

  it('counts a verdict until exactly at + ttlMs', () => {
    const edge = v('a', 'down', { at: NOW - 2999, ttlMs: 3000 });
    expect(decideConsensus([edge], 'majority', NOW).state).toBe('down');
    expect(decideConsensus([edge], 'majority', NOW + 1).state).toBe('unknown');
  });

  it('majority of 3 with one checker disagreeing follows the two', () => {
    expect(decideConsensus([v('a', 'up'), v('b', 'up'), v('c', 'down')], 'majority', NOW).state).toBe('up');
    expect(decideConsensus([v('a', 'down'), v('b', 'up'), v('c', 'down')], 'majority', NOW).state).toBe('down');
  });

  it('majority of 2 split keeps the previous state (sticky), or unknown without one', () => {
    const split = [v('a', 'up'), v('b', 'down')];
    const sticky = decideConsensus(split, 'majority', NOW, 'up');
    expect(sticky).toMatchObject({ state: 'up', sticky: true, ups: 1, downs: 1, required: 2 });
    expect(sticky.reason).toMatch(/no quorum/);
    expect(decideConsensus(split, 'majority', NOW, 'down').state).toBe('down');
    expect(decideConsensus(split, 'majority', NOW).state).toBe('unknown');
  });

  it('quorum 1 of 2: one voter decides when it is alone; a 1-1 split is a tie', () => {
    expect(decideConsensus([v('a', 'down')], 1, NOW, 'up').state).toBe('down');
    expect(decideConsensus([v('a', 'up'), v('b', 'down')], 1, NOW, 'down').state).toBe('down');
    expect(decideConsensus([v('a', 'up'), v('b', 'up'), v('c', 'down')], 1, NOW, 'down').state).toBe('up');
  });

  it('quorum 2 of 2: a lone checker cannot change the state', () => {
    expect(decideConsensus([v('a', 'down')], 2, NOW, 'up').state).toBe('up');
    expect(decideConsensus([v('a', 'down'), v('b', 'down')], 2, NOW, 'up').state).toBe('down');
  });

  it('all: every fresh voter must agree', () => {
    expect(decideConsensus([v('a', 'up'), v('b', 'up'), v('c', 'down')], 'all', NOW, 'down').state).toBe('down');
    expect(decideConsensus([v('a', 'up'), v('b', 'up'), v('c', 'up')], 'all', NOW, 'down').state).toBe('up');
  });

  it('unknown verdicts abstain: they neither vote nor raise the majority', () => {
    const c = decideConsensus([v('a', 'up'), v('b', 'unknown'), v('c', 'unknown')], 'majority', NOW);
    expect(c).toMatchObject({ state: 'up', ups: 1, downs: 0, abstains: 2, required: 1 });
    expect(decideConsensus([v('b', 'unknown')], 'majority', NOW, 'down').state).toBe('down');
  });

  it('several quorums: the strictest applies', () => {
    const verdicts = [v('a', 'down'), v('b', 'up'), v('c', 'down')];
    expect(decideConsensus(verdicts, ['majority'], NOW, 'up').state).toBe('down');
    expect(decideConsensus(verdicts, ['majority', 'all'], NOW, 'up').state).toBe('up');
  });

  it('latency is the median of fresh latencies, load the maximum', () => {
    const c = decideConsensus(
      [v('a', 'up', { latencyMs: 10, load: 0.2 }), v('b', 'up', { latencyMs: 30, load: 0.7 }), v('c', 'up', { latencyMs: 12 }), v('d', 'up', { latencyMs: 1000, at: NOW - 5000 })],
      'majority',
      NOW,
    );
    expect(c.latencyMs).toBe(12);
    expect(c.load).toBe(0.7);
  });

  it('reason names the agreeing count and the newest agreeing reason', () => {
    const c = decideConsensus([v('a', 'down', { reason: 'ECONNREFUSED', at: NOW - 200 }), v('b', 'down', { reason: 'HTTP 503', at: NOW - 10 }), v('c', 'up')], 'majority', NOW);
    expect(c.reason).toBe('2/3 checkers: HTTP 503');
  });
});

describe('helpers', () => {
  it('median of even and odd lists', () => {
    expect(median([])).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('parseQuorum', () => {
    expect(parseQuorum('majority')).toBe('majority');
    expect(parseQuorum('all')).toBe('all');
    expect(parseQuorum('3')).toBe(3);
    expect(parseQuorum('0')).toBeUndefined();
    expect(parseQuorum('most')).toBeUndefined();
  });

  it('targetQuorums collects every pool quorum per target', () => {
    const zones = [
      {
        pools: [
          { config: { quorum: 'majority' as const }, members: [{ targetId: 'a' }, { targetId: undefined }] },
          { config: { quorum: 2 }, members: [{ targetId: 'a' }, { targetId: 'b' }] },
        ],
      },
    ];
    expect(targetQuorums(zones)).toEqual([
      { id: 'a', quorum: ['majority', 2] },
      { id: 'b', quorum: [2] },
    ]);
  });
});
