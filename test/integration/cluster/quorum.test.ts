/**
 * Quorum across real checker processes (issue 4), and a checker killed mid-way.
 *
 * How checkers come to see different truths: a target's id is `origin/check/address/port`, which
 * does not include the HTTP path. Each checker loads its own copy of the zone whose check differs
 * only in `path=` (/c1, /c2, /c3), so all three vote on the same targets while the backends answer
 * each checker's path with the status the test sets. Real processes end to end; no in-process
 * stand-in. chk-c's copy holds only the `maj` pool, so `one`, `two` and `all` have two voters.
 *
 * Pools have a single member and `all-down=nodata`: the member is in the answer exactly when it
 * is decided up (or not decided yet), and an empty NOERROR answer means down.
 *
 * Consensus rules (health/consensus.ts): required votes are N, ⌊voters/2⌋+1 or all voters; a
 * state needs that many votes *and* more than the other side, else the last state stays.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { runRondoOk, stopAllRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';
import {
  checkLine,
  expectSteadyAnswers,
  startBackends,
  startChecker,
  startDnsNode,
  waitForAnswers,
  waitForStoredVerdict,
  webTarget,
  zoneDir,
  ZONE_HEAD,
  type Backends,
  type DnsNode,
  type ZoneDir,
} from './fixture.js';

const ONE = '127.0.0.21'; // quorum=1
const TWO = '127.0.0.22'; // quorum=2
const ALL = '127.0.0.23'; // quorum=all
const MAJ = '127.0.0.24'; // quorum=majority
/** Longer than a verdict's life (1150 ms) plus a sweep: what would flip a state has had its chance. */
const HOLD_MS = 1500;

let redis: RedisServer;
let admin: Redis;
let backends: Backends;
let zones: ZoneDir;
let servers: DnsNode[] = [];
let checkers: Record<'a' | 'b' | 'c', RondoProcess>;
let dnsZone: string;

const POOLS = [
  ';@pool one check=web quorum=1 all-down=nodata',
  `one  5 IN A ${ONE}`,
  ';@pool two check=web quorum=2 all-down=nodata',
  `two  5 IN A ${TWO}`,
  ';@pool all check=web quorum=all all-down=nodata',
  `all  5 IN A ${ALL}`,
];
const MAJ_POOL = [';@pool maj check=web quorum=majority all-down=nodata', `maj  5 IN A ${MAJ}`];

function everyone(): RondoProcess[] {
  return [...servers.map((s) => s.process), ...Object.values(checkers)];
}

const target = (address: string) => webTarget(address, backends.port);
/** What `checker` (a, b or c) sees at `address` from now on. */
const truth = (checker: 'a' | 'b' | 'c', address: string, status: 200 | 503) => backends.setStatus(address, status, `/c${'abc'.indexOf(checker) + 1}`);
const present = (name: string, address: string) => waitForAnswers(servers, `${name}.example.test`, [address], everyone());
const absent = (name: string) => waitForAnswers(servers, `${name}.example.test`, [], everyone());
const stays = (name: string, expected: string[]) => expectSteadyAnswers(servers, `${name}.example.test`, expected, HOLD_MS, everyone());

