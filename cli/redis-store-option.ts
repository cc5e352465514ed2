/**
 * The shared health store the Redis options ask for. Apart from redis-options.ts so that a
 * command without Redis (a plain `rondo serve`) does not import the store and its codecs.
 */
import type { Logger } from '../lib/logger.js';
import { RedisHealthStore } from '../health/redis-store.js';
import type { NodeRole } from '../health/heartbeat.js';
import { redisConnection, type RedisCliOptions } from './redis-options.js';

export function redisStore(opts: RedisCliOptions, role: NodeRole, nodeId: string, logger: Logger): RedisHealthStore | undefined {
  const connection = redisConnection(opts);
  if (!connection) return undefined;
  return new RedisHealthStore({ connection, role, logger, prefix: opts.redisPrefix, nodeId, version: '0.1.0' });
}
