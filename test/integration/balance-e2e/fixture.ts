/**
 * End-to-end fixture: real HTTP(S) backends on 127.0.0.x loopback addresses, the real Runtime
 * (zone watcher, check scheduler, memory health store, planned selector, DNS server) on 127.0.0.1
 * port 0 serving a zone written by the test, and a small DNS client on dns2. Every helper
 * registers its cleanup with onTestFinished as soon as the resource exists, so call them inside a
 * test.
 */
import { once } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import dns2 from 'dns2';
import { onTestFinished } from 'vitest';
import { Runtime } from '../../../server/runtime.js';
import type { TargetState } from '../../../model/health.js';
import { silentLogger } from '../../../lib/logger.js';
import { parseZoneText } from '../../../zones/load.js';
import type { Pool } from '../../../model/zone.js';
import type { DnsTarget } from '../../helpers/dig.js';

// ---------------------------------------------------------------------------------------------
// Backends

export interface BackendBehaviour {
  /** Delay before answering any request (the check's latency). */
  delayMs: number;
  /** Extra response headers, e.g. `{ 'X-Load': '30' }`. */
  headers: Record<string, string>;
}

export interface LoopbackBackend {
  /** 127.0.0.x: the address the zone answers and the check probes. */
  readonly address: string;
  readonly port: number;
  /** Requests seen per path (`/healthz` counts the probes). */
  hits(pathname: string): number;
  set(behaviour: Partial<BackendBehaviour>): void;
  /** Closes the listener and its connections: connects are refused from now on. */
  stop(): Promise<void>;
  /** Listens again on the same address and port. */
  start(): Promise<void>;
}

export interface BackendOptions {
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  readonly behaviour?: Partial<BackendBehaviour>;
}

class Backend implements LoopbackBackend {
  private server: http.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly counts = new Map<string, number>();
  private readonly behaviour: BackendBehaviour;
  port = 0;

  constructor(
    readonly address: string,
    private readonly options: BackendOptions,
  ) {
    this.behaviour = { delayMs: 0, headers: {}, ...options.behaviour };
  }

  hits(pathname: string): number {
    return this.counts.get(pathname) ?? 0;
  }

  set(behaviour: Partial<BackendBehaviour>): void {
    Object.assign(this.behaviour, behaviour);
  }

  /** Listens on `port` (0: a free one); rejects with EADDRINUSE like server.listen. */
  async listen(port: number): Promise<void> {
    const handler: http.RequestListener = (req, res) => {
      const pathname = (req.url ?? '/').split('?')[0] ?? '/';
      this.counts.set(pathname, this.hits(pathname) + 1);
      const answer = (): void => {
        res.writeHead(200, { 'Content-Type': 'text/plain', ...this.behaviour.headers });
        res.end(`backend ${this.address}\n`);
      };
      if (this.behaviour.delayMs > 0) setTimeout(answer, this.behaviour.delayMs);
      else answer();
    };
    const server = this.options.tls ? https.createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, handler) : http.createServer(handler);
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.address, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('backend bound to no port');
    this.port = bound.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = once(server, 'close');
    server.close();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async start(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }
}

const PORT_ATTEMPTS = 10;

/**
 * One backend per address, all on the same port (the whole of 127/8 is local on Linux), so the
 * zone's check needs a single `port=`. Retries with another port when one address has it taken.
 */
