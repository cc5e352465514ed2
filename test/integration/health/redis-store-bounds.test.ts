/**
 * Issue 7 ("memory flat"): what a Redis health store holds is bounded by the live checkers and
 * targets, not by every checker identity or target ever seen. Checker identities change on every
 * restart (`host:pid` by default); targets change with zone edits, here or on other servers.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { freshPrefix, stateOf, storeFactory, verdict } from './fixture.js';

const WAIT = { timeout: 5000, interval: 20 };
const T1 = 'example.test./web/192.0.2.10/80';
const T2 = 'example.test./web/192.0.2.11/80';
const T3 = 'example.test./web/192.0.2.12/80';
/** Verdicts of the identities and targets that go away: they lapse within a few sweeps. */
const SHORT_TTL_MS = 1000;

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

describe('issue 7: memory held by the Redis health store', () => {
  it('after 100 checker identities come and go, the stores hold verdicts of the live checker only', async () => {
    prefix = freshPrefix();
    const dns = await open('dns', 'dns-a');
    const writer = await open('checker', 'live');
    // A few real checker processes' stores that start, vote and stop ...
    for (let i = 0; i < 3; i++) {
      const gone = await open('checker', `restarted-${i}`);
      gone.publish(verdict(T1, gone.nodeId, 'up', { ttlMs: SHORT_TTL_MS }));
      await gone.flush();
      await gone.stop();
    }
    // ... and 100 more identities, as restarted checkers with new node ids would write them.
    for (let i = 0; i < 100; i++) writer.publish(verdict(T1, `gone-${i}`, 'up', { ttlMs: SHORT_TTL_MS }));
    writer.publish(verdict(T1, 'live', 'up', { ttlMs: 60_000 }));
    await writer.flush();
    await vi.waitFor(() => expect(dns.heldCounts().checkers).toBeGreaterThan(1), WAIT);

    await vi.waitFor(() => expect(dns.heldCounts()).toMatchObject({ checkers: 1, verdicts: 1, targets: 1 }), WAIT);
    expect(dns.view().get(T1)?.reason).toBe('1/1 checkers: live: up');
    // The writer forgets its lapsed verdicts too (it keeps the latest one per pair for rewrites).
    await vi.waitFor(() => expect(writer.heldCounts()).toMatchObject({ written: 1, queued: 0 }), WAIT);
  });

  it('targets no longer served, and other servers’ lapsed targets, leave the view; served ones stay', async () => {
    prefix = freshPrefix();
    const dns = await open('dns', 'dns-a');
    dns.setTargets([T1, T2, T3].map((id) => ({ id, quorum: 'majority' })));
    const chk = await open('checker', 'chk');
    chk.publish(verdict(T1, 'chk', 'up', { ttlMs: 60_000 }));
    chk.publish(verdict(T2, 'chk', 'up', { ttlMs: SHORT_TTL_MS }));
    chk.publish(verdict(T3, 'chk', 'down', { ttlMs: SHORT_TTL_MS }));
    // Targets of zones this server does not serve (another server's, since edited away).
    const others = Array.from({ length: 50 }, (_, i) => `example.org./web/192.0.2.${100 + i}/80`);
    for (const id of others) chk.publish(verdict(id, 'chk', 'up', { ttlMs: SHORT_TTL_MS }));
    await chk.flush();
    await vi.waitFor(() => expect(dns.heldCounts().targets).toBe(53), WAIT);

    // A zone edit drops T2; its verdict lapses, and the other servers' targets lapse too.
    dns.setTargets([T1, T3].map((id) => ({ id, quorum: 'majority' })));
    await vi.waitFor(() => expect(dns.heldCounts()).toMatchObject({ targets: 2, verdicts: 1 }), WAIT);
    expect(dns.view().get(T2)).toBeUndefined();
    expect(dns.view().get(others[0] as string)).toBeUndefined();
    // Served targets stay: T1 decided, T3 unknown once nothing fresh is left.
    expect(stateOf(dns, T1)).toBe('up');
    expect(dns.view().get(T3)).toMatchObject({ state: 'unknown', reason: 'no fresh verdict' });
  });
});
