/**
 * Shared set-up for the cluster tests: real `rondo serve` / `rondo check` processes (the built
 * CLI), one redis-server per file, HTTP backends on 127.0.0.x that the test steers per address and
 * per request path, raw UDP queries, and bounded waits that print every process's log tail when
 * they fail.
 *
 * Checks use `interval=300ms timeout=250ms rise=1 fall=2`: a verdict lives 3 × 300 + 250 = 1150 ms
 * and a DNS server sweeps stale verdicts every second. fall=2, because on two busy cores one probe
 * now and then misses its 250 ms; two misses in a row do not happen by chance.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { vi } from 'vitest';
import { decodeVerdictField } from '../../../health/codec.js';
import { healthKeys } from '../../../health/keys.js';
import type { TargetState } from '../../../model/health.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { freeDnsPort, startRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';

/** The check line every cluster zone uses; `PATH` lets each checker see its own truth. */
export function checkLine(port: number, checkPath = '/healthz'): string {
  return `;@check web http port=${port} path=${checkPath} expect=200 interval=300ms timeout=250ms rise=1 fall=2`;
}

export const ZONE_HEAD = [
  '$ORIGIN example.test.',
  '$TTL 300',
  '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
  '     IN NS  ns1',
  'ns1  IN A   192.0.2.53',
].join('\n');

/** The target id checkers and servers agree on for a member of the `web` check. */
export function webTarget(address: string, port: number): string {
  return `example.test./web/${address}/${port}`;
}

// ---------------------------------------------------------------------------------------------
// Backends

export interface Backends {
  readonly port: number;
  /** From now on, answer requests for `path` at `address` with `status` (no path: every path). */
  setStatus(address: string, status: number, path?: string): void;
  /** Closes the listener at `address` (connects are refused, as when the process dies). */
  stop(address: string): Promise<void>;
  /** Listens again at `address`, same port. */
  start(address: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * One HTTP server per address, all on one port (the zone's check names one port). Each answers
 * with the status set for (address, path), else for (address), else 200.
 */
export async function startBackends(addresses: readonly string[]): Promise<Backends> {
  const statuses = new Map<string, number>();
  const servers = new Map<string, { server: http.Server; sockets: Set<net.Socket> }>();
  const handler = (address: string): http.RequestListener => (req, res) => {
    const status = statuses.get(`${address} ${req.url ?? ''}`) ?? statuses.get(address) ?? 200;
    res.writeHead(status, { 'Content-Type': 'text/plain', Connection: 'close' }).end(`${address} ${status}\n`);
  };
  const listen = async (address: string, port: number): Promise<number> => {
    const server = http.createServer(handler(address));
    const sockets = new Set<net.Socket>();
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    servers.set(address, { server, sockets });
    const bound = server.address();
    return typeof bound === 'object' && bound !== null ? bound.port : 0;
  };
  const stop = async (address: string): Promise<void> => {
    const entry = servers.get(address);
    if (!entry) return;
    servers.delete(address);
    const closed = once(entry.server, 'close');
    entry.server.close();
    for (const s of entry.sockets) s.destroy();
    await closed;
  };
  const closeAll = async () => {
    await Promise.all([...servers.keys()].map(stop));
  };
  // Pick a port on the first address, then take the same one on the others (retry on a clash).
  let port = 0;
  for (let attempt = 0; attempt < 10 && port === 0; attempt++) {
    try {
      const first = await listen(addresses[0] as string, 0);
      for (const a of addresses.slice(1)) await listen(a, first);
      port = first;
    } catch {
      await closeAll();
    }
  }
  if (port === 0) throw new Error(`could not listen on one port at ${addresses.join(', ')}`);
  return {
    port,
    setStatus: (address, status, p) => void statuses.set(p === undefined ? address : `${address} ${p}`, status),
    stop,
    start: async (address) => {
      if (!servers.has(address)) await listen(address, port);
    },
    close: closeAll,
  };
}

// ---------------------------------------------------------------------------------------------
// Zone files

export interface ZoneDir {
  readonly dir: string;
  /** Writes `name` in the directory (or a subdirectory: `c1/example.test.zone`); returns its path. */
  write(name: string, text: string): Promise<string>;
  remove(): Promise<void>;
}

export async function zoneDir(): Promise<ZoneDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-cluster-'));
  return {
    dir,
    async write(name, text) {
      const file = path.join(dir, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${text}\n`);
      return file;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface DnsNode {
  readonly name: string;
  readonly port: number;
  readonly process: RondoProcess;
}

/** `rondo serve --no-checks` on a free loopback port, named `name` in shared state. */
export async function startDnsNode(name: string, zones: string, redisArgs: readonly string[]): Promise<DnsNode> {
  const port = await freeDnsPort();
  const process = await startRondo(['serve', '--zones', zones, '--listen', `127.0.0.1:${port}`, '--no-checks', '--node-id', name, ...redisArgs], { name });
  return { name, port, process };
}

/** `rondo check`, named `name` (the field its verdicts are stored under). */
export function startChecker(name: string, zones: string, redisArgs: readonly string[]): Promise<RondoProcess> {
  return startRondo(['check', '--zones', zones, '--node-id', name, ...redisArgs], { name });
}

// ---------------------------------------------------------------------------------------------
// DNS

export interface Answer {
  readonly rcode: number;
  /** The A addresses of the answer section, sorted. */
  readonly addresses: readonly string[];
}

let nextId = 1;

/** One UDP query for `name` A; rejects after `timeoutMs`. */
export async function queryA(port: number, name: string, timeoutMs = 2000): Promise<Answer> {
  const id = (nextId = (nextId % 0xffff) + 1);
  const socket = dgram.createSocket('udp4');
  try {
    const response = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from 127.0.0.1:${port} for ${name} within ${timeoutMs}ms`)), timeoutMs);
      socket.on('error', reject);
      socket.on('message', (msg) => {
        if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        resolve(msg);
      });
      socket.send(buildQuery({ id, name, type: 1, rd: false }), port, '127.0.0.1');
    });
    return parseAnswer(response);
  } finally {
    socket.close();
  }
}

