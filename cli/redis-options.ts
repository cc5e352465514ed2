/** The Redis options shared by serve, check, status, drain and force. */
import { Command, Option } from 'commander';
import { ConfigError } from '../lib/errors.js';
import { parseSentinelAddresses, type RedisConnectionOptions } from '../health/redis-connection.js';
import { DEFAULT_REDIS_PREFIX, healthKeys, type HealthKeys } from '../health/keys.js';

export interface RedisCliOptions {
  redis?: string;
  redisSentinel?: string;
  redisCluster?: string;
  redisMasterName?: string;
  redisPassword?: string;
  redisPrefix: string;
}

export function addRedisOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--redis <url>', 'share health through Redis: redis://[user:password@]host:port[/db] or rediss://').env('REDIS_URL'))
    .addOption(new Option('--redis-sentinel <host:port,...>', 'find the Redis primary through these Sentinels').env('REDIS_SENTINELS'))
    .addOption(new Option('--redis-cluster <host:port,...>', 'share health through a Redis Cluster: some of its nodes (the rest are discovered)').env('REDIS_CLUSTER'))
    .addOption(new Option('--redis-master-name <name>', 'the Sentinel master group name').env('REDIS_MASTER_NAME'))
    .addOption(new Option('--redis-password <password>', 'password for the Redis data nodes when using Sentinel or Cluster').env('REDIS_PASSWORD'))
    .addOption(new Option('--redis-prefix <prefix>', 'namespace for every key, so installations can share a Redis').default(DEFAULT_REDIS_PREFIX).env('REDIS_PREFIX'));
}

/** The connection options, or undefined when no Redis was asked for. */
export function redisConnection(opts: RedisCliOptions): RedisConnectionOptions | undefined {
  if ([opts.redis, opts.redisSentinel, opts.redisCluster].filter((o) => o !== undefined && o !== '').length > 1) {
    throw new ConfigError('CONFIG_REDIS_BOTH', '--redis, --redis-sentinel and --redis-cluster are exclusive: pick one');
  }
  if (opts.redisCluster) return { cluster: parseSentinelAddresses(opts.redisCluster, 'cluster node'), password: opts.redisPassword };
  if (opts.redisSentinel) {
    if (!opts.redisMasterName) throw new ConfigError('CONFIG_REDIS_MASTER_NAME', '--redis-sentinel needs --redis-master-name (the name in `sentinel monitor NAME ...`)');
    return { sentinels: parseSentinelAddresses(opts.redisSentinel), name: opts.redisMasterName, password: opts.redisPassword };
  }
  if (opts.redis) return { url: opts.redis };
  return undefined;
}

export function requireRedis(opts: RedisCliOptions, what: string): RedisConnectionOptions {
  const connection = redisConnection(opts);
  if (!connection) throw new ConfigError('CONFIG_REDIS_REQUIRED', `${what} needs shared state: give --redis <url>, --redis-sentinel with --redis-master-name, or --redis-cluster`);
  return connection;
}

/** The key layout for these options (hash-tagged on a cluster). */
export function redisKeys(opts: RedisCliOptions): HealthKeys {
  return healthKeys(opts.redisPrefix, { cluster: opts.redisCluster !== undefined && opts.redisCluster !== '' });
}
