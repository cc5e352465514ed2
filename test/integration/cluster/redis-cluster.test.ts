/**
 * Redis Cluster under real processes (issue 15): three primaries and three replicas
 * (bench/lib/redis-cluster.ts); two `rondo serve --no-checks` and one `rondo check`, all given
 * `--redis-cluster`. Rondo's keys carry the hash tag `{rondo}` (one slot); the primary of that slot
 * is killed, and its replica takes over. Throughout, every answer of both servers is checked, not
 * only the end state: while the failover runs they keep answering the last state; a backend killed
 * during the failover leaves the answers within its window (fall × interval + the failover + a
 * sweep), and never takes the live one with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../../../bench/lib/redis-cluster.js';
import { stopAllRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';
import { checkLine, logTails, queryA, startBackends, startChecker, startDnsNode, waitForAnswers, zoneDir, ZONE_HEAD, type Backends, type DnsNode, type ZoneDir } from './fixture.js';

const [B1, B2] = ['127.0.0.51', '127.0.0.52'] as const;
const NAME = 'www.example.test';

let cluster: RedisCluster;
let backends: Backends;
let zones: ZoneDir;
let servers: DnsNode[] = [];
let checker: RondoProcess;

function everyone(): RondoProcess[] {
  return [...servers.map((s) => s.process), checker].filter((p) => p !== undefined);
}

beforeAll(async () => {
  cluster = await startRedisCluster();
  backends = await startBackends([B1, B2]);
  zones = await zoneDir();
  await zones.write('example.test.zone', [ZONE_HEAD, checkLine(backends.port), ';@pool www check=web', `www 5 IN A ${B1}`, `www 5 IN A ${B2}`].join('\n'));
  const redisArgs = ['--redis-cluster', cluster.flag];
  const started = await Promise.all([startDnsNode('dns-a', zones.dir, redisArgs), startDnsNode('dns-b', zones.dir, redisArgs), startChecker('chk-a', zones.dir, redisArgs)]);
  servers = [started[0], started[1]];
  checker = started[2];
  // A change that can only have come through the cluster: .52 down, then up again.
  await backends.stop(B2);
  await waitForAnswers(servers, NAME, [B1], everyone());
  await backends.start(B2);
  await waitForAnswers(servers, NAME, [B1, B2], everyone());
}, 90_000);

afterAll(async () => {
  await stopAllRondo();
  await backends?.close();
  await cluster?.stop();
  await zones?.remove();
});

describe('Redis Cluster failover under running servers', () => {
  it('the primary of Rondo’s slot killed: answers stay correct, and a backend killed meanwhile leaves them within its window', async () => {
    const primary = await cluster.primaryFor('{rondo}');
    // Its keys really are there: the verdict hash of .51 under the tagged prefix.
    expect(await (await primary.client()).exists(`{rondo}:v:example.test./web/${B1}/${backends.port}`)).toBe(1);

    await primary.kill('SIGKILL');
    const killedAt = performance.now();
    await backends.stop(B2);
    const stoppedAt = performance.now();
    // The window: fall=2 probes of 300 ms + 250 ms timeout, the failover (node timeout 1 s, then
    // the election), the writer's retry and a sweep. Well under 10 s.
    const WINDOW_MS = 10_000;
    let droppedAt: number | undefined;
    let rounds = 0;
    const both = [B1, B2].join(',');
    while (performance.now() - stoppedAt < WINDOW_MS + 3000) {
      const answers = await Promise.all(servers.map((s) => queryA(s.port, NAME)));
      rounds++;
      const now = performance.now();
      answers.forEach((a, i) => {
        const got = a.addresses.join(',');
        const allowed = droppedAt === undefined && now - stoppedAt < WINDOW_MS ? [both, B1] : [B1];
        if (a.rcode !== 0 || !allowed.includes(got)) {
          throw new Error(`${servers[i]?.name} answered [${got}] (rcode ${a.rcode}) ${Math.round(now - stoppedAt)} ms after .52 died; allowed ${allowed.map((x) => `[${x}]`).join(' or ')}\n${logTails(everyone())}`);
        }
      });
      if (droppedAt === undefined && answers.every((a) => a.addresses.join(',') === B1)) droppedAt = now;
      // Once both dropped it, it must stay dropped: the loop keeps checking for 3 s more.
      if (droppedAt !== undefined && now - droppedAt > 3000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(droppedAt, 'both servers dropped the dead backend').toBeDefined();
    const newPrimary = await cluster.waitForPrimary('{rondo}', (p) => p !== primary.port);
    expect(newPrimary).not.toBe(primary.port);
    console.log(`redis cluster: primary :${primary.port} killed, replica :${newPrimary} took over; both servers dropped the dead backend ${Math.round((droppedAt ?? 0) - stoppedAt)} ms after it died (${rounds} rounds, ${Math.round(stoppedAt - killedAt)} ms between kills)`);

    // After the failover, changes keep flowing through the new primary both ways.
    await backends.start(B2);
    await waitForAnswers(servers, NAME, [B1, B2], everyone(), 20_000);
  }, 60_000);
});
