/**
 * The demo's web backends: tiny HTTP servers that answer `/healthz` with 200 and anything else
 * with their name, and count what they serve. stop() closes the listener (connects are refused,
 * as when a server process dies); start() listens again on the same address and port.
 *
 * On Linux the whole of 127.0.0.0/8 is local, so the three backends listen on 127.0.0.11, .12 and
 * .13 with one port and the zone answers those addresses, which makes dig output look real. Where
 * only 127.0.0.1 exists (macOS), they listen on 127.0.0.1 with three ports and the zone answers
 * documentation addresses (192.0.2.11-13) probed at 127.0.0.1:port.
 */
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';

export interface DemoBackendInfo {
  /** 1-based, as the user types it. */
  readonly number: number;
  /** Where it listens and is probed. */
  readonly address: string;
  readonly port: number;
  /** What the zone answers for it. */
  readonly recordAddress: string;
}

export class DemoBackend implements DemoBackendInfo {
  private server: http.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private servedCount = 0;
  private probeCount = 0;
  port = 0;

  constructor(
    readonly number: number,
    readonly address: string,
    readonly recordAddress: string,
  ) {}

  get serving(): boolean {
    return this.server !== undefined;
  }

  /** Requests answered at anything but /healthz. */
  get served(): number {
    return this.servedCount;
  }

  /** Health probes answered. */
  get probes(): number {
    return this.probeCount;
  }

  /** Listens on `port` (0 picks one); rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL). */
  async listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.url === '/healthz') {
        this.probeCount += 1;
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
        return;
      }
      this.servedCount += 1;
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`backend ${this.number} (${this.recordAddress}) served request #${this.servedCount}\n`);
    });
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
    this.port = bound !== null && typeof bound === 'object' ? bound.port : port;
    this.server = server;
  }

  async start(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = once(server, 'close');
    server.close();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

const LOOPBACK_ADDRESSES = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const DOCUMENTATION_ADDRESSES = ['192.0.2.11', '192.0.2.12', '192.0.2.13'];
const PORT_ATTEMPTS = 10;

async function stopAll(backends: readonly DemoBackend[]): Promise<void> {
  await Promise.all(backends.map((b) => b.stop()));
}

/** Three backends on 127.0.0.11-13 sharing one free port; three ports on 127.0.0.1 where that is impossible. */
export async function startDemoBackends(): Promise<DemoBackend[]> {
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const backends = LOOPBACK_ADDRESSES.map((address, i) => new DemoBackend(i + 1, address, address));
    try {
      let port = 0;
      for (const backend of backends) {
        await backend.listen(port);
        port = backend.port;
      }
      return backends;
    } catch (err) {
      await stopAll(backends);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRNOTAVAIL') break;
      if (code !== 'EADDRINUSE') throw err;
    }
  }
  const backends = DOCUMENTATION_ADDRESSES.map((record, i) => new DemoBackend(i + 1, '127.0.0.1', record));
  try {
    for (const backend of backends) await backend.listen(0);
  } catch (err) {
    await stopAll(backends);
    throw err;
  }
  return backends;
}
