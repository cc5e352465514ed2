/**
 * Redis paused (SIGSTOP: a hung server, not a dead one) under `rondo serve` and `rondo check`
 * (issue 7): answers never stop (a query every 20 ms for 3 s, all answered, never SERVFAIL),
 * although the truth changes meanwhile; after SIGCONT the servers converge on it. A member that
 * was down before the pause stays out for the whole pause (no lapse to `unknown`).
 * Killing and restarting Redis is covered by test/integration/cluster/redis-outage.test.ts,
 * whose fixture this reuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { stopAllRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';
import {
  checkLine,
  expectSteadyAnswers,
  startBackends,
  startChecker,
  startDnsNode,
  waitForAnswers,
  zoneDir,
  ZONE_HEAD,
  type Backends,
  type DnsNode,
  type ZoneDir,
} from '../cluster/fixture.js';

const [B1, B2] = ['127.0.0.41', '127.0.0.42'] as const;

let redis: RedisServer;
let backends: Backends;
let zones: ZoneDir;
let servers: DnsNode[] = [];
let checker: RondoProcess;

function everyone(): RondoProcess[] {
  return [...servers.map((s) => s.process), checker];
}

beforeAll(async () => {
  redis = await startRedisServer();
  backends = await startBackends([B1, B2]);
  zones = await zoneDir();
  await zones.write('example.test.zone', [ZONE_HEAD, checkLine(backends.port), ';@pool www check=web', `www 5 IN A ${B1}`, `www 5 IN A ${B2}`].join('\n'));
  const redisArgs = ['--redis', redis.url];
  const [dns, chk] = await Promise.all([startDnsNode('dns-a', zones.dir, redisArgs), startChecker('chk-a', zones.dir, redisArgs)]);
  servers = [dns as DnsNode];
  checker = chk as RondoProcess;
  await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone());
}, 60_000);

afterAll(async () => {
  redis?.resume();
  await stopAllRondo();
  await backends?.close();
  await redis?.stop();
  await zones?.remove();
});

describe('Redis paused (SIGSTOP)', () => {
  it('keeps a member that was down before the pause out of answers for a pause far longer than its verdicts live', async () => {
    // Verdicts live 3 × 300 ms + 250 ms = 1.15 s. A hung Redis keeps its connections open, so
    // the servers must judge freshness as of the last time Redis answered, not now; otherwise B2
    // would lapse to `unknown` (answered, unknown=up) a second into the pause.
    // First in this file: no earlier pause may have left its reconnect grace running.
    await backends.stop(B2);
    await waitForAnswers(servers, 'www.example.test', [B1], everyone(), 15_000);
    redis.pause();
    try {
      const rounds = await expectSteadyAnswers(servers, 'www.example.test', [B1], 4000, everyone(), 20);
      expect(rounds).toBeGreaterThan(80);
    } finally {
      redis.resume();
    }
    await backends.start(B2);
    await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone(), 15_000);
  });

  it('answers every 20 ms through a 3 s pause, then converges after SIGCONT', async () => {
    redis.pause();
    try {
      // The truth changes while Redis cannot carry it.
      await backends.stop(B2);
      const rounds = await expectSteadyAnswers(servers, 'www.example.test', [B1, B2], 3000, everyone(), 20);
      expect(rounds).toBeGreaterThan(50);
    } finally {
      redis.resume();
    }
    await waitForAnswers(servers, 'www.example.test', [B1], everyone(), 15_000);
    // The checker saw the change on its own, during the pause.
    expect(checker.logRecords().some((r) => r.msg === 'target state changed' && r.to === 'down')).toBe(true);
  });
});
