/**
 * Rondo against a reference authoritative server, Knot DNS (`knotd`), serving the same static
 * zone file: each question is asked of both with dig, and the rcode, the AA and TC flags and the
 * answer/authority/additional record sets (order aside) must agree. The whole file is bounded:
 * knotd gets 15 s to come up, each dig 3 s.
 *
 * Known, deliberate differences are left out of the list: ANY over TCP (Knot answers one RRset,
 * Rondo all of them, RFC 8482 §4.1 allows both), ANY at a pool (Rondo prefers a non-pool RRset),
 * and the order of records inside an RRset (Knot keeps zone order, Rondo rotates pools).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dig, normalizeRR, type DigOptions, type DigResult, type DnsTarget } from '../../helpers/dig.js';
import { startDnsServer } from '../../helpers/dns-server.js';
import { DNS_FIXTURES, fixtureZone, zoneSet } from '../../helpers/dns-zones.js';

const KNOTD = spawnSync('sh', ['-c', 'command -v knotd'], { encoding: 'utf8' }).stdout.trim();
if (KNOTD === '') throw new Error('knotd is not installed: apt-get install -y knot (the peer comparison needs it)');

const ZONE_FILE = path.join(DNS_FIXTURES, 'example.test.zone');

/** A port free for both UDP and TCP on 127.0.0.1 right now (knotd binds it a moment later). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

interface Knot {
  readonly target: DnsTarget;
  readonly process: ChildProcess;
  readonly log: () => string;
}

async function startKnot(): Promise<Knot> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-knot-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const config = [
    'server:',
    `    listen: 127.0.0.1@${port}`,
    `    rundir: ${dir}`,
    `    pidfile: ${dir}/knot.pid`,
    'database:',
    `    storage: ${dir}`,
    'log:',
    '  - target: stderr',
    '    any: info',
    'template:',
    '  - id: default',
    `    storage: ${dir}`,
    '    zonefile-sync: -1',
    '    journal-content: none',
    'zone:',
    '  - domain: example.test',
    `    file: ${ZONE_FILE}`,
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'knot.conf'), config);
  const child = spawn(KNOTD, ['-c', path.join(dir, 'knot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
  const target = { host: '127.0.0.1', port };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`knotd exited with ${child.exitCode}:\n${output}`);
    const soa = await dig(target, 'example.test.', 'SOA', { timeoutMs: 2000, extra: ['+time=1'] }).catch(() => undefined);
    if (soa?.status === 'NOERROR' && soa.answer.length === 1) break;
    if (Date.now() > deadline) throw new Error(`knotd did not serve example.test. within 15 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100)); // bounded poll for a foreign process to come up
  }
  return { target, process: child, log: () => output };
}

const knot = await startKnot();
const rondo = await startDnsServer(zoneSet(fixtureZone('example.test.zone')));

interface Comparable {
  status: string;
  aa: boolean;
  tc: boolean;
  answer: string[];
  authority: string[];
  additional: string[];
}

function comparable(r: DigResult): Comparable {
  const sorted = (lines: readonly string[]): string[] => lines.map(normalizeRR).sort();
  return {
    status: r.status,
    aa: r.flags.includes('aa'),
    tc: r.flags.includes('tc'),
    answer: sorted(r.answer),
    authority: sorted(r.authority),
    additional: sorted(r.additional),
  };
}

/** [name, type, dig options] — each asked of both servers. */
const QUESTIONS: [string, string, DigOptions?][] = [
  ['example.test.', 'SOA'],
  ['example.test.', 'NS'],
  ['example.test.', 'MX'],
  ['example.test.', 'TXT'],
  ['static.example.test.', 'A'],
  ['static.example.test.', 'TXT'],
  ['static.example.test.', 'AAAA'],
  ['StAtIc.ExAmPlE.TeSt.', 'A'],
  ['mixed.example.test.', 'A'],
  ['www.example.test.', 'A'],
  ['www.example.test.', 'AAAA'],
  ['www.example.test.', 'MX'],
  ['gen.example.test.', 'TYPE65280'],
  ['nope.example.test.', 'A'],
  ['deep.nope.example.test.', 'TXT'],
  ['b.c.example.test.', 'A'],
  ['c.example.test.', 'AAAA'],
  ['_http._tcp.example.test.', 'SRV'],
  ['_tcp.example.test.', 'SRV'],
  ['ftp.example.test.', 'A'],
  ['ftp.example.test.', 'CNAME'],
  ['ftp.example.test.', 'TXT'],
  ['chain1.example.test.', 'A'],
  ['chain1.example.test.', 'AAAA'],
  ['dangling.example.test.', 'A'],
  ['outside.example.test.', 'A'],
  ['loop1.example.test.', 'A'],
  ['some.wild.example.test.', 'A'],
  ['some.wild.example.test.', 'TXT'],
  ['some.wild.example.test.', 'AAAA'],
  ['a.b.wild.example.test.', 'A'],
  ['x.wild.example.test.', 'A'],
  ['x.wild.example.test.', 'TXT'],
  ['sub.wild.example.test.', 'A'],
  ['zzz.sub.wild.example.test.', 'A'],
  ['*.wild.example.test.', 'A'],
  ['foo.cn.example.test.', 'A'],
  ['a.pool.example.test.', 'A'],
  ['host.sub.example.test.', 'A'],
  ['sub.example.test.', 'NS'],
  ['sub.example.test.', 'A'],
  ['ns.sub.example.test.', 'A'],
  ['www.example.test.', 'A', { tcp: true }],
  ['chain1.example.test.', 'A', { tcp: true }],
  ['host.sub.example.test.', 'A', { tcp: true }],
  ['static.example.test.', 'A', { edns: false }],
  ['nope.example.test.', 'A', { edns: false }],
  // RFC 8482 over UDP: one RRset, the lowest type (Rondo skips pools; none here).
  ['example.test.', 'ANY'],
  ['static.example.test.', 'ANY'],
  ['ftp.example.test.', 'ANY'],
  ['b.c.example.test.', 'ANY'],
  ['nope.example.test.', 'ANY'],
  // Not ours: REFUSED; classes other than IN: REFUSED; EDNS version 1: BADVERS.
  ['www.example.org.', 'A'],
  ['static.example.test.', 'A', { klass: 'CH' }],
  ['static.example.test.', 'A', { edns: 1 }],
];

describe('Rondo answers like Knot DNS for a static zone', () => {
  it.each(QUESTIONS)('%s %s %o', async (name, type, options = {}) => {
    const [ours, theirs] = await Promise.all([dig(rondo.target, name, type, options), dig(knot.target, name, type, options)]);
    expect(comparable(ours)).toEqual(comparable(theirs));
  });
});
