/**
 * Real caching resolvers for the skew tests: unbound (Debian package, /usr/sbin/unbound) in the
 * foreground on loopback, with a stub zone pointing at the Rondo under test, and a tiny UDP DNS
 * client that resolves through it (no OS resolver, no client-side cache).
 *
 * Each instance sends its upstream queries from its own `outgoing-interface`, so Rondo sees one
 * resolver key (/24) per instance: use 127.0.1.1, 127.0.2.1, ... (127/8 is all on `lo`).
 * Set-up facts (research note §8): a `.test` stub zone needs `local-zone: "test." nodefault`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../bench/lib/redis-server.js';

export const UNBOUND = '/usr/sbin/unbound';
const START_DEADLINE_MS = 10_000;

export function unboundAvailable(): boolean {
  return existsSync(UNBOUND);
}

export interface UnboundOptions {
  /** The zone stubbed to Rondo, e.g. `skew.test`. */
  readonly zone: string;
  readonly stubHost: string;
  readonly stubPort: number;
  /** Source address of its upstream queries (its resolver key at Rondo). */
  readonly outgoing: string;
  /** EDNS Client Subnet mode (issue 12): `subnetcache iterator`, sending each client's /24 to the stub. */
  readonly ecs?: boolean;
}

export interface Unbound {
  readonly host: string;
  readonly port: number;
  readonly outgoing: string;
  logTail(): string;
  stop(): Promise<void>;
}

function config(dir: string, port: number, o: UnboundOptions): string {
  return [
    'server:',
    '  interface: 127.0.0.1',
    `  port: ${port}`,
    `  outgoing-interface: ${o.outgoing}`,
    '  do-ip6: no',
    '  do-tcp: no',
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 1',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${path.join(dir, 'unbound.pid')}"`,
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    o.ecs ? '  module-config: "subnetcache iterator"' : '  module-config: "iterator"',
    ...(o.ecs ? [`  send-client-subnet: ${o.stubHost}`, '  max-client-subnet-ipv4: 24'] : []),
    '  qname-minimisation: no',
    '  cache-min-ttl: 0',
    '  prefetch: no',
    '  rrset-roundrobin: yes',
    '  num-threads: 1',
    '  outgoing-range: 64',
    '  local-zone: "test." nodefault',
    `  domain-insecure: "${o.zone}"`,
    'remote-control:',
    '  control-enable: no',
    'stub-zone:',
    `  name: "${o.zone}"`,
    `  stub-addr: ${o.stubHost}@${o.stubPort}`,
    '',
  ].join('\n');
}

/** Starts unbound and waits until it answers the stub zone's SOA. */
export async function startUnbound(options: UnboundOptions): Promise<Unbound> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-unbound-'));
  const port = await freePort();
  const conf = path.join(dir, 'unbound.conf');
  await writeFile(conf, config(dir, port, options));
  const lines: string[] = [];
  const child: ChildProcess = spawn(UNBOUND, ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const client = new DnsClient('127.0.0.1', port, 300);
  try {
    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      if (exited) throw new Error(`unbound exited:\n${lines.join('\n')}`);
      const answer = await client.query(options.zone, 6).catch(() => undefined);
      if (answer && answer.rcode === 0) break;
      if (Date.now() > deadline) throw new Error(`unbound did not answer within ${START_DEADLINE_MS} ms:\n${lines.join('\n')}`);
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
  return { host: '127.0.0.1', port, outgoing: options.outgoing, logTail: () => lines.join('\n'), stop };
}

export interface DnsAnswer {
  readonly rcode: number;
  /** A records of the answer section, in order. */
  readonly addresses: readonly string[];
}

/** Skips a (possibly compressed) name; returns the offset after it. */
function skipName(msg: Buffer, at: number): number {
  for (let i = 0; i < 128; i++) {
    const len = msg[at];
    if (len === undefined) throw new Error('truncated name');
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
  throw new Error('name too long');
}

function encodeQuery(id: number, name: string, qtype: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const parts = [Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

function decodeAnswer(msg: Buffer): DnsAnswer {
  const rcode = (msg[3] ?? 0) & 0x0f;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let at = 12;
  for (let i = 0; i < qd; i++) at = skipName(msg, at) + 4;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    at = skipName(msg, at);
    const type = msg.readUInt16BE(at);
    const rdlength = msg.readUInt16BE(at + 8);
    at += 10;
    if (type === 1 && rdlength === 4) addresses.push(`${msg[at]}.${msg[at + 1]}.${msg[at + 2]}.${msg[at + 3]}`);
    at += rdlength;
  }
  return { rcode, addresses };
}

/** A UDP DNS client on one socket; matches responses by ID. No cache, no retries. */
export class DnsClient {
  private readonly socket = dgram.createSocket('udp4');
  private readonly pending = new Map<number, { resolve: (a: DnsAnswer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private nextId = Math.floor(Math.random() * 0xffff);

  /** `localAddress`: send from this address (a client's own address, for ECS tests). */
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = 2000,
    localAddress?: string,
  ) {
    if (localAddress !== undefined) this.socket.bind({ address: localAddress, port: 0 });
    this.socket.on('message', (msg) => {
      if (msg.length < 12) return;
      const entry = this.pending.get(msg.readUInt16BE(0));
      if (!entry) return;
      this.pending.delete(msg.readUInt16BE(0));
      clearTimeout(entry.timer);
      try {
        entry.resolve(decodeAnswer(msg));
      } catch (err) {
        entry.reject(err as Error);
      }
    });
    this.socket.unref();
  }

  query(name: string, qtype = 1): Promise<DnsAnswer> {
    let id = (this.nextId = (this.nextId + 1) & 0xffff);
    for (let i = 0; this.pending.has(id) && i < 0x10000; i++) id = (this.nextId = (this.nextId + 1) & 0xffff);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer for ${name} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(encodeQuery(id, name, qtype), this.port, this.host);
    });
  }

  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('client closed'));
    }
    this.pending.clear();
    this.socket.close();
  }
}
