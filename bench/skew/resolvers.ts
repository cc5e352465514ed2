/**
 * Real caching resolvers from Debian packages for the skew testbed (research note §7, §8): unbound,
 * BIND (named), PowerDNS Recursor, Knot Resolver (kresd) and dnsmasq, each in the foreground on
 * 127.0.0.1 at its own port, pointing one zone at the authoritative under test, and sending its
 * upstream queries from its own loopback source address (`outgoing`), so the authoritative sees
 * one cache per source address.
 *
 * Set-up facts measured on this machine (research note §8): unbound needs `local-zone: "test."
 * nodefault` for a `.test` stub; PowerDNS Recursor needs `dnssec=off` and no security polling;
 * Knot Resolver with `policy.STUB` re-asks every few seconds, so it forwards; BIND's static-stub
 * takes no port in `server-addresses` (a global `port` does). Every process is started by us and
 * stopped by `stop()` (SIGTERM, then SIGKILL); `stopAllResolvers()` and an exit hook stop the rest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freeDnsPort } from '../lib/rondo-process.js';
import { DnsClient } from './dns-client.js';

export type ResolverKind = 'unbound' | 'bind' | 'pdns' | 'knot' | 'dnsmasq';

export const RESOLVER_BINARIES: Record<ResolverKind, string> = {
  unbound: '/usr/sbin/unbound',
  bind: '/usr/sbin/named',
  pdns: '/usr/sbin/pdns_recursor',
  knot: '/usr/sbin/kresd',
  dnsmasq: '/usr/sbin/dnsmasq',
};

export function resolverAvailable(kind: ResolverKind): boolean {
  return existsSync(RESOLVER_BINARIES[kind]);
}

export interface ResolverOptions {
  readonly kind: ResolverKind;
  /** Zone pointed at the authoritative, e.g. `skew.test`. */
  readonly zone: string;
  readonly authHost: string;
  readonly authPort: number;
  /** Source address of its upstream queries (127.0.x.y; all of 127/8 is on `lo`). */
  readonly outgoing: string;
  /** Shown in messages, e.g. `unbound-1`. */
  readonly name: string;
}

export interface Resolver {
  readonly kind: ResolverKind;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly outgoing: string;
  readonly pid: number | undefined;
  logTail(): string;
  stop(): Promise<void>;
}

const START_DEADLINE_MS = 15_000;

interface Launch {
  readonly args: string[];
  readonly files: Record<string, string>;
}