beforeAll(async () => {
  redis = await startRedisServer();
  admin = await redis.client();
  backends = await startBackends([ONE, TWO, ALL, MAJ]);
  zones = await zoneDir();
  const port = backends.port;
  dnsZone = await zones.write('dns/example.test.zone', [ZONE_HEAD, checkLine(port), ...POOLS, ...MAJ_POOL].join('\n'));
  const a = await zones.write('c1/example.test.zone', [ZONE_HEAD, checkLine(port, '/c1'), ...POOLS, ...MAJ_POOL].join('\n'));
  const b = await zones.write('c2/example.test.zone', [ZONE_HEAD, checkLine(port, '/c2'), ...POOLS, ...MAJ_POOL].join('\n'));
  const c = await zones.write('c3/example.test.zone', [ZONE_HEAD, checkLine(port, '/c3'), ...MAJ_POOL].join('\n'));
  const redisArgs = ['--redis', redis.url];
  const started = await Promise.all([
    startDnsNode('dns-a', dnsZone, redisArgs),
    startDnsNode('dns-b', dnsZone, redisArgs),
    startChecker('chk-a', a, redisArgs),
    startChecker('chk-b', b, redisArgs),
    startChecker('chk-c', c, redisArgs),
  ]);
  servers = [started[0], started[1]];
  checkers = { a: started[2], b: started[3], c: started[4] };
  for (const [name, address] of [['one', ONE], ['two', TWO], ['all', ALL], ['maj', MAJ]] as const) {
    for (const chk of ['chk-a', 'chk-b', ...(name === 'maj' ? ['chk-c'] : [])]) await waitForStoredVerdict(admin, target(address), chk, 'up');
    await present(name, address);
  }
}, 60_000);

afterAll(async () => {
  await stopAllRondo();
  await backends?.close();
  await redis?.stop();
  await zones?.remove();
});

describe('quorum across checker processes', () => {
  it('majority of 3: one checker seeing a different truth never flips the state, two do', async () => {
    truth('c', MAJ, 503);
    await waitForStoredVerdict(admin, target(MAJ), 'chk-c', 'down');
    await stays('maj', [MAJ]); // 2 up, 1 down: up

    truth('a', MAJ, 503);
    await absent('maj'); // 1 up, 2 down: down

    truth('c', MAJ, 200);
    await present('maj', MAJ); // chk-a alone now dissents: up again
    await waitForStoredVerdict(admin, target(MAJ), 'chk-a', 'down');
    await stays('maj', [MAJ]);
  });

  it('quorum=all (2 of 2): one checker disagreeing keeps the last state either way', async () => {
    truth('a', ALL, 503);
    await waitForStoredVerdict(admin, target(ALL), 'chk-a', 'down');
    await stays('all', [ALL]); // 1 up, 1 down, 2 needed: stays up

    truth('b', ALL, 503);
    await absent('all');

    truth('a', ALL, 200);
    await waitForStoredVerdict(admin, target(ALL), 'chk-a', 'up');
    await stays('all', []); // stays down until both agree
  });

  it('a checker killed: its verdicts expire and the other decides alone where the quorum allows (1 of 2 yes, 2 of 2 no)', async () => {
    for (const address of [ONE, TWO]) {
      truth('a', address, 503);
      truth('b', address, 503);
    }
    await absent('one'); // 2 down
    await absent('two');
    for (const address of [ONE, TWO]) truth('a', address, 200);
    for (const address of [ONE, TWO]) await waitForStoredVerdict(admin, target(address), 'chk-a', 'up');
    await stays('one', []); // a tie never flips a state, whatever the quorum
    await stays('two', []);

    await checkers.b.kill('SIGKILL');
    // chk-b's verdicts lapse (1150 ms); chk-a alone says up: enough for quorum=1 and for all
    // (all of one voter), not for quorum=2.
    await present('one', ONE);
    await present('all', ALL);
    await stays('two', []);

    const status = JSON.parse(await runRondoOk(['status', '--json', '-z', dnsZone, '--redis', redis.url])) as {
      targets: { id: string; consensus: { state: string; ups: number; downs: number; required: number }; checkers: { checker: string; fresh: boolean }[] }[];
    };
    const one = status.targets.find((t) => t.id === target(ONE));
    const two = status.targets.find((t) => t.id === target(TWO));
    expect(one?.checkers.find((c) => c.checker === 'chk-b')?.fresh ?? false).toBe(false);
    expect(one?.consensus).toMatchObject({ state: 'up', ups: 1, downs: 0, required: 1 });
    expect(two?.consensus).toMatchObject({ ups: 1, downs: 0, required: 2 });
    expect(status.targets.map((t) => t.id)).toContain(target(MAJ));
  });
});
