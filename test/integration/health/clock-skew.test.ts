/**
 * Freshness by Redis's clock (issue 15): checkers whose clocks are 60 s ahead and 60 s behind the
 * DNS servers' (clocks injected through lib/clock.ts). Neither makes a live target look stale nor
 * a dead checker's verdict look fresh: a verdict's age is measured by its checker's own clock and
 * by Redis's TIME, and readers judge it on their own clock, never comparing two machines' clocks.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../lib/clock.js';
import type { TargetState } from '../../../model/health.js';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { freshPrefix, stateOf, storeFactory } from './fixture.js';
import type { RedisHealthStore } from '../../../health/redis-store.js';

const T1 = 'example.test./web/192.0.2.10/80';
const TTL_MS = 1500;

let redis: RedisServer;
let prefix = '';
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
const open = storeFactory(
  () => ({ url: redis.url, maxRetryDelayMs: 100 }),
  () => prefix,
);

const skewed = (offsetMs: number): Clock => ({ now: () => Date.now() + offsetMs });
const AHEAD = skewed(60_000);
const BEHIND = skewed(-60_000);

/** A verdict as a checker with `clock` makes it. */
function publish(store: RedisHealthStore, clock: Clock, state: TargetState): void {
  store.publish({ targetId: T1, checker: store.nodeId, state, latencyMs: 5, load: undefined, reason: state, at: clock.now(), ttlMs: TTL_MS });
}

/** Publishes every 200 ms (as a checker probing) until stopped. */
function keepPublishing(store: RedisHealthStore, clock: Clock, state: () => TargetState): () => void {
  publish(store, clock, state());
  const timer = setInterval(() => publish(store, clock, state()), 200);
  return () => clearInterval(timer);
}

describe('verdict freshness with checker clocks 60 s ahead and 60 s behind', () => {
  it('live checkers keep a target up, and a stopped checker lapses within its ttl, not 60 s off', async () => {
    prefix = freshPrefix();
    const dns = await open('dns', 'dns-a');
    const ahead = await open('checker', 'chk-ahead', { clock: AHEAD });
    const behind = await open('checker', 'chk-behind', { clock: BEHIND });
    let behindSays: TargetState = 'up';
    const stopAhead = keepPublishing(ahead, AHEAD, () => 'up');
    const stopBehind = keepPublishing(behind, BEHIND, () => behindSays);
    try {
      await vi.waitFor(() => expect(dns.view().get(T1)?.reason).toMatch(/^2\/2 checkers/), { timeout: 3000, interval: 20 });
      expect(stateOf(dns, T1)).toBe('up');
      // Both stay fresh through several ttls (the one behind never looks stale).
      const until = performance.now() + 3 * TTL_MS;
      while (performance.now() < until) {
        expect(dns.view().get(T1)?.reason).toMatch(/^2\/2 checkers/);
        await new Promise((r) => setTimeout(r, 50));
      }
      // A DNS server started now loads the verdicts from Redis: fresh, both of them.
      const late = await open('dns', 'dns-late');
      expect(late.view().get(T1)?.reason).toMatch(/^2\/2 checkers/);

      // The checker ahead dies; the one behind says down. With its clock 60 s ahead, the dead
      // checker's last verdict must not stay fresh for a minute: it lapses within its ttl, and
      // the remaining checker decides.
      stopAhead();
      await ahead.stop();
      behindSays = 'down';
      const stoppedAt = performance.now();
      await vi.waitFor(
        () => {
          for (const s of [dns, late]) expect(stateOf(s, T1)).toBe('down');
        },
        { timeout: 4 * TTL_MS, interval: 20 },
      );
      expect(performance.now() - stoppedAt).toBeLessThan(TTL_MS + 1500);
    } finally {
      stopAhead();
      stopBehind();
    }
  });

  it('a dead target seen only by the checker behind goes down, then unknown within a ttl of its last verdict', async () => {
    prefix = freshPrefix();
    const dns = await open('dns', 'dns-a');
    dns.setQuorum(T1, 'majority'); // one of ours: it stays in the view when nothing is fresh
    const behind = await open('checker', 'chk-behind', { clock: BEHIND });
    const stop = keepPublishing(behind, BEHIND, () => 'down');
    try {
      // Behind by 60 s, its verdicts are still fresh: the target is down, not unknown.
      await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('down'), { timeout: 3000, interval: 20 });
      stop();
      await behind.stop();
      // Nothing fresh after its ttl: unknown is decided by its own checks' ages, not by clocks.
      const stoppedAt = performance.now();
      await vi.waitFor(() => expect(dns.view().get(T1)).toMatchObject({ state: 'unknown', reason: 'no fresh verdict' }), { timeout: 4 * TTL_MS, interval: 20 });
      expect(performance.now() - stoppedAt).toBeLessThan(TTL_MS + 1500);
    } finally {
      stop();
    }
  });
});
