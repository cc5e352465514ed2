/**
 * What `rondo serve` runs (its options: serve.ts). The admin side (HTTP server, reports, snapshot
 * writer), the Redis store, the ExternalDNS webhook and the worker cluster are imported only when
 * their options ask for them: a plain `rondo serve` loads about 50 modules fewer, which is start-up
 * time and RSS against the bounds of issue 14 (docs/large-zones.md "Start-up").
 */
import cluster from 'node:cluster';
import { loadGeoIp } from '../../server/geoip.js';
import { formatListen, parseListen } from '../options.js';
import { rootLogger } from '../logging.js';
import { defaultNodeId, Runtime } from '../../server/runtime.js';
import { untilStopped } from '../../server/signals.js';
import { rrlFromOptions } from '../rrl-options.js';
import { tcpLimits } from '../tcp-options.js';
import { adminConfig, adminRedis } from '../http-options.js';
import type { RedisHealthStore } from '../../health/redis-store.js';
import type { AdminService } from '../../server/admin-service.js';
import { readKeyDir } from '../../dns/sign/keys.js';
import { ConfigError } from '../../lib/errors.js';
import { membershipService } from '../membership-options.js';
import { redisConnection } from '../redis-options.js';
import type { ServeOptions } from './serve.js';

export async function runServe(opts: ServeOptions): Promise<void> {
  const admin = adminConfig(opts);
  const logger = rootLogger(opts.logLevel, opts);
  const listen = opts.listen ?? [parseListen('127.0.0.1:5353')];
  const nodeId = opts.nodeId ?? defaultNodeId();
  const dnssecKeys = opts.dnssecKeys === undefined ? undefined : await readKeyDir(opts.dnssecKeys);
  if (dnssecKeys) logger.info({ dir: opts.dnssecKeys, zones: [...dnssecKeys.keys()] }, 'DNSSEC keys read');
  const geo = opts.geoip === undefined ? undefined : await loadGeoIp(opts.geoip);
  if (geo) logger.info({ geoip: geo.description }, 'GeoIP database loaded');
  if ((opts.workers > 1 || cluster.isWorker) && opts.externaldns) {
    throw new ConfigError('CONFIG_EXTERNALDNS_WORKERS', '--externaldns needs a single process: leave out --workers (the write API and the webhook are not available with workers)');
  }
  if (opts.workers > 1 || cluster.isWorker) {
    const { zones: zonePaths, checks, allowIncludeOutside, workers } = opts;
    const [{ serveWithWorkers }, { AdminService }, { redisStore }] = await Promise.all([
      import('../../server/workers.js'),
      import('../../server/admin-service.js'),
      import('../redis-store-option.js'),
    ]);
    // Made in the primary only (workers take health over IPC), then handed to its admin side.
    let shared: RedisHealthStore | undefined;
    const store = () => (shared = redisStore(opts, checks ? 'both' : 'dns', nodeId, logger));
    await serveWithWorkers({
      workers,
      zonePaths,
      listen,
      checks,
      nodeId,
      logger,
      allowIncludeOutside,
      store,
      geo,
      rrl: () => rrlFromOptions(opts),
      tcp: tcpLimits(opts),
      dnssecKeys,
      admin: (runtime, clusterSide) => new AdminService(runtime, { admin, redis: adminRedis(opts, shared), logger, cluster: clusterSide }),
    });
    return;
  }
  const rrl = rrlFromOptions(opts);
  // redisConnection throws for contradictory Redis options, as redisStore would.
  const store = redisConnection(opts) ? (await import('../redis-store-option.js')).redisStore(opts, opts.checks ? 'both' : 'dns', nodeId, logger) : undefined;
  if (!store && !opts.checks) logger.warn('--no-checks without --redis: no health information at all, every member is answered by its pool\'s unknown rule');
  if (opts.externaldns) (await import('../../admin/api/externaldns.js')).checkWebhookHost(opts.externaldns.host);
  const membership = membershipService(opts, nodeId, logger);
  const runtime = new Runtime({
    membership,
    zonePaths: opts.zones,
    listen,
    checks: opts.checks,
    nodeId,
    logger,
    allowIncludeOutside: opts.allowIncludeOutside,
    store,
    rrl,
    tcp: tcpLimits(opts),
    dnssecKeys,
    geo,
  });
  const serving = `serving on ${listen.map(formatListen).join(', ')}`;
  if (!admin && !store && !opts.externaldns) {
    // No admin listener, no snapshot writer, no webhook: the admin side would only pass start,
    // reload and stop through to the runtime, so it is not loaded.
    await untilStopped(runtime, logger, () => serving);
    return;
  }
  const { AdminService } = await import('../../server/admin-service.js');
  const audit = { current: undefined as AdminService | undefined };
  const webhook = opts.externaldns
    ? new (await import('../../server/externaldns.js')).ExternalDnsServer({ listen: opts.externaldns, membership, logger, audit: (entry) => audit.current?.audit.record(entry) })
    : undefined;
  const service = new AdminService(runtime, { admin, redis: adminRedis(opts, store), logger, membership, extras: webhook ? [webhook] : [] });
  audit.current = service;
  await untilStopped(service, logger, () => [serving, service.describe()].filter((s) => s !== '').join('; '));
}
