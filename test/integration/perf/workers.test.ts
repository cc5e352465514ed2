/**
 * Issue 6, `rondo serve --workers 2`: two worker processes answer on one listen address over UDP
 * and TCP, a health change made by the primary's checks reaches both of them, and a worker that
 * dies is replaced by one that starts from the primary's whole health view.
 *
 * TCP connections are handed to the workers round robin by the cluster primary, so N fresh TCP
 * connections in a row reach both workers: if every one of them leaves out a dead member, both
 * workers know it is down.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presentMessage } from '../../helpers/presentation.js';
import { buildQuery, tcpExchange, udpQuery } from '../../helpers/dns-client.js';
import { freeDnsPort, startRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';

const MEMBERS = ['127.0.0.21', '127.0.0.22', '127.0.0.23'];
const NAME = 'www.workers.example.test.';

interface Backend {
  readonly address: string;
  server: http.Server;
}

async function listen(address: string, port: number): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.listen({ host: address, port, exclusive: true });
  await once(server, 'listening');
  return server;
}

function portOf(server: http.Server): number {
  const a = server.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

let dir = '';
let rondo: RondoProcess;
let dnsPort = 0;
const backends: Backend[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-workers-'));
  const first = await listen(MEMBERS[0]!, 0);
  const httpPort = portOf(first);
  backends.push({ address: MEMBERS[0]!, server: first });
  for (const address of MEMBERS.slice(1)) backends.push({ address, server: await listen(address, httpPort) });
  await writeFile(
    path.join(dir, 'workers.example.test.zone'),
    [
      '$ORIGIN workers.example.test.',
      '$TTL 300',
      '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30',
      '  IN NS ns1',
      'ns1 IN A 192.0.2.53',
      `;@check web http port=${httpPort} path=/ interval=300ms timeout=250ms rise=1 fall=2`,
      ';@pool www policy=round-robin check=web',
      ...MEMBERS.map((m) => `www 5 IN A ${m}`),
      '',
    ].join('\n'),
  );
  dnsPort = await freeDnsPort();
  rondo = await startRondo(['serve', '--workers', '2', '--zones', dir, '--listen', `127.0.0.1:${dnsPort}`], { name: 'workers' });
}, 30_000);

afterAll(async () => {
  await rondo?.stop();
  await Promise.all(backends.map((b) => new Promise<void>((resolve) => b.server.close(() => resolve()))));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const target = () => ({ host: '127.0.0.1', port: dnsPort });

async function answerOver(transport: 'udp' | 'tcp', id: number): Promise<string[]> {
  const query = buildQuery({ id, name: NAME, type: 1 });
  const bytes = transport === 'udp' ? await udpQuery(target(), query) : (await tcpExchange(target(), [query]))[0];
  const r = presentMessage(bytes ?? Buffer.alloc(0));
  expect(r.rcode).toBe('NOERROR');
  return r.answer.map((line) => line.split(' ').pop() ?? '');
}

/** Addresses answered by `count` fresh TCP connections in a row (round robin over the workers). */
async function tcpRound(count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) for (const a of await answerOver('tcp', i)) seen.add(a);
  return seen;
}

function workerPids(): number[] {
  return rondo
    .logRecords()
    .filter((r) => r.msg === 'worker ready')
    .map((r) => Number(r.pid));
}

describe('rondo serve --workers 2', () => {
  it('starts two workers that answer over UDP and TCP', async () => {
    expect(workerPids()).toHaveLength(2);
    for (let i = 0; i < 20; i++) expect((await answerOver('udp', i)).sort()).toEqual(MEMBERS);
    expect([...(await tcpRound(6))].sort()).toEqual(MEMBERS);
  });

  it('a member that goes down disappears from the answers of both workers', async () => {
    const dead = backends[1]!;
    await new Promise<void>((resolve) => dead.server.close(() => resolve()));
    dead.server.closeAllConnections();
    await expect.poll(async () => [...(await tcpRound(8))].sort(), { timeout: 10_000, interval: 100 }).toEqual(['127.0.0.21', '127.0.0.23']);
    for (let i = 0; i < 20; i++) expect(await answerOver('udp', i)).not.toContain(dead.address);
  });

  it('replaces a worker that dies; the new one starts from the same health', async () => {
    const [victim] = workerPids();
    process.kill(victim!, 'SIGKILL');
    await expect.poll(() => workerPids().length, { timeout: 15_000, interval: 100 }).toBe(3);
    // Both live workers (the survivor and the replacement) leave the dead member out.
    expect([...(await tcpRound(8))].sort()).toEqual(['127.0.0.21', '127.0.0.23']);
    for (let i = 0; i < 20; i++) expect((await answerOver('udp', i)).sort()).toEqual(['127.0.0.21', '127.0.0.23']);
  });

  it('a zone change and SIGHUP to the primary reach both workers', async () => {
    const file = path.join(dir, 'workers.example.test.zone');
    await writeFile(file, (await readFile(file, 'utf8')).replace('@ IN SOA ns1 hostmaster 1 ', '@ IN SOA ns1 hostmaster 2 ') + 'new 5 IN A 192.0.2.77\n');
    process.kill(rondo.pid!, 'SIGHUP');
    const ask = async (id: number) => presentMessage((await tcpExchange(target(), [buildQuery({ id, name: 'new.workers.example.test.', type: 1 })]))[0] ?? Buffer.alloc(0)).answer;
    // Four fresh connections in a row: two per worker.
    await expect.poll(async () => (await Promise.all([0, 1, 2, 3].map((i) => ask(i)))).flat(), { timeout: 10_000, interval: 100 }).toEqual(
      Array.from({ length: 4 }, () => 'new.workers.example.test. 5 IN A 192.0.2.77'),
    );
  });
});
