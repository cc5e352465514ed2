/**
 * Redis Sentinel (issue "Shared health through Redis"): with one primary, one replica and three
 * sentinels, killing the primary leads to a failover after which checkers' writes and servers'
 * reads go on (bounded to ~20 s).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { healthKeys } from '../../../health/keys.js';
import { RedisHealthStore } from '../../../health/redis-store.js';
import { silentLogger } from '../../../lib/logger.js';
import { startSentinelSet, type SentinelSet } from '../../../bench/lib/redis-server.js';
import { FAST, freshPrefix, stateOf, verdict } from './fixture.js';

const T1 = 'example.test./web/192.0.2.10/80';

let set: SentinelSet;
const stores: RedisHealthStore[] = [];

beforeAll(async () => {
  set = await startSentinelSet();
}, 60_000);
afterAll(async () => {
  await Promise.all(stores.splice(0).map((s) => s.stop()));
  await set?.stop();
});

describe('Sentinel failover', () => {
  it('writes and reads continue after the primary is killed', async () => {
    const prefix = freshPrefix();
    const open = async (role: 'dns' | 'checker', nodeId: string) => {
      const store = new RedisHealthStore({
        connection: { sentinels: set.sentinelAddresses, name: set.name, maxRetryDelayMs: 200 },
        role,
        nodeId,
        prefix,
        logger: silentLogger(),
        ...FAST,
        maxRetryDelayMs: 200,
      });
      stores.push(store);
      await store.start();
      return store;
    };
    const [dnsA, dnsB, chk] = [await open('dns', 'dns-a'), await open('dns', 'dns-b'), await open('checker', 'chk-a')];
    expect([dnsA.connected, dnsB.connected, chk.connected]).toEqual([true, true, true]);
    chk.publish(verdict(T1, 'chk-a', 'up'));
    await vi.waitFor(() => expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['up', 'up']), { timeout: 5000, interval: 20 });
    expect(await set.currentPrimaryPort()).toBe(set.primary.port);

    const killedAt = performance.now();
    await set.primary.kill('SIGKILL');
    chk.publish(verdict(T1, 'chk-a', 'down'));

    await vi.waitFor(() => expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['down', 'down']), { timeout: 20_000, interval: 50 });
    expect(await set.currentPrimaryPort()).toBe(set.replica.port);
    // The verdict really went to the promoted replica.
    const promoted = await set.replica.client();
    expect(JSON.parse((await promoted.hget(healthKeys(prefix).verdictKey(T1), 'chk-a')) ?? '{}')).toMatchObject({ state: 'down' });
    // And new changes keep flowing through the new primary.
    chk.publish(verdict(T1, 'chk-a', 'up'));
    await vi.waitFor(() => expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['up', 'up']), { timeout: 5000, interval: 20 });
    console.log(`sentinel failover: readers saw the post-failover verdict ${Math.round(performance.now() - killedAt)}ms after the primary was killed`);
  });
});
