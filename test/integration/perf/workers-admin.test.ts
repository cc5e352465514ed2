/**
 * `rondo serve --workers 2 --http ... --redis ...`: the admin side runs in the primary and gathers
 * the workers' counters over IPC, so `/metrics`, `/status` and `/report` count every query either
 * worker answered, and the observation snapshot written to Redis (what `rondo report --redis`
 * reads) covers both workers as one server.
 *
 * Both workers answer some queries for sure: the cluster primary hands TCP connections to the
 * workers round robin, so fresh TCP connections alternate between them. A sum that left one
 * worker out would miss half of the TCP queries. UDP is read by whichever worker the kernel wakes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminStatus } from '../../../admin/status.js';
import type { ReportModel } from '../../../report/model.js';
import type { ObservationSnapshot } from '../../../report/snapshot.js';
import { presentMessage } from '../../helpers/presentation.js';
import { buildQuery, tcpQuery, udpExchange } from '../../helpers/dns-client.js';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { freeDnsPort, runRondoOk, startRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';

const ORIGIN = 'workers-admin.example.test.';
const OTHER = 'other.workers-admin.example.org.';
const WWW = `www.${ORIGIN}`;
const POOL_KEY = `${WWW}/A`;
const NODE_ID = 'workers-admin-test';
/** UDP queries for the pool, sent in bursts from one socket per burst. */
const UDP_BURSTS = 10;
const UDP_PER_BURST = 20;
const UDP_QUERIES = UDP_BURSTS * UDP_PER_BURST;
/** Pool queries over TCP, one fresh connection each: half reach each worker. */
const TCP_QUERIES = 12;
/** Queries for the other zone, over TCP. */
const OTHER_QUERIES = 6;

let dir = '';
let redis: RedisServer;
let rondo: RondoProcess;
let dnsPort = 0;
let adminUrl = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-workers-admin-'));
  await writeFile(
    path.join(dir, 'workers-admin.zone'),
    [
      `$ORIGIN ${ORIGIN}`,
      '$TTL 300',
      '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30',
      '  IN NS ns1',
      'ns1 IN A 192.0.2.53',
      ';@pool www policy=round-robin answers=1',
      'www 5 IN A 192.0.2.31',
      'www 5 IN A 192.0.2.32',
      'www 5 IN A 192.0.2.33',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'other.zone'),
    [`$ORIGIN ${OTHER}`, '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 192.0.2.53', 'host IN A 192.0.2.40', ''].join('\n'),
  );
  redis = await startRedisServer();
  dnsPort = await freeDnsPort();
  rondo = await startRondo(
    ['serve', '--workers', '2', '--zones', dir, '--listen', `127.0.0.1:${dnsPort}`, '--http', '127.0.0.1:0', '--redis', redis.url, '--node-id', NODE_ID],
    { name: 'workers-admin', deadlineMs: 30_000 },
  );
  const ready = rondo.logRecords().find((r) => typeof r.msg === 'string' && r.msg.startsWith('serving on '));
  const admin = /admin on (http:\/\/127\.0\.0\.1:\d+)/.exec(String(ready?.msg ?? ''));
  if (!admin?.[1]) throw new Error(`no admin address in the ready line\n${rondo.logTail()}`);
  adminUrl = admin[1];

  const target = { host: '127.0.0.1', port: dnsPort };
  for (let burst = 0; burst < UDP_BURSTS; burst++) {
    const queries = Array.from({ length: UDP_PER_BURST }, (_, i) => buildQuery({ id: burst * UDP_PER_BURST + i + 1, name: WWW, type: 1 }));
    const answers = await udpExchange(target, queries, UDP_PER_BURST);
    for (const a of answers) expect(presentMessage(a).rcode).toBe('NOERROR');
  }
  for (let i = 0; i < TCP_QUERIES; i++) expect(presentMessage(await tcpQuery(target, buildQuery({ id: 1000 + i, name: WWW, type: 1 }))).rcode).toBe('NOERROR');
  for (let i = 0; i < OTHER_QUERIES; i++) expect(presentMessage(await tcpQuery(target, buildQuery({ id: 2000 + i, name: `host.${OTHER}`, type: 1 }))).rcode).toBe('NOERROR');
}, 60_000);

