/**
 * A Sentinel set under real processes (issue 4): one primary, one replica, three sentinels; two
 * `rondo serve --no-checks` and one `rondo check`, all given `--redis-sentinel` and
 * `--redis-master-name`. The primary is killed: both servers keep answering throughout, and once
 * Sentinel has promoted the replica a backend change still reaches both servers. (One checker is
 * enough here: the case is about the connection, not the quorum; it keeps the file to 9 processes.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinelSet, type SentinelSet } from '../../../bench/lib/redis-server.js';
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
} from './fixture.js';

const [B1, B2] = ['127.0.0.41', '127.0.0.42'] as const;

let sentinel: SentinelSet;
let backends: Backends;
let zones: ZoneDir;
let servers: DnsNode[] = [];
let checker: RondoProcess;

function everyone(): RondoProcess[] {
  return [...servers.map((s) => s.process), checker].filter((p) => p !== undefined);
}

beforeAll(async () => {
  sentinel = await startSentinelSet();
  backends = await startBackends([B1, B2]);
  zones = await zoneDir();
  await zones.write('example.test.zone', [ZONE_HEAD, checkLine(backends.port), ';@pool www check=web', `www 5 IN A ${B1}`, `www 5 IN A ${B2}`].join('\n'));
  const redisArgs = [
    '--redis-sentinel',
    sentinel.sentinelAddresses.map((s) => `${s.host}:${s.port}`).join(','),
    '--redis-master-name',
    sentinel.name,
  ];
  const started = await Promise.all([
    startDnsNode('dns-a', zones.dir, redisArgs),
    startDnsNode('dns-b', zones.dir, redisArgs),
    startChecker('chk-a', zones.dir, redisArgs),
  ]);
  servers = [started[0], started[1]];
  checker = started[2];
  // A change that can only have come through Redis: .42 down, then up again.
  await backends.stop(B2);
  await waitForAnswers(servers, 'www.example.test', [B1], everyone());
  await backends.start(B2);
  await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone());
}, 90_000);

afterAll(async () => {
  await stopAllRondo();
  await backends?.close();
  await sentinel?.stop();
  await zones?.remove();
});

describe('Sentinel failover under a running cluster', () => {
  it('the primary killed: both servers keep answering, and after the failover a backend change still reaches both', async () => {
    const oldPrimary = sentinel.primary.port;
    await sentinel.primary.kill('SIGKILL');
    // Service continues while Sentinel notices (down-after 1 s) and promotes the replica.
    await expectSteadyAnswers(servers, 'www.example.test', [B1, B2], 1500, everyone(), 50);
    await expect.poll(() => sentinel.currentPrimaryPort(), { timeout: 30_000, interval: 200 }).toBe(sentinel.replica.port);
    expect(sentinel.replica.port).not.toBe(oldPrimary);

    await backends.stop(B2);
    await waitForAnswers(servers, 'www.example.test', [B1], everyone(), 20_000);
    await backends.start(B2);
    await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone(), 20_000);
  }, 90_000);
});
