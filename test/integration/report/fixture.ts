/**
 * Set-up for the skew report tests: HTTP backends on loopback addresses that count the requests
 * they get (per address and per Host), zone text for pools of those backends, and virtual
 * clients that resolve through a resolver and then send one request to the first address.
 */
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { DnsClient } from './unbound.js';

export interface CountingBackends {
  readonly addresses: readonly string[];
  portOf(address: string): number;
  /** Requests counted per backend address. */
  counts(): Map<string, number>;
  /** Requests counted per (Host name, address). */
  countsByHost(): Map<string, Map<string, number>>;
  close(): Promise<void>;
}

export async function startCountingBackends(addresses: readonly string[]): Promise<CountingBackends> {
  const servers: { server: http.Server; sockets: Set<net.Socket> }[] = [];
  const ports = new Map<string, number>();
  const total = new Map<string, number>();
  const byHost = new Map<string, Map<string, number>>();
  const close = async (): Promise<void> => {
    await Promise.all(
      servers.map(
        ({ server, sockets }) =>
          new Promise<void>((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
          }),
      ),
    );
  };
  try {
    for (const address of addresses) {
      const server = http.createServer((req, res) => {
        total.set(address, (total.get(address) ?? 0) + 1);
        const host = (req.headers.host ?? '').replace(/:\d+$/, '');
        const m = byHost.get(host) ?? new Map<string, number>();
        m.set(address, (m.get(address) ?? 0) + 1);
        byHost.set(host, m);
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3 }).end('ok\n');
      });
      // Idle keep-alive sockets stay open for the whole run: a server closing one just as a
      // client reuses it would fail that request (ECONNRESET), which is noise here.
      server.keepAliveTimeout = 120_000;
      const sockets = new Set<net.Socket>();
      server.on('connection', (s: net.Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      servers.push({ server, sockets });
      server.listen(0, address);
      await once(server, 'listening');
      const a = server.address();
      ports.set(address, typeof a === 'object' && a ? a.port : 0);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    addresses,
    portOf: (address) => {
      const port = ports.get(address);
      if (port === undefined) throw new Error(`no backend at ${address}`);
      return port;
    },
    counts: () => new Map(total),
    countsByHost: () => new Map([...byHost].map(([h, m]) => [h, new Map(m)])),
    close,
  };
}

export const SKEW_ZONE = 'skew.test';

/** A zone whose pools all hand out the same backends (as www, api, static... of one site). */
export function skewZoneText(pools: readonly { readonly name: string; readonly policy: string }[], backends: readonly string[], ttl: number): string {
  const lines = [
    `$ORIGIN ${SKEW_ZONE}.`,
    '$TTL 300',
    '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
    '     IN NS  ns1',
    'ns1  IN A   127.0.0.1',
  ];
  for (const p of pools) {
    lines.push(`;@pool ${p.name} policy=${p.policy} answers=1`);
    for (const b of backends) lines.push(`${p.name} ${ttl} IN A ${b}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ClientGroupResult {
  /** Lookups answered with an address. */
  readonly lookups: number;
  readonly failedLookups: number;
  readonly requests: number;
  readonly failedRequests: number;
  readonly seconds: number;
}

/**
 * A group of virtual clients behind one resolver: lookups arrive as a Poisson stream of `rate`
 * per second, each for a name drawn uniformly from `names`; each lookup goes to the resolver (no
 * client cache), and the client sends one HTTP request to the first address of the answer.
 */
export async function runClientGroup(options: {
  readonly resolver: { readonly host: string; readonly port: number };
  readonly rate: number;
  readonly names: readonly string[];
  readonly durationMs: number;
  readonly backends: CountingBackends;
  readonly agent: http.Agent;
  readonly random: () => number;
}): Promise<ClientGroupResult> {
  const client = new DnsClient(options.resolver.host, options.resolver.port, 3000);
  const pending = new Set<Promise<void>>();
  let lookups = 0;
  let failedLookups = 0;
  let requests = 0;
  let failedRequests = 0;
  const start = performance.now();
  let due = start;
  const one = async (name: string): Promise<void> => {
    let address: string | undefined;
    try {
      address = (await client.query(name)).addresses[0];
    } catch {
      address = undefined;
    }
    if (address === undefined) {
      failedLookups++;
      return;
    }
    lookups++;
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: address, port: options.backends.portOf(address), path: '/', headers: { host: name }, agent: options.agent, timeout: 5000 }, (res) => {
          res.resume();
          res.on('end', () => resolve());
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
      requests++;
    } catch {
      failedRequests++;
    }
  };
  try {
    for (;;) {
      due += (-Math.log(1 - options.random()) * 1000) / options.rate;
      if (due - start >= options.durationMs) break;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const name = options.names[Math.floor(options.random() * options.names.length)] ?? options.names[0]!;
      const p = one(`${name}.${SKEW_ZONE}`).finally(() => pending.delete(p));
      pending.add(p);
    }
    await Promise.all(pending);
  } finally {
    client.close();
  }
  return { lookups, failedLookups, requests, failedRequests, seconds: options.durationMs / 1000 };
}