afterAll(async () => {
  await rondo?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The value of one sample line, e.g. `rondo_dns_messages_total{transport="udp"}`; undefined if absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

describe('rondo serve --workers 2 --http', () => {
  it('/metrics sums both workers’ counters: every query sent is counted once', async () => {
    const res = await fetch(`${adminUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, 'rondo_workers{state="answered"}')).toBe(2);
    expect(sample(text, 'rondo_workers{state="unanswered"}')).toBe(0);
    expect(sample(text, 'rondo_dns_messages_total{transport="udp"}')).toBe(UDP_QUERIES);
    expect(sample(text, 'rondo_dns_messages_total{transport="tcp"}')).toBe(TCP_QUERIES + OTHER_QUERIES);
    expect(sample(text, 'rondo_dns_fast_path_answers_total')).toBe(UDP_QUERIES);
    expect(sample(text, 'rondo_dns_responses_total{rcode="NOERROR"}')).toBe(UDP_QUERIES + TCP_QUERIES + OTHER_QUERIES);
    expect(sample(text, `rondo_dns_queries_total{zone="${ORIGIN}",qtype="A",rcode="NOERROR"}`)).toBe(UDP_QUERIES + TCP_QUERIES);
    expect(sample(text, `rondo_dns_queries_total{zone="${OTHER}",qtype="A",rcode="NOERROR"}`)).toBe(OTHER_QUERIES);
    const firsts = [...text.matchAll(/^rondo_pool_answers_total\{pool="www\.workers-admin\.example\.test\.",type="A",member="[^"]+",position="first"\} (\d+)$/gm)].map((m) => Number(m[1]));
    expect(firsts).toHaveLength(3);
    expect(firsts.reduce((a, b) => a + b, 0)).toBe(UDP_QUERIES + TCP_QUERIES);
    expect(sample(text, 'rondo_report_resolvers_tracked')).toBeGreaterThanOrEqual(1);
    expect(sample(text, `rondo_zone_reloads_total{zone="${ORIGIN}",result="loaded"}`)).toBe(1);
  });

  it('/status lists the zones and the workers’ summed DNS counters', async () => {
    const res = await fetch(`${adminUrl}/status`);
    expect(res.status).toBe(200);
    const s = (await res.json()) as AdminStatus;
    expect(s.zones.map((z) => z.origin).sort()).toEqual([OTHER, ORIGIN].sort());
    const pool = s.zones.find((z) => z.origin === ORIGIN)?.pools[0];
    expect(pool?.members.map((m) => m.address)).toEqual(['192.0.2.31', '192.0.2.32', '192.0.2.33']);
    expect(s.workers).toEqual({ count: 2, answered: 2 });
    expect(s.dns?.listen).toEqual([`127.0.0.1:${dnsPort}`]);
    expect(s.dns?.stats.received).toBe(UDP_QUERIES + TCP_QUERIES + OTHER_QUERIES);
    expect(s.dns?.fastPathAnswered).toBe(UDP_QUERIES);
    expect(s.redis?.connected).toBe(true);
  });

  it('/report covers the answers of both workers', async () => {
    const res = await fetch(`${adminUrl}/report`);
    expect(res.status).toBe(200);
    const model = (await res.json()) as ReportModel;
    const pool = model.pools.find((p) => p.key === POOL_KEY);
    expect(pool?.answersTotal).toBe(UDP_QUERIES + TCP_QUERIES);
    expect(pool?.resolvers.top.map((r) => r.key)).toEqual(['127.0.0.0/24']);
    // One server (its workers summed), not one per worker.
    expect(model.notes.some((n) => n.startsWith('Merged from'))).toBe(false);
  });

  it('writes the workers’ merged snapshot to Redis, which `rondo report --redis` reads', async () => {
    const client: Redis = await redis.client();
    // The snapshot is written every 10 s (the first one 10 s after start).
    await expect
      .poll(
        async () => {
          const text = await client.get(`rondo:obs:${NODE_ID}`);
          const snapshot = text === null ? undefined : (JSON.parse(text) as ObservationSnapshot);
          return snapshot?.pools.find((p) => p.key === POOL_KEY)?.answersTotal;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(UDP_QUERIES + TCP_QUERIES);
    const model = JSON.parse(await runRondoOk(['report', '--redis', redis.url, '--json'])) as ReportModel;
    expect(model.pools.find((p) => p.key === POOL_KEY)?.answersTotal).toBe(UDP_QUERIES + TCP_QUERIES);
  }, 20_000);
});