export async function startBackends(addresses: readonly string[], options: BackendOptions = {}): Promise<LoopbackBackend[]> {
  for (let attempt = 1; ; attempt++) {
    const backends = addresses.map((address) => new Backend(address, options));
    try {
      let port = 0;
      for (const backend of backends) {
        await backend.listen(port);
        port = backend.port;
      }
      onTestFinished(() => Promise.all(backends.map((b) => b.stop())).then(() => undefined));
      return backends;
    } catch (err) {
      await Promise.all(backends.map((b) => b.stop()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The server under test

/** SOA, NS and glue for example.test.; the test appends its checks and pools. */
export function zoneText(body: string): string {
  return [
    '$ORIGIN example.test.',
    '$TTL 300',
    '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
    '     IN NS  ns1',
    'ns1  IN A   192.0.2.53',
    body,
    '',
  ].join('\n');
}

export interface RondoUnderTest {
  readonly runtime: Runtime;
  readonly target: DnsTarget;
  readonly zoneFile: string;
  /** Replaces the zone file in one rename, as an editor does; the watcher reloads it. */
  rewriteZone(text: string): Promise<void>;
  /** The served pool at `name` (relative to example.test., e.g. `www`), A records. */
  pool(name: string): Pool;
  /** The decided state of every checked member of the pool, in pool order. */
  states(name: string): (TargetState | undefined)[];
}

export async function startRondo(zone: string): Promise<RondoUnderTest> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-e2e-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const zoneFile = path.join(dir, 'example.test.zone');
  // Fail with the parser's messages rather than the runtime's "no zone loaded".
  const parsed = parseZoneText(zone, zoneFile);
  if (!parsed.ok) throw new Error(`test zone refused:\n${parsed.errors.map((e) => e.message).join('\n')}`);
  await writeFile(zoneFile, zone);
  const runtime = new Runtime({ zonePaths: [dir], listen: [{ host: '127.0.0.1', port: 0 }], checks: true, nodeId: 'e2e', logger: silentLogger() });
  onTestFinished(() => runtime.stop());
  await runtime.start();
  const bound = runtime.server?.addresses()[0];
  if (!bound) throw new Error('runtime has no DNS listener');
  const pool = (name: string): Pool => {
    const fqdn = `${name}.example.test.`;
    const found = runtime.zones().flatMap((z) => z.pools).find((p) => p.name === fqdn && p.type === 1);
    if (!found) throw new Error(`no A pool at ${fqdn}`);
    return found;
  };
  let generation = 0;
  return {
    runtime,
    target: { host: bound.host, port: bound.port },
    zoneFile,
    pool,
    states: (name) => pool(name).members.map((m) => (m.targetId === undefined ? undefined : runtime.store.view().get(m.targetId)?.state)),
    rewriteZone: async (text) => {
      generation += 1;
      const next = path.join(dir, `.example.test.zone.${generation}.tmp`);
      await writeFile(next, text);
      await rename(next, zoneFile);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Queries

export interface Answer {
  readonly rcode: number;
  /** A/AAAA addresses of the answer section, in order. */
  readonly addresses: readonly string[];
  /** Record types of the authority section (6 = SOA). */
  readonly authorityTypes: readonly number[];
  /** The ECS scope prefix length of the response, when it carried the option. */
  readonly ecsScope: number | undefined;
}

interface EcsData {
  readonly ednsCode: number;
  readonly scopePrefixLength?: number;
}

/** One UDP query through dns2's client; `clientIp` (`198.51.100.0/24`) adds an ECS option. */
export async function query(target: DnsTarget, name: string, options: { clientIp?: string; type?: 'A' | 'AAAA' } = {}): Promise<Answer> {
  const client = dns2.UDPClient({ dns: target.host, port: target.port, timeout: 3000, retryOverTCP: false });
  const packet = await client(name, options.type ?? 'A', undefined, options.clientIp ? { clientIp: options.clientIp } : {});
  const opt = packet.additionals.find((r) => r.type === 41) as { rdata?: EcsData[] } | undefined;
  const ecs = opt?.rdata?.find((o) => o.ednsCode === 8);
  return {
    rcode: packet.header.rcode,
    addresses: packet.answers.filter((r) => r.type === 1 || r.type === 28).map((r) => r.address ?? ''),
    authorityTypes: packet.authorities.map((r) => r.type),
    ecsScope: ecs?.scopePrefixLength,
  };
}

export async function addresses(target: DnsTarget, name: string): Promise<readonly string[]> {
  return (await query(target, name)).addresses;
}

/** The answered addresses, sorted: for assertions on the set, not the rotation. */
export async function addressSet(target: DnsTarget, name: string): Promise<string[]> {
  return [...(await addresses(target, name))].sort();
}

/** Poll options for waits on health: every 20 ms, bounded. */
export const POLL = { interval: 20, timeout: 8000 } as const;
