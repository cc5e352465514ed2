import { describe, expect, it } from 'vitest';
import type { ClientModel } from '../../../report/client-model.js';
import { DEFAULT_CLIENT_MODEL } from '../../../report/client-model.js';
import { replayAnswers } from '../../../report/replay.js';
import type { ReplayResolver } from '../../../report/replay.js';

/** Clients that look the name up on every request (stubs): load follows the resolver's entry. */
const STUBS: ClientModel = {
  ...DEFAULT_CLIENT_MODEL,
  classes: [{ name: 'stub', share: 1, pinSeconds: 0, lagMedianSeconds: 0, lagSigma: 0, idleTimeoutSeconds: 90, connectionSeconds: 0 }],
  pinFrom: 'lookup',
  requestRatePerClient: 0.5,
};

/** Browsers: a 60 s pin from their own lookup and connections of 60 s on average. */
const BROWSERS: ClientModel = {
  ...STUBS,
  classes: [{ name: 'browser', share: 1, pinSeconds: 60, lagMedianSeconds: 0, lagSigma: 0, idleTimeoutSeconds: 300, connectionSeconds: 60 }],
};

/** A resolver asking every `period` seconds from 0 to `until`, handed members by `member(k)`. */
function resolver(period: number, until: number, rate: number, member: (k: number) => number, offset = 0): ReplayResolver {
  const atMs: number[] = [];
  const members: number[] = [];
  for (let k = 0; offset + k * period < until; k++) {
    atMs.push((offset + k * period) * 1000);
    members.push(member(k));
  }
  return { atMs, member: members, rate, holdSeconds: period };
}

const END_MS = 300_000;

describe('replayAnswers', () => {
  it('counts what each member got from the answers given, and its drain from who holds it', () => {
    // Four resolvers, each always handed its own member; the first carries half the load.
    const rates = [100, 50, 30, 20];
    const r = replayAnswers({
      members: 4,
      targets: [1, 1, 1, 1],
      resolvers: rates.map((rate, i) => resolver(5, 300, rate, () => i)),
      client: STUBS,
      // Two seconds into the last entries.
      endMs: 297_000,
      ttl: 5,
      windows: [10],
      seed: 1,
      maxRequests: 300_000,
    })!;
    expect(r.scale).toBeGreaterThan(1);
    for (const [i, rate] of rates.entries()) expect(r.shares[i]).toBeCloseTo(rate / 200, 1);
    // Stubs follow the entry: right after the removal the member still gets everything, one
    // entry later nothing.
    const d = r.drains[0]!;
    expect(d.requests[1]).toBeGreaterThan(0.8);
    expect(d.requests[8]).toBe(0);
  });

  it('sees round robin dealing members evenly where independent draws would not', () => {
    // Four equal resolvers in lockstep, dealt consecutive members: every member always has one.
    let next = 0;
    const dealt = Array.from({ length: 4 }, () => [] as number[]);
    for (let k = 0; k < 60; k++) for (let r = 0; r < 4; r++) dealt[r]!.push(next++ % 4);
    const resolvers = dealt.map((list, i) => resolver(5, 300, 100, (k) => list[k]!, i * 0.01));
    const r = replayAnswers({ members: 4, targets: [1, 1, 1, 1], resolvers, client: STUBS, endMs: END_MS, ttl: 5, windows: [10, 60], seed: 2, maxRequests: 300_000 })!;
    // What is left is counting: CV² ≈ (B − 1)/(Λ·W).
    expect(r.windowCv.get(10)!).toBeLessThan(Math.sqrt(3 / (400 * 10)) * 1.3);
    expect(r.windowCv.get(10)!).toBeGreaterThan(Math.sqrt(3 / (400 * 10)) * 0.7);
    // One resolver holding one member for 15 s at a time: a large, answer-made CV.
    const stuck = [resolver(15, 300, 400, (k) => k % 4)];
    const s = replayAnswers({ members: 4, targets: [1, 1, 1, 1], resolvers: stuck, client: STUBS, endMs: END_MS, ttl: 15, windows: [10], seed: 3 })!;
    expect(s.windowCv.get(10)!).toBeGreaterThan(1);
  });

  it('thins a large population and still reports the counting noise of the real one', () => {
    const make = (rate: number) =>
      replayAnswers({
        members: 4,
        targets: [1, 1, 1, 1],
        resolvers: [0, 1, 2, 3].map((i) => resolver(5, 1200, rate, () => i)),
        client: STUBS,
        endMs: 1_200_000,
        ttl: 5,
        windows: [10],
        seed: 4,
        maxRequests: 150_000,
      })!;
    const big = make(20_000);
    expect(big.scale).toBeLessThan(0.05);
    // The simulated clients alone would count with CV √(3/(Λ·scale·W/2)) per half; the real
    // population's counting CV is √(3/(Λ·W)) = 0.002, below what the thinned replay resolves.
    const simulated = Math.sqrt(3 / ((80_000 * big.scale * 10) / 2));
    expect(big.windowCv.get(10)!).toBeLessThan(simulated / 2);
  });

  it('replays at most the last hour before the snapshot, from the answer then in force', () => {
    // A day of answers every 30 s: the per-second counts cover one hour, not a day.
    const day = resolver(30, 86_400, 10, (k) => k % 2);
    const r = replayAnswers({ members: 2, targets: [1, 1], resolvers: [day], client: STUBS, endMs: 86_400_000, ttl: 30, windows: [60], seed: 6 })!;
    expect(r.fromMs).toBe(86_400_000 - 3_600_000);
    expect(r.shares[0]).toBeCloseTo(0.5, 1);
  });

  it('drains pinned clients over their pin and connection, not with the entry', () => {
    const r = replayAnswers({
      members: 2,
      targets: [1, 1],
      resolvers: [resolver(5, 300, 100, () => 0), resolver(5, 300, 100, () => 1)],
      client: BROWSERS,
      endMs: END_MS,
      ttl: 5,
      windows: [10],
      seed: 5,
      maxRequests: 300_000,
    })!;
    const d = r.drains[0]!;
    const mean = (from: number, to: number) => d.requests.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);
    expect(mean(8, 12)).toBeGreaterThan(0.6);
    expect(mean(55, 65)).toBeGreaterThan(0.2);
    expect(mean(55, 65)).toBeLessThan(mean(8, 12));
  });
});
