/**
 * The UDP and TCP listeners. One UDP socket and one TCP server per listen address, on the same
 * port. Each message is answered synchronously by QueryHandler; the sockets only move bytes.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../lib/logger.js';
import { newStats, QueryHandler, type DnsStats } from './query-handler.js';
import type { PoolSelector } from './pool-selector.js';
import { PlannedSelector } from './planned-selector.js';
import { FastPath, type FastPathStats } from './fast-path.js';
import type { ZoneSet } from './zone-set.js';
import { TcpConnection } from './tcp-connection.js';
import { QueryCounters, type QueryCell } from './query-counters.js';
import { listenError } from './listen-error.js';
import { literalFirstLookup } from './literal-lookup.js';
import type { ResponseRateLimiter } from './rrl.js';
import type { Signer } from './sign/signer.js';

export type { DnsStats } from './query-handler.js';

export interface ListenAddress {
  /** An IPv4 or IPv6 address. IPv6 addresses bind IPv6-only, so `0.0.0.0` and `::` can both be listed. */
  readonly host: string;
  /** 0 picks a free port (tests); TCP binds first and UDP takes the same number. */
  readonly port: number;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export interface DnsServerOptions {
  /** Called for every query: returns the current immutable zone snapshot. */
  readonly zones: () => ZoneSet;
  readonly selector: PoolSelector;
  readonly logger: Logger;
  /** RFC 7766 §6.2.3: close a TCP connection with no complete query for this long. Default 10000. */
  readonly tcpIdleTimeoutMs?: number;
  /** Connections beyond this are closed on accept. Default 1000. */
  readonly maxTcpConnections?: number;
  /** Queries answered from one connection before it yields to others (and waits for its reader). Default 100. */
  readonly maxTcpQueriesInFlight?: number;
  /** How long close() lets open TCP connections finish before destroying them. Default 2000. */
  readonly closeTimeoutMs?: number;
  /** Answer common UDP questions from pre-encoded answers (fast-path.ts). Default true. */
  readonly fastPath?: boolean;
  /**
   * Bind the sockets in this process alone. Default true; false in cluster workers, whose
   * listening sockets the cluster primary owns and shares (cli/workers.ts).
   */
  readonly exclusive?: boolean;
  /** Response rate limiting for UDP (rrl.ts); TCP is never limited. Off when absent. */
  readonly rrl?: ResponseRateLimiter;
  /** DNSSEC online signing of the zones with keys (sign/signer.ts). Unsigned answers when absent. */
  readonly signer?: Signer;
}

const BIND_ATTEMPTS_ON_PORT_ZERO = 5;

interface Listener {
  readonly bound: BoundAddress;
  readonly udp: dgram.Socket;
  readonly tcp: net.Server;
}

function listenTcp(server: net.Server, host: string, port: number, exclusive: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, ipv6Only: net.isIPv6(host), exclusive }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function bindUdp(socket: dgram.Socket, host: string, port: number, exclusive: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

function closeTcpServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // never bound, or already closed
    }
  });
}

export class DnsServer {
  private readonly log: Logger;
  private readonly handler: QueryHandler;
  private readonly fast: FastPath | undefined;
  private readonly exclusive: boolean;
  private readonly rrl: ResponseRateLimiter | undefined;
  private readonly counters: DnsStats = newStats();
  private readonly queries = new QueryCounters();
  private readonly listeners: Listener[] = [];
  private readonly connections = new Set<TcpConnection>();
  private readonly idleTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly maxInFlight: number;
  private readonly closeTimeoutMs: number;
  private closing = false;

  constructor(options: DnsServerOptions) {
    this.log = options.logger.child({ component: 'dns' });
    this.handler = new QueryHandler(options.zones, options.selector, this.log, this.counters, this.queries, options.signer);
    const planned = options.selector instanceof PlannedSelector ? options.selector : undefined;
    this.fast =
      options.fastPath === false ? undefined : new FastPath({ zones: options.zones, selector: planned, stats: this.counters, logger: this.log, queries: this.queries, signer: options.signer });
    this.exclusive = options.exclusive ?? true;
    this.rrl = options.rrl?.enabled ? options.rrl : undefined;
    this.idleTimeoutMs = options.tcpIdleTimeoutMs ?? 10_000;
    this.maxConnections = options.maxTcpConnections ?? 1000;
    this.maxInFlight = options.maxTcpQueriesInFlight ?? 100;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2000;
  }

