/**
 * Issue 15 ("scale"): what keeps a DNS server reading 10,000 targets from three checkers cheap.
 * A verdict that says what the held one says (re-announced, or the next probe agreeing) only
 * refreshes the held verdict's time: no decision, no new view, no notification; yet it keeps the
 * target fresh, and a latency that creeps is measured from where it was last decided. The
 * periodic resync waits longer when there are many keys.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import type { HealthChange } from '../../../model/health.js';
import type { RedisHealthStore } from '../../../health/redis-store.js';
import { freshPrefix, stateOf, storeFactory, verdict } from './fixture.js';
import { encodeVerdictField } from '../../../health/codec.js';
import { HELD_IN_ONE_TURN } from '../../../health/redis-reader.js';

const WAIT = { timeout: 5000, interval: 20 };
const T1 = 'example.test./web/192.0.2.10/80';

let redis: RedisServer;
let admin: Redis;
let prefix = '';

beforeAll(async () => {
  redis = await startRedisServer();
  admin = await redis.client();
});
afterAll(async () => {
  await redis?.stop();
});

const open = storeFactory(
  () => ({ url: redis.url, maxRetryDelayMs: 100 }),
  () => prefix,
);

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function changesOf(changes: readonly HealthChange[], targetId: string): number {
  return changes.filter((c) => c.changed.includes(targetId)).length;
}

/** Counts the reader's decisions (its private recompute, of any target): what the cheap path must not reach. */
function decisions(store: RedisHealthStore): { count: () => number } {
  const reader = store['reader'] as unknown as Record<string, unknown>;
  const spy = vi.spyOn(reader as { recompute: (ids: readonly string[], commit?: boolean) => void }, 'recompute');
  return { count: () => spy.mock.calls.filter(([ids]) => ids.length > 0).length };
}

