/**
 * Redis going away (issue "Shared health through Redis"): DNS servers keep their last view and
 * say so once; checkers keep the latest verdicts in memory; when Redis comes back empty, the
 * checkers write everything again and the servers converge. A hung (SIGSTOPped) Redis blocks
 * nobody.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { healthKeys } from '../../../health/keys.js';
import { RedisHealthStore } from '../../../health/redis-store.js';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { captureLogs, FAST, freshPrefix, stateOf, verdict } from './fixture.js';

const WAIT = { timeout: 8000, interval: 20 };
const T1 = 'example.test./web/192.0.2.10/80';
const T2 = 'example.test./web/192.0.2.11/80';

let redis: RedisServer;
const stores: RedisHealthStore[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(stores.splice(0).map((s) => s.stop()));
  await redis?.stop();
});

function make(role: 'dns' | 'checker', nodeId: string, prefix: string, logger = captureLogs().logger): RedisHealthStore {
  const store = new RedisHealthStore({ connection: { url: redis.url }, role, nodeId, prefix, logger, ...FAST });
  stores.push(store);
  return store;
}

describe('Redis outage', () => {
  it('servers keep the last view, log once each way, and converge after an empty restart', async () => {
    const prefix = freshPrefix();
    const dnsLogs = captureLogs('info');
    const chkLogs = captureLogs('info');
    const [dnsA, dnsB] = [make('dns', 'dns-a', prefix, dnsLogs.logger), make('dns', 'dns-b', prefix)];
    const [chkA, chkB] = [make('checker', 'chk-a', prefix, chkLogs.logger), make('checker', 'chk-b', prefix)];
    await Promise.all([dnsA, dnsB, chkA, chkB].map((s) => s.start()));
    for (const chk of [chkA, chkB]) {
      chk.publish(verdict(T1, chk.nodeId, 'up'));
      chk.publish(verdict(T2, chk.nodeId, 'up'));
    }
    await vi.waitFor(() => {
      for (const d of [dnsA, dnsB]) expect([stateOf(d, T1), stateOf(d, T2)]).toEqual(['up', 'up']);
    }, WAIT);
    const before = dnsA.view();

    let reconnects = 0;
    dnsA.redis.on('reconnecting', () => reconnects++);
    await redis.kill('SIGKILL');
    await vi.waitFor(() => expect([dnsA.connected, dnsB.connected, chkA.connected]).toEqual([false, false, false]), WAIT);
    // Several reconnect attempts fail, yet each store says "lost" once.
    await vi.waitFor(() => expect(reconnects).toBeGreaterThanOrEqual(3), WAIT);
    expect(dnsA.view()).toBe(before);
    expect(stateOf(dnsB, T2)).toBe('up');

    // Checkers go on deciding while Redis is away; the latest verdicts wait in memory.
    chkA.publish(verdict(T2, 'chk-a', 'down', { reason: 'HTTP 503' }));
    chkB.publish(verdict(T2, 'chk-b', 'down', { reason: 'HTTP 503' }));
    expect(stateOf(dnsA, T2)).toBe('up');

    await redis.restart(); // same port, no data
    await vi.waitFor(() => {
      for (const d of [dnsA, dnsB]) expect([stateOf(d, T1), stateOf(d, T2)]).toEqual(['up', 'down']);
    }, WAIT);
    // The emptied Redis holds every checker's verdicts again.
    const admin = await redis.client();
    const keys = healthKeys(prefix);
    await vi.waitFor(async () => {
      expect(Object.keys(await admin.hgetall(keys.verdictKey(T1))).sort()).toEqual(['chk-a', 'chk-b']);
      expect(JSON.parse((await admin.hget(keys.verdictKey(T2), 'chk-a')) ?? '{}')).toMatchObject({ state: 'down', reason: 'HTTP 503' });
    }, WAIT);

    await vi.waitFor(() => expect(dnsA.connected).toBe(true), WAIT);
    const messages = (logs: ReturnType<typeof captureLogs>) => logs.lines().map((l) => `${String(l.level)} ${String(l.msg)}`);
    expect(messages(dnsLogs).filter((m) => m.includes('redis connection'))).toEqual([
      '50 redis connection lost; serving the last known health',
      '30 redis connection restored',
    ]);
    expect(messages(chkLogs).filter((m) => m.includes('redis connection'))).toEqual([
      '50 redis connection lost; serving the last known health',
      '30 redis connection restored',
    ]);
  });

  it('a hung Redis blocks neither publish nor view, and both catch up when it resumes', async () => {
    const prefix = freshPrefix();
    const dns = make('dns', 'dns-a', prefix);
    const chk = make('checker', 'chk-a', prefix);
    await Promise.all([dns.start(), chk.start()]);
    chk.publish(verdict(T1, 'chk-a', 'up'));
    await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('up'), WAIT);

    redis.pause();
    let resumed = false;
    try {
      const t0 = performance.now();
      chk.publish(verdict(T1, 'chk-a', 'down'));
      expect(dns.view().get(T1)?.state).toBe('up');
      expect(performance.now() - t0).toBeLessThan(50);
      // Let at least one write attempt time out against the hung server.
      await expect(chk.redis.ping()).rejects.toThrow(/timed out/i);
      redis.resume();
      resumed = true;
      await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('down'), WAIT);
    } finally {
      if (!resumed) redis.resume();
    }
  });

  it('a server started while Redis is down answers from an empty view and catches up', async () => {
    const prefix = freshPrefix();
    const chk = make('checker', 'chk-a', prefix);
    await chk.start();
    chk.publish(verdict(T1, 'chk-a', 'down'));
    await chk.flush();
    await redis.kill('SIGKILL');
    const logs = captureLogs('info');
    const dns = new RedisHealthStore({ connection: { url: redis.url }, role: 'dns', nodeId: 'late', prefix, logger: logs.logger, ...FAST, startTimeoutMs: 300 });
    stores.push(dns);
    await dns.start();
    expect(dns.view().version).toBe(0);
    expect(logs.lines().map((l) => l.msg)).toEqual(['redis unreachable; serving the last known health']);
    await redis.restart();
    await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('down'), WAIT);
  });
});