/** rcode and A addresses of a response (names skipped, compression pointers followed by length only). */
export function parseAnswer(msg: Buffer): Answer {
  const rcode = (msg.readUInt16BE(2) & 0x000f) | 0;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let offset = 12;
  const skipName = (): void => {
    for (;;) {
      const len = msg[offset] ?? 0;
      if ((len & 0xc0) === 0xc0) {
        offset += 2;
        return;
      }
      offset += 1 + len;
      if (len === 0) return;
    }
  };
  for (let i = 0; i < qd; i++) {
    skipName();
    offset += 4;
  }
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    skipName();
    const type = msg.readUInt16BE(offset);
    const rdlength = msg.readUInt16BE(offset + 8);
    offset += 10;
    if (type === 1 && rdlength === 4) addresses.push([...msg.subarray(offset, offset + 4)].join('.'));
    offset += rdlength;
  }
  return { rcode, addresses: addresses.sort(byAddress) };
}

function byAddress(a: string, b: string): number {
  const n = (s: string) => s.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  return n(a) - n(b);
}

function describe(answer: Answer): string {
  return `rcode ${answer.rcode} [${answer.addresses.join(', ')}]`;
}

/** Log tails of the given processes, for failure messages. */
export function logTails(processes: readonly RondoProcess[], lines = 15): string {
  return processes.map((p) => `--- ${p.name} (pid ${p.pid}, ${p.running ? 'running' : 'exited'}) ---\n${p.logTail(lines)}`).join('\n');
}

/**
 * Waits until every server answers `name` with exactly `expected` (NOERROR). On timeout, throws
 * with each server's last answer and the log tails of `context`.
 */
export async function waitForAnswers(
  servers: readonly DnsNode[],
  name: string,
  expected: readonly string[],
  context: readonly RondoProcess[] = servers.map((s) => s.process),
  timeoutMs = 10_000,
): Promise<void> {
  const want = [...expected].sort(byAddress);
  const last = new Map<string, string>();
  try {
    await vi.waitFor(
      async () => {
        const answers = await Promise.all(servers.map((s) => queryA(s.port, name)));
        answers.forEach((a, i) => last.set(servers[i]?.name ?? '?', describe(a)));
        for (const a of answers) {
          if (a.rcode !== 0 || a.addresses.join(',') !== want.join(',')) throw new Error('not yet');
        }
      },
      { timeout: timeoutMs, interval: 50 },
    );
  } catch {
    const seen = [...last].map(([n, a]) => `${n}: ${a}`).join('; ');
    throw new Error(`${name}: wanted [${want.join(', ')}] from ${servers.map((s) => s.name).join(' and ')} within ${timeoutMs}ms; last seen ${seen}\n${logTails(context)}`);
  }
}

/**
 * Asserts that every server keeps answering `name` with exactly `expected` for `durationMs`,
 * querying every `everyMs`; throws at the first other answer (or a timeout). Returns the number
 * of rounds made.
 */
export async function expectSteadyAnswers(
  servers: readonly DnsNode[],
  name: string,
  expected: readonly string[],
  durationMs: number,
  context: readonly RondoProcess[] = servers.map((s) => s.process),
  everyMs = 100,
): Promise<number> {
  const want = [...expected].sort(byAddress).join(',');
  const until = performance.now() + durationMs;
  let rounds = 0;
  while (performance.now() < until) {
    const answers = await Promise.all(servers.map((s) => queryA(s.port, name)));
    rounds++;
    answers.forEach((a, i) => {
      if (a.rcode !== 0 || a.addresses.join(',') !== want) {
        const server = servers[i];
        throw new Error(`${name} from ${server?.name}: wanted [${want}] steadily, got ${describe(a)} after ${rounds} rounds\n${logTails(context)}`);
      }
    });
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return rounds;
}

// ---------------------------------------------------------------------------------------------
// Redis

/** The state of one checker's stored verdict for a target, or undefined when it has none. */
export async function storedVerdict(redis: Redis, targetId: string, checker: string): Promise<{ state: TargetState; fresh: boolean } | undefined> {
  const text = await redis.hget(healthKeys('rondo').verdictKey(targetId), checker);
  if (text === null) return undefined;
  const v = decodeVerdictField(targetId, checker, text);
  return v === undefined ? undefined : { state: v.state, fresh: Date.now() < v.at + v.ttlMs };
}

/** Waits until `checker`'s verdict on `targetId` in Redis says `state` (the checker has seen the new truth). */
export async function waitForStoredVerdict(redis: Redis, targetId: string, checker: string, state: TargetState, timeoutMs = 10_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const v = await storedVerdict(redis, targetId, checker);
      if (v?.state !== state) throw new Error(`${checker} on ${targetId}: wanted ${state} in Redis, have ${v?.state ?? 'nothing'}`);
    },
    { timeout: timeoutMs, interval: 50 },
  );
}