/** HGETALLs Redis ran, inside scripts too (the resync reads a chunk of keys per script call). */
async function hgetallCalls(): Promise<number> {
  const stats = await admin.info('commandstats');
  return Number(/^cmdstat_hgetall:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

describe('issue 15: unchanged verdicts are cheap for readers', () => {
  it('a verdict saying the same refreshes the held one in place: no new view, and the target stays fresh past its first ttl', async () => {
    prefix = freshPrefix();
    const both = await open('both', 'solo');
    both.setTargets([{ id: T1, quorum: 'majority' }]);
    const changes: HealthChange[] = [];
    both.subscribe((c) => changes.push(c));
    const ttlMs = 400;
    both.publish(verdict(T1, 'solo', 'up', { ttlMs, latencyMs: 5 }));
    expect(stateOf(both, T1)).toBe('up');
    const version = both.view().version;
    const decided = both.view().get(T1);
    const decided0 = decisions(both);

    // 1.2 s of the same verdict (three ttls), as a checker probing every 100 ms says it.
    for (let i = 0; i < 12; i++) {
      await delay(100);
      both.publish(verdict(T1, 'solo', 'up', { ttlMs, latencyMs: 5 }));
      expect(stateOf(both, T1)).toBe('up');
    }
    expect(changesOf(changes, T1)).toBe(1);
    expect(both.view().version).toBe(version);
    expect(both.view().get(T1)).toBe(decided);
    expect(decided0.count()).toBe(0); // nothing was decided again

    // Without new verdicts it lapses within its ttl of the last one (the refreshed time counted).
    await vi.waitFor(() => expect(stateOf(both, T1)).toBe('unknown'), WAIT);
  });

  it('a refresh that shortens the ttl is swept on the shorter one', async () => {
    prefix = freshPrefix();
    const both = await open('both', 'solo');
    both.setTargets([{ id: T1, quorum: 'majority' }]);
    both.publish(verdict(T1, 'solo', 'up', { ttlMs: 60_000 }));
    await delay(120); // a few sweeps: the earliest expiry is a minute away
    both.publish(verdict(T1, 'solo', 'up', { ttlMs: 300 }));
    expect(stateOf(both, T1)).toBe('up');
    const refreshed = performance.now();
    await vi.waitFor(() => expect(stateOf(both, T1)).toBe('unknown'), WAIT);
    expect(performance.now() - refreshed).toBeLessThan(2000);
  });

  it('a latency that creeps is measured from where it was last decided; a new reason or state decides again', async () => {
    prefix = freshPrefix();
    const both = await open('both', 'solo');
    const base = Date.now();
    // Increasing `at`s a little ahead, so the echo of an earlier verdict from Redis never looks newer.
    const say = (i: number, extra: Parameters<typeof verdict>[3]) => both.publish(verdict(T1, 'solo', 'up', { at: base + 100 * i, ...extra }));
    say(0, { latencyMs: 100, reason: 'HTTP 200' });
    expect(both.view().get(T1)?.latencyMs).toBe(100);
    const decided = decisions(both);
    say(1, { latencyMs: 105, reason: 'HTTP 200' });
    say(2, { latencyMs: 109, reason: 'HTTP 200' });
    expect(both.view().get(T1)?.latencyMs).toBe(100);
    expect(decided.count()).toBe(0);
    // 112 is within 10% of 109, not of 100: decided again.
    say(3, { latencyMs: 112, reason: 'HTTP 200' });
    expect(both.view().get(T1)?.latencyMs).toBe(112);
    expect(decided.count()).toBe(1);
    say(4, { latencyMs: 112, reason: 'HTTP 204' });
    expect(both.view().get(T1)?.reason).toBe('1/1 checkers: HTTP 204');
    say(5, { latencyMs: 112, load: 0.5, reason: 'HTTP 204' });
    expect(both.view().get(T1)?.load).toBe(0.5);
    both.publish(verdict(T1, 'solo', 'down', { at: base + 600, latencyMs: undefined, reason: 'HTTP 503' }));
    expect(both.view().get(T1)).toMatchObject({ state: 'down', reason: '1/1 checkers: HTTP 503' });
  });

  it('through Redis: re-announcements make no view on another server, and a change still arrives at once', async () => {
    prefix = freshPrefix();
    const dns = await open('dns', 'dns-a');
    const changes: HealthChange[] = [];
    dns.subscribe((c) => changes.push(c));
    const chk = await open('checker', 'chk');
    // ttl 300 ms: the writer announces the unchanged verdict every 100 ms.
    const say = (state: 'up' | 'down') => chk.publish(verdict(T1, 'chk', state, { ttlMs: 300, reason: state }));
    say('up');
    await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('up'), WAIT);
    const version = dns.view().version;
    const decided = decisions(dns);
    for (let i = 0; i < 10; i++) {
      await delay(100);
      say('up');
    }
    await chk.flush();
    expect(stateOf(dns, T1)).toBe('up');
    expect(dns.view().version).toBe(version);
    expect(changesOf(changes, T1)).toBe(1);
    expect(decided.count()).toBe(0);

    const flipped = performance.now();
    say('down');
    await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('down'), { timeout: 2000, interval: 2 });
    expect(performance.now() - flipped).toBeLessThan(1000);
    expect(changesOf(changes, T1)).toBe(2);
  });

  it('a resync reads keys a script call per chunk: odd values, a key of another type and a malformed field do not stop it', async () => {
    prefix = freshPrefix();
    const chk = await open('checker', 'chk');
    const odd = 'example.test./web/192.0.2.20/80';
    chk.publish(verdict(T1, 'chk', 'up', { reason: 'HTTP 200 "ok" \\ \n naïve ✓' }));
    chk.publish(verdict(odd, 'chk', 'down'));
    await chk.flush();
    await admin.set(`${prefix}:v:example.test./web/192.0.2.30/80`, 'not a hash');
    await admin.hset(`${prefix}:v:${odd}`, 'hand-edited', '{"state": "up", "at": "soon"');
    const dns = await open('dns', 'dns-a');
    expect(dns.view().get(T1)).toMatchObject({ state: 'up', reason: '1/1 checkers: HTTP 200 "ok" \\ \n naïve ✓' });
    expect(stateOf(dns, odd)).toBe('down');
    // The malformed field is pruned by the resync; the other key is left alone.
    await vi.waitFor(async () => expect(await admin.hexists(`${prefix}:v:${odd}`, 'hand-edited')).toBe(0), WAIT);
    expect(await admin.get(`${prefix}:v:example.test./web/192.0.2.30/80`)).toBe('not a hash');
  });

  it('the periodic resync waits 3 ms per verdict key it read last time', async () => {
    prefix = freshPrefix();
    const chk = await open('checker', 'chk');
    const targets = Array.from({ length: 500 }, (_, i) => `example.test./web/10.0.${i >> 8}.${i & 255}/80`);
    for (const id of targets) chk.publish(verdict(id, 'chk', 'up', { ttlMs: 60_000 }));
    await chk.flush();
    const dns = await open('dns', 'dns-a', { resyncIntervalMs: 100 });
    expect(dns.heldCounts().targets).toBe(500); // the warm start read them all
    const before = await hgetallCalls();
    await delay(900);
    expect(await hgetallCalls()).toBe(before); // every 100 ms asked, none due before 1.5 s
    await vi.waitFor(async () => expect(await hgetallCalls()).toBeGreaterThanOrEqual(before + 500), WAIT);
  });

  it('a warm start longer than startTimeoutMs: the server goes on, the rest is read after it, and no periodic resync queues behind it', async () => {
    prefix = freshPrefix();
    const count = 100_000;
    const field = encodeVerdictField(verdict('', 'chk', 'up', { ttlMs: 600_000 }));
    for (let from = 0; from < count; from += 10_000) {
      const pipe = admin.pipeline();
      for (let i = from; i < from + 10_000; i++) pipe.hset(`${prefix}:v:example.test./web/10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/80`, 'chk', field);
      await pipe.exec();
    }
    const before = await hgetallCalls();
    const dns = await open('dns', 'dns-a', { startTimeoutMs: 150, resyncIntervalMs: 20 });
    expect(dns.heldCounts().targets).toBeLessThan(count);
    await vi.waitFor(() => expect(dns.heldCounts().targets).toBe(count), { timeout: 60_000, interval: 100 });
    await delay(300);
    // One read of each key: the periodic timer (every 20 ms) asked for none while the first ran.
    expect((await hgetallCalls()) - before).toBe(count);
  }, 90_000);

  it('lapsed verdicts of more targets than one turn takes are dropped in slices, and a verdict heard meanwhile still lapses on time', async () => {
    prefix = freshPrefix();
    const dns = await open('dns', 'dns-a');
    const chk = await open('checker', 'chk');
    const ids = Array.from({ length: HELD_IN_ONE_TURN + 1000 }, (_, i) => `example.test./web/10.1.${i >> 8}.${i & 255}/80`);
    for (const id of ids) chk.publish(verdict(id, 'chk', 'up', { ttlMs: 400 }));
    chk.publish(verdict(T1, 'chk', 'up', { ttlMs: 60_000 }));
    await chk.flush();
    await vi.waitFor(() => expect(dns.heldCounts().targets).toBe(ids.length + 1), WAIT);
    // Not ours and lapsed: every one leaves the view; the fresh one stays.
    await vi.waitFor(() => expect(dns.heldCounts().targets).toBe(1), { timeout: 10_000, interval: 50 });
    expect(stateOf(dns, T1)).toBe('up');
    // Heard after the walk: it lapses by itself too.
    const late = 'example.test./web/10.2.0.1/80';
    chk.publish(verdict(late, 'chk', 'up', { ttlMs: 300 }));
    await chk.flush();
    await vi.waitFor(() => expect(stateOf(dns, late)).toBe('up'), WAIT);
    await vi.waitFor(() => expect(dns.view().get(late)).toBeUndefined(), WAIT);
  });
});
