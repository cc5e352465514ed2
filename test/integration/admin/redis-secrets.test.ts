/**
 * Redis credentials never appear in logs or status output (issue 7): a password-protected
 * redis-server, a `rondo serve` given the password in its URL, and everything it prints or
 * serves — its log, /status, /metrics, /report — plus `rondo report --redis`; then the same with
 * a wrong password, when every error message is about that connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminStatus } from '../../../admin/status.js';
import { freePort, startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { freeDnsPort, runRondo, startRondo, stopAllRondo } from '../../../bench/lib/rondo-process.js';

const PASSWORD = 'Sup3r-s3cret-redis-pw';

describe('Redis credentials stay out of logs and status', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer({ password: PASSWORD });
  });
  afterAll(async () => {
    await stopAllRondo();
    await redis?.stop();
  });

  it('serves and logs with the password redacted', async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    const admin = await freePort();
    const dns = await startRondo(['serve', '--zones', 'zones/examples', '--listen', `127.0.0.1:${await freeDnsPort()}`, '--redis', url, '--http', `127.0.0.1:${admin}`, '--log-level', 'debug']);
    const base = `http://127.0.0.1:${admin}`;
    await expect.poll(async () => ((await (await fetch(`${base}/status`)).json()) as AdminStatus).redis?.connected).toBe(true);
    const status = await (await fetch(`${base}/status`)).text();
    const parsed = JSON.parse(status) as AdminStatus;
    expect(parsed.redis?.target).toBe(`redis://:***@127.0.0.1:${redis.port}`);
    expect(parsed.shared).not.toBeNull();
    const served = [status, await (await fetch(`${base}/metrics`)).text(), await (await fetch(`${base}/report`)).text(), await (await fetch(`${base}/`)).text()];
    for (const body of served) expect(body).not.toContain(PASSWORD);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('rondo_redis_connected 1');

    const report = await runRondo(['report', '--redis', url]);
    expect(report.code).toBe(0);
    expect(report.stdout + report.stderr).not.toContain(PASSWORD);

    await dns.stop();
    expect(dns.logTail(400)).not.toContain(PASSWORD);
  });

  it('keeps a wrong password out of every error', async () => {
    const wrong = 'Wr0ng-password-for-redis';
    const url = `redis://:${wrong}@127.0.0.1:${redis.port}`;
    const admin = await freePort();
    const dns = await startRondo(['serve', '--zones', 'zones/examples', '--listen', `127.0.0.1:${await freeDnsPort()}`, '--redis', url, '--http', `127.0.0.1:${admin}`, '--log-level', 'debug'], { deadlineMs: 20_000 });
    const status = await (await fetch(`http://127.0.0.1:${admin}/status`)).text();
    expect((JSON.parse(status) as AdminStatus).redis?.connected).toBe(false);
    expect(status).not.toContain(wrong);
    const report = await runRondo(['report', '--redis', url], 20_000);
    expect(report.code).toBe(1);
    expect(report.stdout + report.stderr).not.toContain(wrong);
    await dns.stop();
    expect(dns.logTail(400)).not.toContain(wrong);
  });
});
