/** `rondo check`: a dedicated checker. Probes the targets of the zone files and writes verdicts to Redis; no DNS. */
import { Command, Option } from 'commander';
import { collect } from '../options.js';
import { logFormatOption, logLevelOption, rootLogger, type LogFormatCliOptions } from '../logging.js';
import { defaultNodeId, Runtime } from '../../server/runtime.js';
import { untilStopped } from '../../server/signals.js';
import { addRedisOptions, requireRedis, redisStore, type RedisCliOptions } from '../redis-options.js';
import { AdminService } from '../../server/admin-service.js';
import { addHttpOptions, adminConfig, adminRedis, type HttpCliOptions } from '../http-options.js';
import { RedisMembershipStore } from '../../health/membership-store.js';
import { MembershipService } from '../../server/membership.js';

interface CheckOptions extends LogFormatCliOptions, RedisCliOptions, HttpCliOptions {
  zones: string[];
  logLevel: string;
  nodeId?: string;
  allowIncludeOutside: boolean;
}

export function checkCommand(): Command {
  const cmd = new Command('check')
    .description('run the health checks of the zone files and share the verdicts through Redis (no DNS listener)')
    .requiredOption('-z, --zones <path>', 'zone file or directory of *.zone files (repeatable)', collect(String))
    .addOption(new Option('--node-id <id>', 'name of this checker in shared state (default host:pid)').env('RONDO_NODE_ID'))
    .option('--allow-include-outside', 'let $INCLUDE read files outside the zone file directory', false)
    .addOption(logLevelOption())
    .addOption(logFormatOption());
  return addHttpOptions(addRedisOptions(cmd)).action(async (opts: CheckOptions) => {
    requireRedis(opts, 'rondo check');
    const admin = adminConfig(opts);
    const logger = rootLogger(opts.logLevel, opts);
    const nodeId = opts.nodeId ?? defaultNodeId();
    const store = redisStore(opts, 'checker', nodeId, logger);
    // Members added through the API are probed too: the overlay comes from Redis (read-only here).
    const membership = new MembershipService({ store: new RedisMembershipStore({ connection: requireRedis(opts, 'rondo check'), prefix: opts.redisPrefix, logger, nodeId }), logger });
    const runtime = new Runtime({ membership, zonePaths: opts.zones, listen: [], checks: true, nodeId, logger, allowIncludeOutside: opts.allowIncludeOutside, store });
    const service = new AdminService(runtime, { admin, redis: adminRedis(opts, store), logger });
    await untilStopped(service, logger, () => [`checking ${runtime.scheduler?.targetCount ?? 0} targets`, service.describe()].filter((s) => s !== '').join('; '));
  });
}
