/** The pool's HTTP backends: one tiny server per member address (127.0.0.11-14), all on one port. */
import { once } from 'node:events';
import http from 'node:http';

export interface Backends {
  readonly port: number;
  close(): Promise<void>;
}

export async function startBackends(addresses: readonly string[]): Promise<Backends> {
  const servers: http.Server[] = [];
  let port = 0;
  for (const address of addresses) {
    const server = http.createServer((_req, res) => res.end('ok\n'));
    server.keepAliveTimeout = 1000;
    server.listen({ host: address, port, exclusive: true });
    await once(server, 'listening');
    const bound = server.address();
    if (port === 0 && typeof bound === 'object' && bound !== null) port = bound.port;
    servers.push(server);
  }
  return {
    port,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
