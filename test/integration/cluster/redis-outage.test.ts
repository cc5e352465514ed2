/**
 * Redis killed under a running cluster (issue 4): two `rondo serve --no-checks`, two `rondo check`,
 * three backends. While Redis is away both servers keep answering with the last state (no
 * SERVFAIL, no empty answer, no member drifting back as `unknown` once its verdicts pass their
 * 1150 ms life), even though backends change meanwhile. Redis restarts on the same port with no
 * data; the checkers write their verdicts again and both servers converge on the truth.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { stopAllRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';
import {
  checkLine,
  expectSteadyAnswers,
  queryA,
  startBackends,
  startChecker,
  startDnsNode,
  waitForAnswers,
  zoneDir,
  ZONE_HEAD,
  type Backends,
  type DnsNode,
  type ZoneDir,
} from './fixture.js';

const [B1, B2, B3] = ['127.0.0.31', '127.0.0.32', '127.0.0.33'] as const;

let redis: RedisServer;
let backends: Backends;
let zones: ZoneDir;
let servers: DnsNode[] = [];
let checkers: RondoProcess[] = [];

function everyone(): RondoProcess[] {
  return [...servers.map((s) => s.process), ...checkers];
}

beforeAll(async () => {
  redis = await startRedisServer();
  backends = await startBackends([B1, B2, B3]);
  zones = await zoneDir();
  await zones.write('example.test.zone', [ZONE_HEAD, checkLine(backends.port), ';@pool www check=web', `www 5 IN A ${B1}`, `www 5 IN A ${B2}`, `www 5 IN A ${B3}`].join('\n'));
  await backends.stop(B3);
  const redisArgs = ['--redis', redis.url];
  const started = await Promise.all([
    startDnsNode('dns-a', zones.dir, redisArgs),
    startDnsNode('dns-b', zones.dir, redisArgs),
    startChecker('chk-a', zones.dir, redisArgs),
    startChecker('chk-b', zones.dir, redisArgs),
  ]);
  servers = started.slice(0, 2) as DnsNode[];
  checkers = started.slice(2) as RondoProcess[];
  await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone());
}, 60_000);

afterAll(async () => {
  await stopAllRondo();
  await backends?.close();
  await redis?.stop();
  await zones?.remove();
});

describe('Redis killed under a running cluster', () => {
  it('both servers keep answering the last state through the outage, then converge after Redis restarts empty', async () => {
    await redis.kill('SIGKILL');
    for (const p of everyone()) await p.waitForLog('redis connection lost');

    // The truth changes while nobody can share it: .32 dies, .33 comes back.
    await backends.stop(B2);
    await backends.start(B3);
    // Three verdict lives and more: the servers answer exactly as before, every time.
    const rounds = await expectSteadyAnswers(servers, 'www.example.test', [B1, B2], 3500, everyone(), 50);
    expect(rounds).toBeGreaterThan(20);
    // ...although both checkers saw the changes (during the outage, so nobody heard of them).
    const transitions = () =>
      checkers.flatMap((c) =>
        c
          .logRecords()
          .filter((r) => r.msg === 'target state changed')
          .map((r) => `${c.name} ${String(r.target)} ${String(r.to)}`),
      );
    await vi.waitFor(
      () => {
        for (const c of checkers) {
          expect(transitions()).toContain(`${c.name} example.test./web/${B2}/${backends.port} down`);
          expect(transitions()).toContain(`${c.name} example.test./web/${B3}/${backends.port} up`);
        }
      },
      { timeout: 10_000, interval: 50 },
    );

    await redis.restart(); // same port, no data
    await waitForAnswers(servers, 'www.example.test', [B1, B3], everyone(), 15_000);
    for (const p of everyone()) await p.waitForLog('redis connection restored');
    const answers = await Promise.all(servers.map((s) => queryA(s.port, 'www.example.test')));
    expect(answers).toEqual([
      { rcode: 0, addresses: [B1, B3] },
      { rcode: 0, addresses: [B1, B3] },
    ]);
  });
});
