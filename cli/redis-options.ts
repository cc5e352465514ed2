/** The Redis options shared by serve, check, status, drain and force. */
import { Command, Option } from 'commander';
import type { Logger } from '../lib/logger.js';
import { ConfigError } from '../lib/errors.js';
import { parseSentinelAddresses, type RedisConnectionOptions } from '../health/redis-connection.js';
import { DEFAULT_REDIS_PREFIX } from '../health/keys.js';
import { RedisHealthStore } from '../health/redis-store.js';
import type { NodeRole } from '../health/heartbeat.js';

export interface RedisCliOptions {
  redis?: string;
  redisSentinel?: string;
  redisMasterName?: string;
  redisPassword?: string;
  redisPrefix: string;
}

export function addRedisOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--redis <url>', 'share health through Redis: redis://[user:password@]host:port[/db] or rediss://').env('REDIS_URL'))
    .addOption(new Option('--redis-sentinel <host:port,...>', 'find the Redis primary through these Sentinels').env('REDIS_SENTINELS'))
    .addOption(new Option('--redis-master-name <name>', 'the Sentinel master group name').env('REDIS_MASTER_NAME'))
    .addOption(new Option('--redis-password <password>', 'password for the Redis data nodes when using Sentinel').env('REDIS_PASSWORD'))
    .addOption(new Option('--redis-prefix <prefix>', 'namespace for every key, so installations can share a Redis').default(DEFAULT_REDIS_PREFIX).env('REDIS_PREFIX'));
}

/** The connection options, or undefined when no Redis was asked for. */
export function redisConnection(opts: RedisCliOptions): RedisConnectionOptions | undefined {
  if (opts.redis && opts.redisSentinel) throw new ConfigError('CONFIG_REDIS_BOTH', '--redis and --redis-sentinel are exclusive: pick one');
  if (opts.redisSentinel) {
    if (!opts.redisMasterName) throw new ConfigError('CONFIG_REDIS_MASTER_NAME', '--redis-sentinel needs --redis-master-name (the name in `sentinel monitor NAME ...`)');
    return { sentinels: parseSentinelAddresses(opts.redisSentinel), name: opts.redisMasterName, password: opts.redisPassword };
  }
  if (opts.redis) return { url: opts.redis };
  return undefined;
}

export function requireRedis(opts: RedisCliOptions, what: string): RedisConnectionOptions {
  const connection = redisConnection(opts);
  if (!connection) throw new ConfigError('CONFIG_REDIS_REQUIRED', `${what} needs shared state: give --redis <url> or --redis-sentinel with --redis-master-name`);
  return connection;
}

export function redisStore(opts: RedisCliOptions, role: NodeRole, nodeId: string, logger: Logger): RedisHealthStore | undefined {
  const connection = redisConnection(opts);
  if (!connection) return undefined;
  return new RedisHealthStore({ connection, role, logger, prefix: opts.redisPrefix, nodeId, version: '0.1.0' });
}
