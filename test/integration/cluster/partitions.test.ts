/**
 * Network partitions (issue 15), in Linux network namespaces (test/helpers/netns.ts; root): Redis,
 * one DNS server, three checkers, two HTTP backends and a DNS watcher each in a namespace of their
 * own on one bridge. A cut drops packets (a blackhole route), it does not close connections: the
 * processes see silence, as in a real partition. The watcher asks the DNS server every 100 ms and
 * every answer is checked against what is allowed at that moment, not only the end state:
 *
 * 1. the DNS server cut off from Redis keeps answering its last state, then converges when healed;
 * 2. one of three checkers cut off from the backends (not from Redis) takes no live member down:
 *    the majority of checkers decides;
 * 3. a checker cut off from Redis: its verdicts lapse and the other two decide, both ways;
 * 4. an asymmetric cut (Redis's packets to the DNS server dropped, the server's reach Redis): the
 *    server keeps its last state, then converges when healed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RONDO_CLI, startRondo, stopAllRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';
import { Lab } from '../../helpers/netns.js';

const WATCH = path.join(path.dirname(RONDO_CLI), '..', 'bench', 'lib', 'dns-watch.js');
const MEMBERS = ['redis', 'dns', 'c1', 'c2', 'c3', 'b1', 'b2', 'watch'] as const;
const REDIS_PORT = 16379;
const DNS_PORT = 5300;
const BACKEND_PORT = 8080;

let lab: Lab;
let zones: string;
let B1 = '';
let B2 = '';
const backends = new Map<string, ChildProcess>();
const processes: RondoProcess[] = [];
interface Round {
  readonly at: number;
  readonly rcode: number;
  readonly addresses: string;
}
const rounds: Round[] = [];

function logTails(): string {
  return processes.map((p) => `--- ${p.name}\n${p.logTail(12)}`).join('\n');
}

async function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready within 20 s: ${text}`)), 20_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}): ${text}`));
    });
  });
}

async function startBackend(name: 'b1' | 'b2'): Promise<void> {
  const address = lab.address(name);
  const child = lab.spawn(name, process.execPath, [
    '-e',
    `require('http').createServer((q, s) => s.end('ok')).listen(${BACKEND_PORT}, '${address}', () => console.log('listening'))`,
  ]);
  backends.set(name, child);
  await waitForLine(child, /listening/, `backend ${name}`);
}

async function stopBackend(name: 'b1' | 'b2'): Promise<void> {
  const child = backends.get(name);
  backends.delete(name);
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

const both = () => [B1, B2].sort().join(',');

/** Waits `ms`, then checks that every answer since now was one of `allowed`; at least a few rounds. */
async function hold(ms: number, allowed: readonly string[], what: string): Promise<void> {
  const from = rounds.length;
  await new Promise((r) => setTimeout(r, ms));
  const seen = rounds.slice(from);
  expect(seen.length, `${what}: watcher rounds`).toBeGreaterThanOrEqual(Math.floor(ms / 400));
  check(seen, allowed, what);
}

function check(seen: readonly Round[], allowed: readonly string[], what: string): void {
  const bad = seen.find((r) => r.rcode !== 0 || !allowed.includes(r.addresses));
  if (bad) throw new Error(`${what}: answered [${bad.addresses}] (rcode ${bad.rcode}); allowed ${allowed.map((a) => `[${a}]`).join(' or ')}\n${logTails()}`);
}

