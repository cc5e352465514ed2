/** The admin HTTP options of `rondo serve` and `rondo check` (`--http`, `--http-token`). */
import { Command, Option } from 'commander';
import { adminAuth } from '../admin/auth.js';
import { describeRedisTarget } from '../health/redis-connection.js';
import type { RedisHealthStore } from '../health/redis-store.js';
import type { AdminConfig, AdminRedis } from '../server/admin-service.js';
import { parseListen, type ListenAddress } from './options.js';
import { redisConnection, type RedisCliOptions } from './redis-options.js';

export interface HttpCliOptions {
  http?: ListenAddress;
  httpToken?: string;
}

export function addHttpOptions(cmd: Command): Command {
  return cmd
    .option('--http <addr:port>', 'serve /metrics, /status, /report and the dashboard over HTTP here (loopback unless a token is set), e.g. 127.0.0.1:8053', parseListen)
    .addOption(new Option('--http-token <token>', 'bearer token the admin HTTP side requires (required when --http is not loopback; at least 16 characters)').env('RONDO_HTTP_TOKEN'));
}

/** The admin settings, checked before anything starts (ConfigError when a token is missing or weak). */
export function adminConfig(opts: HttpCliOptions): AdminConfig | undefined {
  if (!opts.http) return undefined;
  return { listen: opts.http, auth: adminAuth(opts.http.host, opts.httpToken) };
}

/** The store and its redacted name for the admin side, when Redis is on. */
export function adminRedis(opts: RedisCliOptions, store: RedisHealthStore | undefined): AdminRedis | undefined {
  const connection = redisConnection(opts);
  return store && connection ? { store, target: describeRedisTarget(connection) } : undefined;
}