  /** Binds UDP and TCP on every address; on any failure, closes what was bound and rejects with a ConfigError. */
  async start(listen: readonly ListenAddress[]): Promise<void> {
    try {
      for (const address of listen) this.listeners.push(await this.bindPair(address));
    } catch (err) {
      await this.closeListeners();
      throw err;
    }
    this.log.info({ addresses: this.addresses().map((a) => `${a.host}:${a.port}`) }, 'dns listening');
  }

  addresses(): BoundAddress[] {
    return this.listeners.map((l) => l.bound);
  }

  stats(): DnsStats {
    return { ...this.counters, rcodes: { ...this.counters.rcodes }, tcpOpen: this.connections.size };
  }

  /** Queries answered by zone, question type and RCODE (both paths). */
  queryCounts(): Iterable<QueryCell> {
    return this.queries.entries();
  }

  /** What the UDP fast path answered and learnt (undefined when it is off). */
  fastPathStats(): (FastPathStats & { poolEncodes: number; staticEncodes: number; knownNames: number }) | undefined {
    const fast = this.fast;
    return fast ? { ...fast.stats, ...fast.cache.stats, knownNames: fast.knownNames } : undefined;
  }

  /** Stops accepting, lets open TCP connections flush their answers, destroys what is left at the deadline. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const servers = this.closeListeners();
    const deadline = AbortSignal.timeout(this.closeTimeoutMs);
    await Promise.all([...this.connections].map((c) => c.shutdown(deadline)));
    await servers;
    this.log.info('dns closed');
  }

  private async closeListeners(): Promise<void> {
    const listeners = this.listeners.splice(0);
    await Promise.all(listeners.flatMap((l) => [closeUdp(l.udp), closeTcpServer(l.tcp)]));
  }

  private async bindPair(address: ListenAddress): Promise<Listener> {
    const family: 4 | 6 = net.isIPv6(address.host) ? 6 : 4;
    const attempts = address.port === 0 ? BIND_ATTEMPTS_ON_PORT_ZERO : 1;
    for (let attempt = 1; ; attempt++) {
      const tcp = net.createServer((socket) => this.accept(socket));
      let port: number;
      try {
        port = await listenTcp(tcp, address.host, address.port, this.exclusive);
      } catch (err) {
        throw listenError(err, address.host, address.port, 'tcp');
      }
      const udp = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, lookup: literalFirstLookup });
      try {
        await bindUdp(udp, address.host, port, this.exclusive);
      } catch (err) {
        await Promise.all([closeTcpServer(tcp), closeUdp(udp)]);
        // Port 0: TCP's free port may be taken for UDP; try another.
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < attempts) continue;
        throw listenError(err, address.host, port, 'udp');
      }
      tcp.on('error', (err) => this.log.warn({ err, host: address.host, port }, 'tcp listener error'));
      udp.on('error', (err) => this.log.warn({ err, host: address.host, port }, 'udp socket error'));
      udp.on('message', (message, rinfo) => this.onDatagram(udp, message, rinfo));
      return { bound: { host: address.host, port, family }, udp, tcp };
    }
  }

  private onDatagram(udp: dgram.Socket, message: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closing) return;
    const family = rinfo.family === 'IPv6' ? 6 : 4;
    const response =
      this.fast?.answer(message, rinfo.address, family) ?? this.handler.handle(message, { address: rinfo.address, family, transport: 'udp' });
    if (response) this.sendUdp(udp, response, rinfo);
  }

  /** The one place a UDP response leaves, whichever path made it. */
  private sendUdp(udp: dgram.Socket, answer: Buffer, rinfo: dgram.RemoteInfo): void {
    // RRL sees every UDP response, fast path or not: it may pass it, truncate it (slip) or drop it.
    const response = this.rrl ? this.rrl.filter(answer, rinfo.address, rinfo.family === 'IPv6' ? 6 : 4) : answer;
    if (!response) return;
    try {
      // No callback: Node would schedule one per datagram. A failed send is the client's timeout.
      udp.send(response, rinfo.port, rinfo.address);
    } catch (err) {
      this.log.debug({ err, client: rinfo.address }, 'udp send failed');
    }
  }

  private accept(socket: net.Socket): void {
    if (this.closing || this.connections.size >= this.maxConnections) {
      this.counters.tcpRejected++;
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    const connection = new TcpConnection(socket, this.handler, {
      idleTimeoutMs: this.idleTimeoutMs,
      maxInFlight: this.maxInFlight,
      log: this.log,
      onIdle: () => this.counters.tcpIdleClosed++,
    });
    this.connections.add(connection);
    this.counters.tcpAccepted++;
    connection.closed.then(
      () => this.connections.delete(connection),
      () => this.connections.delete(connection),
    );
  }
}