/** Waits until the answer is `want`, checking every answer meanwhile against `meanwhile`; then `want` for 1 s. */
async function converge(want: string, meanwhile: readonly string[], timeoutMs: number, what: string): Promise<number> {
  const from = rounds.length;
  const start = performance.now();
  for (;;) {
    const seen = rounds.slice(from);
    check(seen, [...meanwhile, want], what);
    if (seen.some((r) => r.addresses === want)) break;
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: still [${seen.at(-1)?.addresses}] after ${timeoutMs} ms\n${logTails()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const took = performance.now() - start;
  await hold(1000, [want], `${what} (after converging)`);
  return took;
}

beforeAll(async () => {
  lab = Lab.create(MEMBERS);
  B1 = lab.address('b1');
  B2 = lab.address('b2');
  const redisUrl = `redis://${lab.address('redis')}:${REDIS_PORT}`;
  const redis = lab.spawn('redis', 'redis-server', ['--port', String(REDIS_PORT), '--bind', lab.address('redis'), '--save', '', '--appendonly', 'no', '--protected-mode', 'no']);
  await waitForLine(redis, /Ready to accept connections/, 'redis-server');
  await Promise.all([startBackend('b1'), startBackend('b2')]);
  zones = await mkdtemp(path.join(os.tmpdir(), 'rondo-partitions-'));
  await writeFile(
    path.join(zones, 'example.test.zone'),
    [
      '$ORIGIN example.test.',
      '$TTL 300',
      '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
      '     IN NS  ns1',
      'ns1  IN A   192.0.2.53',
      `;@check web http port=${BACKEND_PORT} path=/ expect=200 interval=300ms timeout=250ms rise=1 fall=2`,
      ';@pool www check=web',
      `www 5 IN A ${B1}`,
      `www 5 IN A ${B2}`,
      '',
    ].join('\n'),
  );
  const redisArgs = ['--redis', redisUrl];
  processes.push(
    ...(await Promise.all([
      startRondo(['serve', '--zones', zones, '--listen', `${lab.address('dns')}:${DNS_PORT}`, '--no-checks', '--node-id', 'dns', ...redisArgs], { name: 'dns', netns: lab.ns('dns'), deadlineMs: 30_000 }),
      ...(['c1', 'c2', 'c3'] as const).map((c) => startRondo(['check', '--zones', zones, '--node-id', c, ...redisArgs], { name: c, netns: lab.ns(c), deadlineMs: 30_000 })),
    ])),
  );
  const watcher = lab.spawn('watch', process.execPath, [WATCH, '100', 'www.example.test', `${lab.address('dns')}:${DNS_PORT}`]);
  let partial = '';
  watcher.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const answer = (JSON.parse(line) as { answers: { rcode: number; addresses: string[] }[] }).answers[0];
      if (answer) rounds.push({ at: performance.now(), rcode: answer.rcode, addresses: answer.addresses.join(',') });
    }
  });
  // Every checker's verdicts are in, through Redis: both members answered.
  await converge(both(), [B1, B2, ''], 20_000, 'start');
}, 90_000);

afterAll(async () => {
  await stopAllRondo();
  lab?.destroySync();
  if (zones) await rm(zones, { recursive: true, force: true });
});

describe('partitions', () => {
  it('the DNS server cut off from Redis keeps answering its last state, then converges when healed', async () => {
    lab.cut('dns', 'redis');
    lab.cut('redis', 'dns');
    await stopBackend('b2');
    // The checkers see .b2 die and write it to Redis; the server, cut off, keeps its last state.
    await hold(4000, [both()], 'cut off from Redis');
    lab.heal('dns', 'redis');
    lab.heal('redis', 'dns');
    const took = await converge(B1, [both()], 20_000, 'healed');
    console.log(`partition 1: the DNS server converged ${Math.round(took)} ms after the heal`);
    await startBackend('b2');
    await converge(both(), [B1], 10_000, 'b2 back');
  }, 60_000);

  it('one of three checkers cut off from the backends takes no live member down (majority)', async () => {
    lab.cut('c1', 'b1');
    lab.cut('c1', 'b2');
    // c1 now says both are down (timeouts); c2 and c3 say up: every answer keeps both.
    await hold(4000, [both()], 'c1 cut off from the backends');
    lab.heal('c1', 'b1');
    lab.heal('c1', 'b2');
    await hold(1000, [both()], 'c1 healed');
  }, 30_000);

  it('a checker cut off from Redis: its verdicts lapse and the other two decide, both ways', async () => {
    lab.cut('c1', 'redis');
    lab.cut('redis', 'c1');
    await hold(1500, [both()], 'c1 cut off from Redis');
    await stopBackend('b2');
    const down = await converge(B1, [both()], 10_000, 'b2 dies while c1 is cut off');
    await startBackend('b2');
    const up = await converge(both(), [B1], 10_000, 'b2 back while c1 is cut off');
    console.log(`partition 3: with c1 cut off, the others took b2 out in ${Math.round(down)} ms and back in ${Math.round(up)} ms`);
    lab.heal('c1', 'redis');
    lab.heal('redis', 'c1');
    await hold(2000, [both()], 'c1 healed');
  }, 60_000);

  it('an asymmetric cut (Redis to the DNS server dropped, the other way open): last state held, then converges', async () => {
    lab.cut('redis', 'dns');
    await stopBackend('b2');
    await hold(4000, [both()], 'Redis cannot reach the DNS server');
    lab.heal('redis', 'dns');
    const took = await converge(B1, [both()], 20_000, 'healed (asymmetric)');
    console.log(`partition 4: converged ${Math.round(took)} ms after the heal`);
    await startBackend('b2');
    await converge(both(), [B1], 10_000, 'b2 back');
  }, 60_000);
});
