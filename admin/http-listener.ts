/**
 * The socket side of the admin listener and the ExternalDNS webhook: binds an http.Server, keeps
 * its connections so close() can end keep-alive clients, and reports the address it got.
 */
import type http from 'node:http';
import type net from 'node:net';

/** How long close() lets open requests finish before it cuts their connections. */
const CLOSE_GRACE_MS = 1000;

export class HttpListener {
  private readonly sockets = new Set<net.Socket>();
  private bound: { host: string; port: number } | undefined;

  constructor(private readonly server: http.Server) {
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Binds; resolves with the address (the real port when 0 was asked), rejects when binding fails. */
  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    this.bound = { host, port: typeof address === 'object' && address ? address.port : port };
    return this.bound;
  }

  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }
}
