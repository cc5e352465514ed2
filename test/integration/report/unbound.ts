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
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../bench/lib/redis-server.js';
import { DnsClient } from '../../../bench/skew/dns-client.js';

// The testbed's client: A questions over UDP, answers' addresses and first TTL.
export { DnsClient, type DnsAnswer } from '../../../bench/skew/dns-client.js';

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
