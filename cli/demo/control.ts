/**
 * The demo's control endpoint on loopback, for scripts and for users without a TTY:
 *   POST /backend/<n>/down | up | toggle   stop or start backend n
 *   GET  /                                 status (backends, health, current answers) as JSON
 */
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';

export type BackendAction = 'up' | 'down' | 'toggle';

export interface DemoControls {
  /** Undefined when there is no backend n. */
  setBackend(n: number, action: BackendAction): Promise<{ backend: number; serving: boolean } | undefined>;
  status(): unknown;
}

export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

const ROUTE = /^\/backend\/(\d+)\/(up|down|toggle)\/?$/;

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

export async function startControlServer(controls: DemoControls, host: string, port: number): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && (url === '/' || url === '/status')) {
      reply(res, 200, controls.status());
      return;
    }
    const route = ROUTE.exec(url);
    if (!route) {
      reply(res, 404, { error: 'try POST /backend/<n>/down, POST /backend/<n>/up or GET /' });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      reply(res, 405, { error: 'use POST' });
      return;
    }
    controls.setBackend(Number(route[1]), route[2] as BackendAction).then(
      (result) => (result ? reply(res, 200, result) : reply(res, 404, { error: `no backend ${route[1]}` })),
      (err: unknown) => reply(res, 500, { error: err instanceof Error ? err.message : String(err) }),
    );
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const boundPort = bound !== null && typeof bound === 'object' ? bound.port : port;
  return {
    url: `http://${host}:${boundPort}`,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
