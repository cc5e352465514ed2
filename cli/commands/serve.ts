/** `rondo serve`: the authoritative DNS server, with checks in-process unless told otherwise. */
import cluster from 'node:cluster';
import { Command, Option } from 'commander';
import { loadGeoIp } from '../../server/geoip.js';
import { collect, formatListen, parseListen, parsePositiveInt, type ListenAddress } from '../options.js';
import { logFormatOption, logLevelOption, rootLogger, type LogFormatCliOptions } from '../logging.js';
import { defaultNodeId, Runtime } from '../../server/runtime.js';
import { untilStopped } from '../../server/signals.js';
import { addRedisOptions, redisStore, type RedisCliOptions } from '../redis-options.js';
import { addRrlOptions, rrlFromOptions, type RrlCliOptions } from '../rrl-options.js';
import { addTcpOptions, tcpLimits, type TcpCliOptions } from '../tcp-options.js';
import { serveWithWorkers } from '../../server/workers.js';
import { AdminService } from '../../server/admin-service.js';
import { addHttpOptions, adminConfig, adminRedis, type HttpCliOptions } from '../http-options.js';
import type { RedisHealthStore } from '../../health/redis-store.js';
import { readKeyDir } from '../../dns/sign/keys.js';
import { ConfigError } from '../../lib/errors.js';
import { addMembershipOptions, membershipService, type MembershipCliOptions } from '../membership-options.js';
import { ExternalDnsServer } from '../../server/externaldns.js';
import { checkWebhookHost } from '../../admin/api/externaldns.js';

interface ServeOptions extends LogFormatCliOptions, RedisCliOptions, RrlCliOptions, HttpCliOptions, TcpCliOptions, MembershipCliOptions {
  zones: string[];
  listen?: ListenAddress[];
  logLevel: string;
  checks: boolean;
  nodeId?: string;
  allowIncludeOutside: boolean;
  workers: number;
  dnssecKeys?: string;
  geoip?: string;
}

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('serve zone files as an authoritative DNS server with health-checked, load-balanced pools')
    .requiredOption('-z, --zones <path>', 'zone file or directory of *.zone files (repeatable)', collect(String))
    .option('-l, --listen <addr:port>', 'address to listen on, UDP and TCP (repeatable; [::1]:5353 for IPv6; default 127.0.0.1:5353)', collect(parseListen))
    .option('--no-checks', 'run no health checks here: take health from Redis only (needs --redis)')
    .addOption(new Option('--node-id <id>', 'name of this process in shared state (default host:pid)').env('RONDO_NODE_ID'))
    .option('--allow-include-outside', 'let $INCLUDE read files outside the zone file directory', false)
    .option('--dnssec-keys <dir>', 'sign the zones that have BIND key files (K<zone>.+<alg>+<tag>.key/.private) in this directory')
    .option('--geoip <file>', 'MaxMind-format database (.mmdb) for the country: and continent: rules of ;@map')
    .option('--workers <n>', 'DNS worker processes sharing the listen sockets; health stays in one primary process', parsePositiveInt, 1)
    .addOption(logLevelOption())
    .addOption(logFormatOption());
  return addMembershipOptions(addHttpOptions(addTcpOptions(addRrlOptions(addRedisOptions(cmd))))).action(async (opts: ServeOptions) => {
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
    const store = redisStore(opts, opts.checks ? 'both' : 'dns', nodeId, logger);
    if (!store && !opts.checks) logger.warn('--no-checks without --redis: no health information at all, every member is answered by its pool\'s unknown rule');
    if (opts.externaldns) checkWebhookHost(opts.externaldns.host);
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
    const audit = { current: undefined as AdminService | undefined };
    const webhook = opts.externaldns
      ? new ExternalDnsServer({ listen: opts.externaldns, membership, logger, audit: (entry) => audit.current?.audit.record(entry) })
      : undefined;
    const service = new AdminService(runtime, { admin, redis: adminRedis(opts, store), logger, membership, extras: webhook ? [webhook] : [] });
    audit.current = service;
    await untilStopped(service, logger, () => [`serving on ${listen.map(formatListen).join(', ')}`, service.describe()].filter((s) => s !== '').join('; '));
  });
}
