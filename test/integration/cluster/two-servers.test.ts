/**
 * Shared health through Redis, end to end with real processes (issue 4): one redis-server, two
 * `rondo serve --no-checks` DNS servers, two `rondo check` checkers, three HTTP backends on
 * 127.0.0.11-13. Covers: both servers answer the same live set; a killed backend leaves both and
 * comes back; drain/undrain (checked and unchecked members, `--for`), `rondo status --json`; a
 * new server's first answer is already warm; and the regression "unchanged verdicts are
 * re-announced before they lapse in readers", observed for three resync intervals while the other
 * tests run.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { runRondoOk, stopAllRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';
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

const [B1, B2, B3] = ['127.0.0.11', '127.0.0.12', '127.0.0.13'] as const;
/** The store's default resync interval (`rondo serve` does not change it). */
const RESYNC_INTERVAL_MS = 5000;
const OBSERVE_MS = 3 * RESYNC_INTERVAL_MS + 500;

let redis: RedisServer;
let admin: Redis;
let backends: Backends;
let zones: ZoneDir;
let servers: DnsNode[] = [];
let checkers: RondoProcess[] = [];
let redisArgs: string[];
/** The regression observation, started in beforeAll (see the last test). */
let observation: Promise<{ rounds: number; elapsedMs: number }>;

function everyone(): RondoProcess[] {
  return [...servers.map((s) => s.process), ...checkers];
}

beforeAll(async () => {
  redis = await startRedisServer();
  admin = await redis.client();
  redisArgs = ['--redis', redis.url];
  backends = await startBackends([B1, B2, B3]);
  zones = await zoneDir();
  await zones.write(
    'example.test.zone',
    [
      ZONE_HEAD,
      checkLine(backends.port),
      ';@pool www check=web',
      `www  5 IN A ${B1}`,
      `www  5 IN A ${B2}`,
      `www  5 IN A ${B3}`,
      '; api shares the targets of .11 and .13 with www; the regression test watches it',
      ';@pool api check=web',
      `api  5 IN A ${B1}`,
      `api  5 IN A ${B3}`,
      '; plain: no check (drain covers unchecked members too)',
      'plain 5 IN A 192.0.2.21',
      'plain 5 IN A 192.0.2.22',
    ].join('\n'),
  );
  // .13 is down before any checker starts: its verdicts are `down` from the first to the last.
  await backends.stop(B3);
  const [a, b, c1, c2] = await Promise.all([
    startDnsNode('dns-a', zones.dir, redisArgs),
    startDnsNode('dns-b', zones.dir, redisArgs),
    startChecker('chk-a', zones.dir, redisArgs),
    startChecker('chk-b', zones.dir, redisArgs),
  ]);
  servers = [a, b];
  checkers = [c1, c2];
  await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone());
  await waitForAnswers(servers, 'api.example.test', [B1], everyone());
  const t0 = performance.now();
  observation = expectSteadyAnswers(servers, 'api.example.test', [B1], OBSERVE_MS, everyone()).then((rounds) => ({ rounds, elapsedMs: performance.now() - t0 }));
  // Reported by the last test; never an unhandled rejection in between.
  observation.catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await stopAllRondo();
  await backends?.close();
  await redis?.stop();
  await zones?.remove();
});

describe('two DNS servers and two checkers sharing health through Redis', () => {
  it('both servers answer the same live set; a killed backend is dropped by both and returns when restarted', async () => {
    const [a, b] = await Promise.all(servers.map((s) => queryA(s.port, 'www.example.test')));
    expect(a).toEqual({ rcode: 0, addresses: [B1, B2] });
    expect(b).toEqual(a);

    await backends.stop(B2);
    await waitForAnswers(servers, 'www.example.test', [B1], everyone());
    await backends.start(B2);
    await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone());
  });

  it('drain/undrain reach every server, for checked and unchecked members; --for lapses by itself; status shows it all', async () => {
    await runRondoOk(['drain', 'www.example.test', B2, ...redisArgs]);
    await runRondoOk(['drain', 'plain.example.test', '192.0.2.22', '--reason', 'disk swap', ...redisArgs]);
    await waitForAnswers(servers, 'www.example.test', [B1], everyone());
    await waitForAnswers(servers, 'plain.example.test', ['192.0.2.21'], everyone());

    const status = JSON.parse(await runRondoOk(['status', '--json', '-z', zones.dir, ...redisArgs])) as {
      memberOverrides: { pool: string; address: string; kind: string; reason?: string }[];
      nodes: { nodeId: string; role: string }[];
      targets: { id: string; effective: string; checkers: { checker: string; state: string; fresh: boolean }[] }[];
    };
    expect(status.memberOverrides.map((o) => `${o.pool} ${o.address} ${o.kind}`).sort()).toEqual([
      'plain.example.test. 192.0.2.22 drain',
      `www.example.test. ${B2} drain`,
    ]);
    expect(status.memberOverrides.find((o) => o.address === '192.0.2.22')?.reason).toBe('disk swap');
    expect(status.nodes.map((n) => `${n.nodeId} ${n.role}`).sort()).toEqual(['chk-a checker', 'chk-b checker', 'dns-a dns', 'dns-b dns']);
    const dead = status.targets.find((t) => t.id.includes(`/${B3}/`));
    expect(dead?.effective).toBe('down');
    expect(dead?.checkers.map((c) => `${c.checker} ${c.state} ${c.fresh}`).sort()).toEqual(['chk-a down true', 'chk-b down true']);

    await runRondoOk(['undrain', 'www.example.test', B2, ...redisArgs]);
    await runRondoOk(['undrain', 'plain.example.test', '192.0.2.22', ...redisArgs]);
    await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone());
    await waitForAnswers(servers, 'plain.example.test', ['192.0.2.21', '192.0.2.22'], everyone());

    // A drain with --for leaves by itself, on both servers, with no undrain.
    await runRondoOk(['drain', 'www.example.test', B2, '--for', '2s', ...redisArgs]);
    await waitForAnswers(servers, 'www.example.test', [B1], everyone());
    await waitForAnswers(servers, 'www.example.test', [B1, B2], everyone());
    expect(await admin.keys('rondo:o:*')).toEqual([]);
  });

  it('warm start: a new DNS server\'s very first answer already excludes the dead backend', async () => {
    const late = await startDnsNode('dns-late', zones.dir, redisArgs);
    try {
      // The first query this process ever answers: not "all up" (cold), not "all down".
      expect(await queryA(late.port, 'www.example.test')).toEqual({ rcode: 0, addresses: [B1, B2] });
      expect(await queryA(late.port, 'api.example.test')).toEqual({ rcode: 0, addresses: [B1] });
    } finally {
      await late.process.stop();
    }
  });

  // Regression (issue 4, "a down member flapped back into answers between resyncs"): readers
  // hold verdicts in memory until `at + ttl` (1.15 s here); a checker whose verdict does not change
  // must announce it again before then, or the member lapses to `unknown` (answered) until the
  // next resync. Watched on both servers since beforeAll, for 3 × the resync interval.
  it('regression: unchanged verdicts are re-announced before they lapse, so a down member never flaps back between resyncs', async () => {
    const { rounds, elapsedMs } = await observation;
    expect(elapsedMs).toBeGreaterThanOrEqual(3 * RESYNC_INTERVAL_MS);
    expect(rounds).toBeGreaterThan(50);
  }, 60_000);
});
