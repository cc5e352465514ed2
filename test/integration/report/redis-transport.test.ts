/**
 * The report covers the whole cluster (issue 5): two DNS servers share one real redis-server;
 * each writes its observation snapshot to `{prefix}:obs:{nodeId}` on a timer; `/report` on
 * either one, and `rondo report --redis`, merge every live snapshot. A snapshot this version
 * cannot read is skipped; a stopped server's lapses by its expiry.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisHealthStore } from '../../../health/redis-store.js';
import { silentLogger } from '../../../lib/logger.js';
import type { ReportModel } from '../../../report/model.js';
import { observationKey, readSnapshots } from '../../../report/redis-transport.js';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { runRondoOk } from '../../../bench/lib/rondo-process.js';
import { queryFrom, startAdminRig, type AdminRig } from '../admin/fixture.js';

const PREFIX = 'obs-test';
const PUBLISH_MS = 200;

describe('observation snapshots shared through Redis', () => {
  let redis: RedisServer;
  let client: Redis;
  const rigs: AdminRig[] = [];

  async function server(nodeId: string): Promise<AdminRig> {
    const store = new RedisHealthStore({ connection: { url: redis.url }, role: 'dns', logger: silentLogger(), prefix: PREFIX, nodeId, heartbeatIntervalMs: 0 });
    const rig = await startAdminRig({ store, redis: { store, target: redis.url }, nodeId, publishIntervalMs: PUBLISH_MS, reportCacheMs: 0 });
    rigs.push(rig);
    return rig;
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    client = await redis.client();
  });

  afterAll(async () => {
    for (const r of rigs) await r.stop().catch(() => undefined);
    await redis?.stop();
  });

  it('merges every server’s answers into one report', async () => {
    const a = await server('dns-a');
    const b = await server('dns-b');
    await queryFrom('127.0.1.1', a.dnsPort, 'www.example.test.', 5);
    await queryFrom('127.0.2.1', b.dnsPort, 'www.example.test.', 7);
    await queryFrom('127.0.1.1', b.dnsPort, 'www.example.test.', 2);
    // Each server's own snapshot reaches Redis within a publish interval or two.
    await expect
      .poll(async () => {
        const { snapshots } = await readSnapshots(client, PREFIX);
        return snapshots.map((s) => `${s.nodeId}:${s.snapshot.pools.find((p) => p.name === 'www.example.test.')?.answersTotal ?? 0}`).sort();
      })
      .toEqual(['dns-a:5', 'dns-b:9']);
    const ttl = await client.pttl(observationKey(PREFIX, 'dns-a'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3 * PUBLISH_MS);

    for (const rig of [a, b]) {
      const model = (await (await fetch(`${rig.url}/report`)).json()) as ReportModel;
      const pool = model.pools.find((p) => p.key === 'www.example.test./A')!;
      expect(pool.answersTotal).toBe(14);
      expect(pool.resolvers.top.map((r) => [r.key, r.queries]).sort()).toEqual([
        ['127.0.1.0/24', 7],
        ['127.0.2.0/24', 7],
      ]);
      expect(model.notes).toContain('Merged from 2 server snapshots.');
    }

    // The CLI reads the same snapshots straight from Redis.
    const out = await runRondoOk(['report', '--redis', redis.url, '--redis-prefix', PREFIX, '--json']);
    const cli = JSON.parse(out) as ReportModel;
    expect(cli.pools.find((p) => p.key === 'www.example.test./A')?.answersTotal).toBe(14);
    expect(cli.notes.some((n) => n.includes('dns-a') && n.includes('dns-b'))).toBe(true);
    const table = await runRondoOk(['report', '--redis', redis.url, '--redis-prefix', PREFIX]);
    expect(table).toContain('== www.example.test./A');
    expect(table).toContain('(14 answers)');
  });

  it('skips a snapshot it cannot read and forgets a stopped server', async () => {
    await client.set(observationKey(PREFIX, 'from-the-future'), JSON.stringify({ version: 99, pools: [] }), 'PX', 60_000);
    await client.set(observationKey(PREFIX, 'broken'), '{"version":1,"pools":[{"key":1}]', 'PX', 60_000);
    const { snapshots, skipped } = await readSnapshots(client, PREFIX);
    expect(snapshots.map((s) => s.nodeId).sort()).toEqual(['dns-a', 'dns-b']);
    expect([...skipped].sort()).toEqual([observationKey(PREFIX, 'broken'), observationKey(PREFIX, 'from-the-future')]);
    const out = await runRondoOk(['report', '--redis', redis.url, '--redis-prefix', PREFIX, '--json']);
    expect((JSON.parse(out) as ReportModel).notes.some((n) => n.includes('Skipped 2 snapshot'))).toBe(true);
    await client.del(observationKey(PREFIX, 'from-the-future'), observationKey(PREFIX, 'broken'));

    const b = rigs[1]!;
    await b.stop();
    await expect.poll(async () => (await readSnapshots(client, PREFIX)).snapshots.map((s) => s.nodeId), { timeout: 5000 }).toEqual(['dns-a']);
    const model = (await (await fetch(`${rigs[0]!.url}/report`)).json()) as ReportModel;
    expect(model.pools.find((p) => p.key === 'www.example.test./A')?.answersTotal).toBe(5);
  });
});
