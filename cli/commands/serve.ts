/** `rondo serve`: the authoritative DNS server, with checks in-process unless told otherwise. */
import { Command, Option } from 'commander';
import { collect, formatListen, parseListen, type ListenAddress } from '../options.js';
import { logLevelOption, rootLogger } from '../logging.js';
import { defaultNodeId, Runtime } from '../runtime.js';
import { untilStopped } from '../signals.js';
import { addRedisOptions, redisStore, type RedisCliOptions } from '../redis-options.js';

interface ServeOptions extends RedisCliOptions {
  zones: string[];
  listen?: ListenAddress[];
  logLevel: string;
  checks: boolean;
  nodeId?: string;
  allowIncludeOutside: boolean;
}

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('serve zone files as an authoritative DNS server with health-checked, load-balanced pools')
    .requiredOption('-z, --zones <path>', 'zone file or directory of *.zone files (repeatable)', collect(String))
    .option('-l, --listen <addr:port>', 'address to listen on, UDP and TCP (repeatable; [::1]:5353 for IPv6; default 127.0.0.1:5353)', collect(parseListen))
    .option('--no-checks', 'run no health checks here: take health from Redis only (needs --redis)')
    .addOption(new Option('--node-id <id>', 'name of this process in shared state (default host:pid)').env('RONDO_NODE_ID'))
    .option('--allow-include-outside', 'let $INCLUDE read files outside the zone file directory', false)
    .addOption(logLevelOption());
  return addRedisOptions(cmd).action(async (opts: ServeOptions) => {
    const logger = rootLogger(opts.logLevel);
    const listen = opts.listen ?? [parseListen('127.0.0.1:5353')];
    const nodeId = opts.nodeId ?? defaultNodeId();
    const store = redisStore(opts, opts.checks ? 'both' : 'dns', nodeId, logger);
    if (!store && !opts.checks) logger.warn('--no-checks without --redis: no health information at all, every member is answered by its pool\'s unknown rule');
    const runtime = new Runtime({
      zonePaths: opts.zones,
      listen,
      checks: opts.checks,
      nodeId,
      logger,
      allowIncludeOutside: opts.allowIncludeOutside,
      store,
    });
    await untilStopped(runtime, logger, () => `serving on ${listen.map(formatListen).join(', ')}`);
  });
}