function launchOf(kind: ResolverKind, dir: string, port: number, o: ResolverOptions): Launch {
  switch (kind) {
    case 'unbound':
      return {
        args: ['-d', '-c', path.join(dir, 'unbound.conf')],
        files: {
          'unbound.conf': [
            'server:',
            '  interface: 127.0.0.1',
            `  port: ${port}`,
            `  outgoing-interface: ${o.outgoing}`,
            '  do-ip6: no',
            '  do-tcp: no',
            '  do-daemonize: no',
            '  use-syslog: no',
            '  logfile: ""',
            '  verbosity: 0',
            '  chroot: ""',
            '  username: ""',
            `  directory: "${dir}"`,
            `  pidfile: "${path.join(dir, 'unbound.pid')}"`,
            '  access-control: 127.0.0.0/8 allow',
            '  do-not-query-localhost: no',
            '  module-config: "iterator"',
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
            `  stub-addr: ${o.authHost}@${o.authPort}`,
            '',
          ].join('\n'),
        },
      };
    case 'bind':
      return {
        args: ['-g', '-n', '1', '-c', path.join(dir, 'named.conf')],
        files: {
          'named.conf': [
            'options {',
            `  directory "${dir}";`,
            `  pid-file "${path.join(dir, 'named.pid')}";`,
            `  session-keyfile "${path.join(dir, 'session.key')}";`,
            `  listen-on port ${port} { 127.0.0.1; };`,
            '  listen-on-v6 { none; };',
            // The global port is where static-stub server-addresses are asked.
            `  port ${o.authPort};`,
            `  query-source address ${o.outgoing};`,
            '  recursion yes;',
            '  allow-query { any; };',
            '  allow-recursion { any; };',
            '  dnssec-validation no;',
            '  notify no;',
            '};',
            'controls { };',
            `zone "${o.zone}" { type static-stub; server-addresses { ${o.authHost}; }; };`,
            '',
          ].join('\n'),
        },
      };
    case 'pdns':
      return {
        args: [
          `--config-dir=${dir}`,
          `--socket-dir=${dir}`,
          '--daemon=no',
          '--write-pid=no',
          '--disable-syslog=yes',
          '--log-common-errors=no',
          '--loglevel=3',
          `--local-address=127.0.0.1`,
          `--local-port=${port}`,
          `--query-local-address=${o.outgoing}`,
          `--forward-zones=${o.zone}=${o.authHost}:${o.authPort}`,
          '--dnssec=off',
          '--security-poll-suffix=',
          '--threads=1',
          '--allow-from=127.0.0.0/8',
          '--carbon-server=',
        ],
        files: { 'recursor.conf': '' },
      };
    case 'knot':
      return {
        args: ['-n', '-q', '-c', path.join(dir, 'kresd.conf'), dir],
        files: {
          'kresd.conf': [
            `net.listen('127.0.0.1', ${port}, { kind = 'dns' })`,
            `net.outgoing_v4('${o.outgoing}')`,
            `cache.open(10 * MB, 'lmdb://${path.join(dir, 'cache')}')`,
            "trust_anchors.remove('.')",
            `policy.add(policy.suffix(policy.FORWARD('${o.authHost}@${o.authPort}'), {todname('${o.zone}.')}))`,
            '',
          ].join('\n'),
        },
      };
    case 'dnsmasq':
      return {
        args: [
          '-k',
          '--conf-file=/dev/null',
          `--port=${port}`,
          '--listen-address=127.0.0.1',
          '--bind-interfaces',
          '--no-resolv',
          '--no-hosts',
          '--user=root',
          `--pid-file=${path.join(dir, 'dnsmasq.pid')}`,
          '--cache-size=1000',
          '--log-facility=-',
          `--server=/${o.zone}/${o.authHost}#${o.authPort}@${o.outgoing}`,
        ],
        files: {},
      };
  }
}

const live = new Set<{ child: ChildProcess; exited: boolean }>();
process.once('exit', () => {
  for (const p of live) if (!p.exited) p.child.kill('SIGKILL');
});

/** Starts one resolver and waits until it answers the zone's SOA through the authoritative. */
export async function startResolver(options: ResolverOptions): Promise<Resolver> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `rondo-skew-${options.kind}-`));
  const port = await freeDnsPort();
  const launch = launchOf(options.kind, dir, port, options);
  for (const [file, text] of Object.entries(launch.files)) await writeFile(path.join(dir, file), text);
  const lines: string[] = [];
  const child = spawn(RESOLVER_BINARIES[options.kind], launch.args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  const entry = { child, exited: false };
  live.add(entry);
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = once(child, 'exit').then(() => {
    entry.exited = true;
    live.delete(entry);
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!entry.exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const client = new DnsClient('127.0.0.1', port, 500);
  try {
    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      if (entry.exited) throw new Error(`${options.name} (${options.kind}) exited:\n${lines.join('\n')}`);
      const answer = await client.query(options.zone, 6).catch(() => undefined);
      if (answer && answer.rcode === 0) break;
      if (Date.now() > deadline) throw new Error(`${options.name} (${options.kind}) did not answer within ${START_DEADLINE_MS} ms:\n${lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
  return {
    kind: options.kind,
    name: options.name,
    host: '127.0.0.1',
    port,
    outgoing: options.outgoing,
    pid: child.pid,
    logTail: () => lines.join('\n'),
    stop,
  };
}
