/**
 * In-process Rondo with its admin side for the admin tests: a Runtime serving a zone written to
 * a temp dir, wrapped in the AdminService `rondo serve --http` uses, both on 127.0.0.1 port 0;
 * plus a DNS sender that can pose as several resolvers (one UDP socket per loopback source).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AdminService, type AdminRedis } from '../../../server/admin-service.js';
import { adminConfig } from '../../../cli/http-options.js';
import { Runtime } from '../../../server/runtime.js';
import type { HealthStoreLike } from '../../../server/runtime.js';
import { silentLogger, type Logger } from '../../../lib/logger.js';
import { buildQuery } from '../../helpers/dns-client.js';

export const ADMIN_ZONE = [
  '$ORIGIN example.test.',
  '$TTL 300',
  '@    IN SOA ns1 hostmaster 2026112101 7200 900 1209600 30',
  '     IN NS  ns1',
  'ns1  IN A   192.0.2.53',
  ';@pool www policy=round-robin answers=1',
  'www  2 IN A 192.0.2.10',
  'www  2 IN A 192.0.2.11',
  'www  2 IN A 192.0.2.12',
  'www  2 IN A 192.0.2.13',
  '',
].join('\n');

export interface AdminRig {
  readonly runtime: Runtime;
  readonly service: AdminService;
  readonly dnsPort: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export async function startAdminRig(options: {
  readonly zone?: string;
  readonly token?: string;
  readonly logger?: Logger;
  readonly store?: HealthStoreLike;
  readonly redis?: AdminRedis;
  readonly nodeId?: string;
  readonly publishIntervalMs?: number;
  readonly pollIntervalMs?: number;
  readonly reportCacheMs?: number;
} = {}): Promise<AdminRig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-admin-'));
  await writeFile(path.join(dir, 'example.test.zone'), options.zone ?? ADMIN_ZONE);
  const logger = options.logger ?? silentLogger();
  const runtime = new Runtime({
    zonePaths: [dir],
    listen: [{ host: '127.0.0.1', port: 0 }],
    checks: false,
    logger,
    ...(options.store ? { store: options.store } : {}),
    ...(options.nodeId ? { nodeId: options.nodeId } : {}),
  });
  const admin = adminConfig({ http: { host: '127.0.0.1', port: 0 }, ...(options.token ? { httpToken: options.token } : {}) });
  const service = new AdminService(runtime, {
    admin,
    redis: options.redis,
    logger,
    ...(options.publishIntervalMs !== undefined ? { publishIntervalMs: options.publishIntervalMs } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.reportCacheMs !== undefined ? { reportCacheMs: options.reportCacheMs } : {}),
  });
  try {
    await service.start();
  } catch (err) {
    await service.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const dnsPort = runtime.server?.addresses()[0]?.port ?? 0;
  const a = service.adminAddress();
  return {
    runtime,
    service,
    dnsPort,
    url: `http://127.0.0.1:${a?.port ?? 0}`,
    dir,
    stop: async () => {
      await service.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sends `count` A queries for `name` from `source` (a loopback address: each /24 is a resolver
 * key to Rondo), `gapMs` apart, and waits for every answer.
 */
export async function queryFrom(source: string, port: number, name: string, count: number, gapMs = 0): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    socket.bind({ address: source, port: 0 });
    await once(socket, 'listening');
    let answered = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${answered} of ${count} answers from ${source}`)), 5000 + count * gapMs);
      socket.on('message', () => {
        if (++answered >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    for (let i = 0; i < count; i++) {
      socket.send(buildQuery({ id: (i + 1) & 0xffff, name }), port, '127.0.0.1');
      if (gapMs > 0 && i + 1 < count) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    await done;
  } finally {
    socket.close();
  }
}
