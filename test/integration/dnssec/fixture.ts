/**
 * DNSSEC test fixtures with real tools: keys made by BIND's dnssec-keygen, a Rondo runtime
 * serving signed zones on loopback, a validating unbound whose trust anchor is the zone's DS
 * (stub zones point at Rondo), and delv.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../bench/lib/redis-server.js';
import { Runtime } from '../../../server/runtime.js';
import { readKeyDir } from '../../../dns/sign/keys.js';
import { dsRdata } from '../../../dns/sign/records.js';
import { silentLogger } from '../../../lib/logger.js';
import { dig, type DigResult } from '../../helpers/dig.js';

const run = promisify(execFile);

/** dig retries: validation from a cold cache on a busy 2-core machine can take seconds. */
export const RETRIES = ['+tries=3', '+time=5'] as const;

/** Maps with at most `limit` calls in flight (dig and delv are processes: not too many at once). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** dnssec-keygen into `dir`; returns the key's base name. */
export async function keygen(dir: string, zone: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('dnssec-keygen', ['-q', '-K', dir, ...args, zone], { timeout: 10_000 });
  return stdout.trim();
}

/** The DS rdata (tag alg 2 hex) of the SEP keys of `zone` in `dir`. */
export async function dsOf(dir: string, zone: string): Promise<{ tag: number; algorithm: number; hex: string }[]> {
  const keys = (await readKeyDir(dir)).get(`${zone}.`) ?? [];
  return keys.filter((k) => (k.flags & 1) !== 0).map((k) => ({ tag: k.tag, algorithm: k.algorithm, hex: dsRdata(k).subarray(4).toString('hex') }));
}

/** `TYPE43 \# len hex` lines for a zone file. */
export function dsRecords(owner: string, ds: readonly { tag: number; algorithm: number; hex: string }[]): string {
  return ds
    .map((d) => {
      const head = Buffer.from([d.tag >> 8, d.tag & 0xff, d.algorithm, 2]).toString('hex');
      return `${owner} IN TYPE43 \\# ${4 + d.hex.length / 2} ${head}${d.hex}`;
    })
    .join('\n');
}

export interface Served {
  readonly runtime: Runtime;
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A Rondo runtime serving `zoneFiles` with the keys in `keysDir`, on a free loopback port. */
export async function serve(zoneFiles: readonly string[], keysDir: string | undefined, checks = false): Promise<Served> {
  const dnssecKeys = keysDir ? await readKeyDir(keysDir) : undefined;
  const runtime = new Runtime({ zonePaths: zoneFiles, listen: [{ host: '127.0.0.1', port: 0 }], checks, nodeId: 'dnssec', logger: silentLogger(), dnssecKeys, observe: false });
  await runtime.start();
  await runtime.signed;
  const bound = runtime.server?.addresses()[0];
  if (!bound) throw new Error('no listener');
  return { runtime, host: bound.host, port: bound.port, stop: () => runtime.stop() };
}

export interface Unbound {
  readonly host: string;
  readonly port: number;
  query(name: string, type: string): Promise<DigResult>;
  logTail(): string;
  stop(): Promise<void>;
}

export interface Anchor {
  readonly zone: string;
  readonly ds: readonly { tag: number; algorithm: number; hex: string }[];
}

/** A validating unbound: trust anchors as DS, a stub zone per entry, nothing cached longer than 0 s. */
export async function startValidatingUnbound(anchors: readonly Anchor[], stubs: readonly { zone: string; host: string; port: number }[]): Promise<Unbound> {
  const dir = await tempDir('rondo-dnssec-unbound-');
  const port = await freePort();
  const anchorFile = path.join(dir, 'anchors');
  await writeFile(anchorFile, anchors.flatMap((a) => a.ds.map((d) => `${a.zone}. IN DS ${d.tag} ${d.algorithm} 2 ${d.hex}`)).join('\n') + '\n');
  const conf = [
    'server:',
    '  interface: 127.0.0.1',
    `  port: ${port}`,
    '  do-ip6: no',
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 1',
    '  val-log-level: 2',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${path.join(dir, 'unbound.pid')}"`,
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    '  module-config: "validator iterator"',
    '  qname-minimisation: no',
    '  cache-max-ttl: 0',
    '  cache-max-negative-ttl: 0',
    '  aggressive-nsec: yes',
    '  harden-dnssec-stripped: yes',
    '  num-threads: 1',
    '  local-zone: "test." nodefault',
    `  trust-anchor-file: "${anchorFile}"`,
    'remote-control:',
    '  control-enable: no',
    ...stubs.flatMap((s) => ['stub-zone:', `  name: "${s.zone}"`, `  stub-addr: ${s.host}@${s.port}`]),
    '',
  ].join('\n');
  const confFile = path.join(dir, 'unbound.conf');
  await writeFile(confFile, conf);
  const lines: string[] = [];
  const child: ChildProcess = spawn('/usr/sbin/unbound', ['-d', '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
    if (lines.length > 300) lines.splice(0, lines.length - 300);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });
  const target = { host: '127.0.0.1', port };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(`unbound exited:\n${lines.join('\n')}`);
    const ok = await dig(target, 'localhost', 'A', { timeoutMs: 1000 }).then(() => true, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`unbound did not start:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: '127.0.0.1', port, query: (name, type) => dig(target, name, type, { dnssec: true, extra: RETRIES, timeoutMs: 30_000 }), logTail: () => lines.join('\n'), stop };
}

export interface DelvResult {
  readonly validated: boolean;
  readonly negative: boolean;
  readonly output: string;
}

let delvFiles = 0;

/** delv against `server`, the trust anchor being `anchor`'s DS (+root names the anchor's zone). */
export async function delv(dir: string, server: { host: string; port: number }, anchor: Anchor, name: string, type: string): Promise<DelvResult> {
  const file = path.join(dir, `delv-${anchor.zone}-${++delvFiles}.conf`);
  await writeFile(file, `trust-anchors {\n${anchor.ds.map((d) => `  ${anchor.zone}. static-ds ${d.tag} ${d.algorithm} 2 "${d.hex}";`).join('\n')}\n};\n`);
  const out = await run('delv', [`@${server.host}`, '-p', String(server.port), '-a', file, `+root=${anchor.zone}`, name, type], { timeout: 15_000 }).then(
    (r) => r.stdout + r.stderr,
    (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
  );
  return { validated: out.includes('fully validated'), negative: out.includes('negative response'), output: out };
}
