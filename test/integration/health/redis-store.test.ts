/**
 * Shared health through Redis (issue "Shared health through Redis"), on a real redis-server:
 * readers and checkers agree; expiry lets the remaining checkers decide; quorums; overrides with
 * expiry; warm start; prefix isolation; heartbeats and status; credentials kept out of logs.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectRedis } from '../../../health/redis-connection.js';
import { healthKeys } from '../../../health/keys.js';
import { clearOverride, setOverride } from '../../../health/overrides.js';
import { readStatus, renderStatusTable } from '../../../health/status.js';
import { RedisHealthStore } from '../../../health/redis-store.js';
import { HELD_IN_ONE_TURN } from '../../../health/redis-reader.js';
import type { HealthChange } from '../../../model/health.js';
import { silentLogger } from '../../../lib/logger.js';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { captureLogs, FAST, freshPrefix, stateOf, storeFactory, verdict } from './fixture.js';
import type { Redis } from 'ioredis';

const WAIT = { timeout: 5000, interval: 20 };
const T1 = 'example.test./web/192.0.2.10/80';
const T2 = 'example.test./web/192.0.2.11/80';

let redis: RedisServer;
let admin: Redis;
let prefix = '';

beforeAll(async () => {
  redis = await startRedisServer();
  admin = await connectRedis({ url: redis.url }, silentLogger());
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

const open = storeFactory(
  () => ({ url: redis.url, maxRetryDelayMs: 100 }),
  () => prefix,
);

function newPrefix(): string {
  prefix = freshPrefix();
  return prefix;
}

describe('two DNS servers and two checkers', () => {
  it('agree on every target, and tell subscribers what changed', async () => {
    newPrefix();
    const [dnsA, dnsB] = [await open('dns', 'dns-a'), await open('dns', 'dns-b')];
    const [chkA, chkB] = [await open('checker', 'chk-a'), await open('checker', 'chk-b')];
    const changes: HealthChange[] = [];
    dnsA.subscribe((c) => changes.push(c));

    for (const chk of [chkA, chkB]) {
      chk.publish(verdict(T1, chk.nodeId, 'up'));
      chk.publish(verdict(T2, chk.nodeId, 'up'));
    }
    await vi.waitFor(() => {
      for (const dns of [dnsA, dnsB]) expect([stateOf(dns, T1), stateOf(dns, T2)]).toEqual(['up', 'up']);
    }, WAIT);

    chkA.publish(verdict(T2, 'chk-a', 'down', { reason: 'HTTP 503' }));
    chkB.publish(verdict(T2, 'chk-b', 'down', { reason: 'HTTP 503' }));
    await vi.waitFor(() => {
      for (const dns of [dnsA, dnsB]) expect([stateOf(dns, T1), stateOf(dns, T2)]).toEqual(['up', 'down']);
    }, WAIT);
    expect(dnsA.view().get(T2)?.reason).toBe('2/2 checkers: HTTP 503');
    expect(changes.at(-1)?.changed).toEqual([T2]);
    expect(changes.at(-1)?.view).toBe(dnsA.view());
    const versions = changes.map((c) => c.view.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));

    // What Redis holds: one hash per target, one field per checker, with an expiry.
    const keys = healthKeys(prefix);
    expect(Object.keys(await admin.hgetall(keys.verdictKey(T2))).sort()).toEqual(['chk-a', 'chk-b']);
    expect(await admin.pttl(keys.verdictKey(T2))).toBeGreaterThan(20_000);
  });

  it('a checker that stops writing lapses, and the remaining one decides', async () => {
    newPrefix();
    const dns = await open('dns', 'dns-a');
    const [steady, leaving] = [await open('checker', 'steady'), await open('checker', 'leaving')];
    steady.publish(verdict(T1, 'steady', 'up', { ttlMs: 60_000 }));
    leaving.publish(verdict(T1, 'leaving', 'up', { ttlMs: 800 }));
    await vi.waitFor(() => expect(dns.view().get(T1)?.reason).toMatch(/^2\/2 checkers/), WAIT);

    // 1 up / 1 down: no majority, so the state sticks at up ...
    steady.publish(verdict(T1, 'steady', 'down', { ttlMs: 60_000 }));
    await vi.waitFor(() => expect(dns.view().get(T1)?.reason).toMatch(/^no quorum/), WAIT);
    expect(stateOf(dns, T1)).toBe('up');
    // ... until the leaving checker's verdict lapses and the steady one is the only voter.
    await leaving.stop();
    await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('down'), WAIT);
    expect(dns.view().get(T1)?.reason).toBe('1/1 checkers: steady: down');
  });
});

describe('quorum', () => {
  it('1 of 2: a lone fresh checker decides', async () => {
    newPrefix();
    const dns = await open('dns', 'dns-a');
    dns.setQuorum(T1, 1);
    const chk = await open('checker', 'chk-a');
    chk.publish(verdict(T1, 'chk-a', 'up'));
    await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('up'), WAIT);
    chk.publish(verdict(T1, 'chk-a', 'down'));
    await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('down'), WAIT);
  });

  it('2 of 2: one checker alone cannot change the state', async () => {
    newPrefix();
    const [dnsA, dnsB] = [await open('dns', 'dns-a'), await open('dns', 'dns-b')];
    for (const d of [dnsA, dnsB]) d.setTargets([{ id: T1, quorum: 2 }]);
    const [a, b] = [await open('checker', 'chk-a'), await open('checker', 'chk-b')];
    a.publish(verdict(T1, 'chk-a', 'up'));
    b.publish(verdict(T1, 'chk-b', 'up'));
    await vi.waitFor(() => expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['up', 'up']), WAIT);
    a.publish(verdict(T1, 'chk-a', 'down'));
    await vi.waitFor(() => expect(dnsB.view().get(T1)?.reason).toMatch(/^no quorum \(1 up, 1 down, 2 needed\)/), WAIT);
    expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['up', 'up']);
    b.publish(verdict(T1, 'chk-b', 'down'));
    await vi.waitFor(() => expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['down', 'down']), WAIT);
  });

  it('majority of 3 with one checker disagreeing', async () => {
    newPrefix();
    const [dnsA, dnsB] = [await open('dns', 'dns-a'), await open('dns', 'dns-b')];
    const checkers = [await open('checker', 'c1'), await open('checker', 'c2'), await open('checker', 'c3')];
    const say = (states: string) => checkers.forEach((c, i) => c.publish(verdict(T1, c.nodeId, states[i] === 'u' ? 'up' : 'down')));
    say('uud');
    await vi.waitFor(() => expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['up', 'up']), WAIT);
    expect(dnsA.view().get(T1)?.reason).toMatch(/^2\/3 checkers: c[12]: up$/);
    say('udd');
    await vi.waitFor(() => expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['down', 'down']), WAIT);
    // The strictest quorum wins when pools sharing the target disagree: 'all' needs 3 of 3.
    dnsA.setQuorum(T1, ['majority', 'all']);
    say('uud');
    await vi.waitFor(() => expect(stateOf(dnsB, T1)).toBe('up'), WAIT);
    expect(stateOf(dnsA, T1)).toBe('down');
  });
});

describe('quorums looked up in the zones (a large zone after a reload)', () => {
  it('re-decides the held targets whose quorums changed, and forgets targets no zone probes', async () => {
    newPrefix();
    const dns = await open('dns', 'dns-a');
    const [a, b] = [await open('checker', 'chk-a'), await open('checker', 'chk-b')];
    dns.setTargets([
      { id: T1, quorum: 1 },
      { id: T2, quorum: 1 },
    ]);
    a.publish(verdict(T1, 'chk-a', 'up'));
    b.publish(verdict(T1, 'chk-b', 'down'));
    await vi.waitFor(() => expect(dns.view().get(T1)?.reason).toMatch(/^no quorum \(1 up, 1 down, 1 needed\)/), WAIT);

    // A few held targets are decided again in the lookup's own turn.
    dns.setQuorumLookup({ quorumsOf: (id) => (id === T1 ? ['all'] : undefined) });
    expect(dns.view().get(T1)?.reason).toMatch(/^no quorum \(1 up, 1 down, 2 needed\)/);
    // T2 is probed by no served zone: it is no longer ours, and without verdicts it leaves the view.
    b.publish(verdict(T2, 'chk-b', 'up', { ttlMs: 300 }));
    await vi.waitFor(() => expect(stateOf(dns, T2)).toBe('up'), WAIT);
    await vi.waitFor(() => expect(dns.view().get(T2)).toBeUndefined(), WAIT);
  });

  it('goes through many held targets in slices; a lookup set during the pass re-decides every one', async () => {
    newPrefix();
    const dns = await open('dns', 'dns-a');
    const [a, b] = [await open('checker', 'chk-a'), await open('checker', 'chk-b')];
    const ids = Array.from({ length: HELD_IN_ONE_TURN + 1000 }, (_, i) => `example.test./web/10.0.${i >> 8}.${i & 255}/80`);
    dns.setTargets(ids.map((id) => ({ id, quorum: 1 })));
    for (const id of ids) {
      a.publish(verdict(id, 'chk-a', 'up'));
      b.publish(verdict(id, 'chk-b', 'down'));
    }
    const needing = (n: number) => ids.filter((id) => dns.view().get(id)?.reason?.endsWith(`, ${n} needed)`)).length;
    await vi.waitFor(() => expect(needing(1)).toBe(ids.length), { timeout: 20_000, interval: 100 });

    dns.setQuorumLookup({ quorumsOf: () => ['all'] });
    // In slices: none is decided again in this turn.
    expect(needing(2)).toBe(0);
    // The same quorums again before the pass got anywhere (a reload of an unchanged zone): the
    // targets the first pass had not reached were still decided with the old ones.
    dns.setQuorumLookup({ quorumsOf: () => ['all'] });
    await vi.waitFor(() => expect(needing(2)).toBe(ids.length), { timeout: 10_000, interval: 50 });
  });
});

describe('overrides', () => {
  it('drain, undrain and force with expiry are seen by both servers', async () => {
    const keys = healthKeys(newPrefix());
    const [dnsA, dnsB] = [await open('dns', 'dns-a'), await open('dns', 'dns-b')];
    const chk = await open('checker', 'chk-a');
    chk.publish(verdict(T1, 'chk-a', 'up'));
    await vi.waitFor(() => expect([stateOf(dnsA, T1), stateOf(dnsB, T1)]).toEqual(['up', 'up']), WAIT);
    const both = (state: string, override: string | undefined) =>
      vi.waitFor(() => {
        for (const d of [dnsA, dnsB]) expect([d.view().get(T1)?.state, d.view().get(T1)?.override]).toEqual([state, override]);
      }, WAIT);

    await setOverride(admin, keys, { kind: 'target', targetId: T1 }, 'drain', { reason: 'maintenance', by: 'ops' });
    await both('down', 'drain');
    expect(dnsA.view().get(T1)?.reason).toBe('override drain: maintenance');

    expect(await clearOverride(admin, keys, { kind: 'target', targetId: T1 })).toBe(true);
    await both('up', undefined);

    await setOverride(admin, keys, { kind: 'target', targetId: T1 }, 'force-down', { ttlMs: 400 });
    await both('down', 'force-down');
    await both('up', undefined); // lapsed by itself
    expect(await admin.exists(keys.overrideKey({ kind: 'target', targetId: T1 }))).toBe(0);

    chk.publish(verdict(T1, 'chk-a', 'down'));
    await both('down', undefined);
    await dnsB.setOverride(T1, 'force-up');
    await both('up', 'force-up');
  });

  it('member overrides cover unchecked members, and are notified', async () => {
    const keys = healthKeys(newPrefix());
    const [dnsA, dnsB] = [await open('dns', 'dns-a'), await open('dns', 'dns-b')];
    const changes: HealthChange[] = [];
    dnsB.subscribe((c) => changes.push(c));
    await setOverride(admin, keys, { kind: 'member', pool: 'WWW.example.test', address: '192.0.2.12' }, 'drain', { ttlMs: 60_000 });
    await vi.waitFor(() => {
      for (const d of [dnsA, dnsB]) expect(d.view().member?.('www.example.test.', '192.0.2.12')).toBe('drain');
    }, WAIT);
    expect(dnsA.view().member?.('www.example.test.', '192.0.2.13')).toBeUndefined();
    expect(changes.at(-1)?.changedMembers).toEqual([{ pool: 'www.example.test.', address: '192.0.2.12' }]);
    await dnsA.setMemberOverride('www.example.test.', '192.0.2.12', undefined);
    await vi.waitFor(() => expect(dnsB.view().member?.('www.example.test.', '192.0.2.12')).toBeUndefined(), WAIT);
  });
});

describe('start-up and isolation', () => {
  it('warm start: a server started after the verdicts exist has them when start() resolves', async () => {
    const keys = healthKeys(newPrefix());
    const [a, b] = [await open('checker', 'chk-a'), await open('checker', 'chk-b')];
    a.publish(verdict(T1, 'chk-a', 'down'));
    b.publish(verdict(T1, 'chk-b', 'down'));
    a.publish(verdict(T2, 'chk-a', 'up'));
    await Promise.all([a.flush(), b.flush()]);
    await setOverride(admin, keys, { kind: 'member', pool: 'www.example.test.', address: '192.0.2.99' }, 'force-down');

    const late = await open('dns', 'late');
    expect(stateOf(late, T1)).toBe('down');
    expect(stateOf(late, T2)).toBe('up');
    expect(late.view().member?.('www.example.test.', '192.0.2.99')).toBe('force-down');
  });

  it('two prefixes on one Redis do not see each other', async () => {
    const p1 = newPrefix();
    const chk1 = await open('checker', 'chk');
    const dns1 = await open('dns', 'dns');
    const p2 = newPrefix();
    const dns2 = await open('dns', 'dns');
    chk1.publish(verdict(T1, 'chk', 'down'));
    await vi.waitFor(() => expect(stateOf(dns1, T1)).toBe('down'), WAIT);
    await dns2.resync();
    expect(stateOf(dns2, T1)).toBeUndefined();
    expect(await admin.exists(healthKeys(p1).verdictKey(T1))).toBe(1);
    expect(await admin.exists(healthKeys(p2).verdictKey(T1))).toBe(0);
  });

  it('heartbeats list live nodes, and status shows verdicts, consensus and overrides', async () => {
    const keys = healthKeys(newPrefix());
    const dns = await open('dns', 'dns-a', { version: '9.9.9' });
    const [a, b] = [await open('checker', 'chk-a'), await open('both', 'both-b')];
    a.publish(verdict(T1, 'chk-a', 'up', { latencyMs: 4 }));
    b.publish(verdict(T1, 'both-b', 'down', { reason: 'ECONNREFUSED' }));
    await Promise.all([a.flush(), b.flush()]);
    await setOverride(admin, keys, { kind: 'target', targetId: T2 }, 'drain', { ttlMs: 60_000, by: 'ops' });
    const zones = [
      {
        pools: [
          {
            name: 'www.example.test.',
            config: { quorum: 1 },
            members: [
              { address: '192.0.2.10', targetId: T1 },
              { address: '192.0.2.11', targetId: T2 },
              { address: '192.0.2.12', targetId: undefined },
            ],
          },
        ],
      },
    ];
    await vi.waitFor(async () => expect((await readStatus(admin, prefix, zones)).nodes.map((n) => n.nodeId)).toEqual(['both-b', 'chk-a', 'dns-a']), WAIT);
    const model = await readStatus(admin, keys, zones);
    const t1 = model.targets.find((t) => t.id === T1);
    expect(t1).toMatchObject({ members: [{ pool: 'www.example.test.', address: '192.0.2.10' }], quorum: '1', effective: 'unknown' });
    expect(t1?.checkers.map((c) => [c.checker, c.state, c.fresh])).toEqual([
      ['both-b', 'down', true],
      ['chk-a', 'up', true],
    ]);
    expect(model.targets.find((t) => t.id === T2)).toMatchObject({ effective: 'down', override: { kind: 'drain', by: 'ops' } });
    expect(model.nodes.find((n) => n.nodeId === 'dns-a')).toMatchObject({ role: 'dns', version: '9.9.9', pid: process.pid });
    expect(JSON.parse(JSON.stringify(model))).toMatchObject({ prefix });
    expect(renderStatusTable(model)).toContain('Nodes (3)');

    await dns.stop();
    expect((await readStatus(admin, prefix, zones)).nodes.map((n) => n.nodeId)).toEqual(['both-b', 'chk-a']);
  });

  it('a process with both roles sees its own verdicts at once', async () => {
    newPrefix();
    const both = await open('both', 'solo');
    both.publish(verdict(T1, 'solo', 'down'));
    expect(stateOf(both, T1)).toBe('down');
  });
});

describe('credentials', () => {
  let secured: RedisServer;
  beforeAll(async () => {
    secured = await startRedisServer({ password: 's3cret-pw' });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('connects with user:password in the URL and never logs the password', async () => {
    newPrefix();
    const logs = captureLogs();
    const url = `redis://default:s3cret-pw@127.0.0.1:${secured.port}`;
    const chk = new RedisHealthStore({ connection: { url }, role: 'checker', nodeId: 'chk', prefix, logger: logs.logger, ...FAST });
    const dns = new RedisHealthStore({ connection: { url }, role: 'dns', nodeId: 'dns', prefix, logger: logs.logger, ...FAST });
    const wrong = new RedisHealthStore({
      connection: { url: `redis://default:wrong-pw-123@127.0.0.1:${secured.port}` },
      role: 'dns',
      nodeId: 'wrong',
      prefix,
      logger: logs.logger,
      ...FAST,
      startTimeoutMs: 300,
    });
    try {
      await Promise.all([chk.start(), dns.start(), wrong.start()]);
      chk.publish(verdict(T1, 'chk', 'up'));
      await vi.waitFor(() => expect(stateOf(dns, T1)).toBe('up'), WAIT);
      expect(wrong.connected).toBe(false);
    } finally {
      await Promise.all([chk.stop(), dns.stop(), wrong.stop()]);
    }
    const text = logs.text();
    expect(logs.lines().filter((l) => l.msg === 'redis unreachable; serving the last known health')).toHaveLength(1);
    expect(text).toContain(`redis://default:***@127.0.0.1:${secured.port}`);
    expect(text).not.toContain('s3cret-pw');
    expect(text).not.toContain('wrong-pw-123');
  });
});
