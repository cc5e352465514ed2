/**
 * Building ioredis clients from Rondo's options: a URL (`redis://`, `rediss://` for TLS, with
 * optional `user:password@`) or a Sentinel set. Every client gets an `error` listener (without one
 * ioredis prints "Unhandled error event" on each retry), a capped reconnect backoff, and — for
 * clients near the query path — a low `maxRetriesPerRequest`, no offline queue and a command
 * timeout, so a missing or hung Redis turns into a fast error instead of a growing queue.
 */
import type { Cluster, Redis, ClusterOptions, RedisOptions } from 'ioredis';
import { ConfigError, StateStoreError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { onFirstUse } from '../lib/on-first-use.js';

/** ioredis, loaded by the first client made (a server without Redis never loads it). */
const ioredis = onFirstUse<typeof import('ioredis')>('ioredis');

export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). Exclusive with `sentinels`. */
  readonly url?: string | undefined;
  /**
   * Redis Cluster seed nodes (`--redis-cluster`); the client finds the rest. Exclusive with `url`
   * and `sentinels`. Every key and the change channel carry the hash tag `{prefix}` then (one
   * slot: the scripts, pipelines and transactions stay single-slot), and changes are announced
   * with sharded pub/sub (SPUBLISH/SSUBSCRIBE). Credentials: `username`/`password`.
   */
  readonly cluster?: readonly SentinelAddress[] | undefined;
  /** Sentinel addresses; the primary is found by asking them for `name`. */
  readonly sentinels?: readonly SentinelAddress[] | undefined;
  /** The Sentinel master group name (`sentinel monitor NAME …`). Required with `sentinels`. */
  readonly name?: string | undefined;
  /** Credentials for the data nodes when using Sentinel (a URL carries its own). */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Credentials for the sentinels themselves, if they require auth. */
  readonly sentinelPassword?: string | undefined;
  readonly db?: number | undefined;
  /** Milliseconds to establish a TCP connection. Default 2000. */
  readonly connectTimeoutMs?: number | undefined;
  /** Longest pause between reconnect attempts, milliseconds. Default 2000. */
  readonly maxRetryDelayMs?: number | undefined;
}

/** How a client is used; decides queueing and timeouts. */
export type ConnectionPurpose =
  /** Short commands near the query path: fail fast when Redis is away. */
  | 'commands'
  /** Pub/sub subscriber: subscriptions are queued until connected and resubscribed after a drop. */
  | 'subscriber';

export interface ConnectionTuning {
  /** Milliseconds before a command without reply is rejected (commands only). Default 2000. */
  readonly commandTimeoutMs?: number | undefined;
  /** Client name shown by `CLIENT LIST`, e.g. `rondo:dns:host:123`. */
  readonly connectionName?: string | undefined;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_MAX_RETRY_DELAY_MS = 2000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** Capped exponential backoff: 50, 100, 200, … milliseconds, never more than `capMs`. */
export function retryDelayMs(attempt: number, capMs = DEFAULT_MAX_RETRY_DELAY_MS): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 16);
  return Math.min(50 * 2 ** exponent, capMs);
}

/** Checks the options and returns them in the form ioredis takes. Throws ConfigError. */
export function redisClientOptions(
  options: RedisConnectionOptions,
  purpose: ConnectionPurpose,
  tuning: ConnectionTuning = {},
): { url: string | undefined; options: RedisOptions } {
  const hasUrl = options.url !== undefined && options.url !== '';
  const hasSentinels = options.sentinels !== undefined && options.sentinels.length > 0;
  const hasCluster = options.cluster !== undefined && options.cluster.length > 0;
  if ([hasUrl, hasSentinels, hasCluster].filter(Boolean).length !== 1) {
    throw new ConfigError('REDIS_CONFIG_INVALID', 'redis: give either a URL, a list of sentinels or a list of cluster nodes (exactly one)');
  }
  const capMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const base: RedisOptions = {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => retryDelayMs(attempt, capMs),
    // After a Sentinel failover the old primary may come back as a replica: reconnect (and find the
    // new primary) instead of failing every write with READONLY.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    keepAlive: 10_000,
    connectionName: tuning.connectionName,
    ...(purpose === 'commands'
      ? {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          commandTimeout: tuning.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
          autoResubscribe: false,
        }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true, autoResubscribe: true }),
  };
  if (hasCluster) return { url: undefined, options: { ...base, username: options.username, password: options.password } };
  if (hasUrl) {
    const url = options.url as string;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw new ConfigError('REDIS_CONFIG_INVALID', `redis URL is not a URL (got ${JSON.stringify(redactRedisUrl(url))})`, { cause: err });
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new ConfigError('REDIS_CONFIG_INVALID', `redis URL must start with redis:// or rediss:// (got ${JSON.stringify(parsed.protocol)})`);
    }
    // ioredis reads host, port, user, password, db and (for rediss:) TLS from the URL itself.
    return { url, options: base };
  }
  if (options.name === undefined || options.name === '') {
    throw new ConfigError('REDIS_CONFIG_INVALID', 'redis: a sentinel master name is required with sentinels');
  }
  return {
    url: undefined,
    options: {
      ...base,
      sentinels: options.sentinels?.map((s) => ({ host: s.host, port: s.port })),
      name: options.name,
      username: options.username,
      password: options.password,
      sentinelPassword: options.sentinelPassword,
      db: options.db,
      sentinelRetryStrategy: (attempt) => retryDelayMs(attempt, capMs),
      // Subscribes to +switch-master so a failover is noticed at once, not at the next error.
      failoverDetector: true,
    },
  };
}

/**
 * A new ioredis client (not yet connected: call `connect()`, the listeners are already there).
 * Connection errors are logged at debug only: use `ConnectionWatch` to report outages once.
 */
export function createRedisClient(
  options: RedisConnectionOptions,
  purpose: ConnectionPurpose,
  log: Logger,
  tuning: ConnectionTuning = {},
): Redis {
  const { url, options: clientOptions } = redisClientOptions(options, purpose, tuning);
  const client = options.cluster !== undefined && options.cluster.length > 0
    ? createClusterClient(options.cluster, clientOptions, purpose)
    : url === undefined
      ? new (ioredis().Redis)(clientOptions)
      : new (ioredis().Redis)(url, clientOptions);
  client.on('error', (err: Error) => {
    log.debug({ err: redisErrorForLog(err), connection: purpose }, 'redis client error');
  });
  return client;
}

/**
 * An ioredis Cluster client, typed as the single-node client the rest of the code uses: the
 * commands Rondo sends (single-slot, thanks to the `{prefix}` hash tag) behave the same; the few
 * places that differ (SCAN per primary, SPUBLISH/SSUBSCRIBE) ask `isCluster(client)`.
 */
function createClusterClient(nodes: readonly SentinelAddress[], redisOptions: RedisOptions, purpose: ConnectionPurpose): Redis {
  const { lazyConnect: _lazy, enableOfflineQueue, retryStrategy, connectionName, ...nodeOptions } = redisOptions;
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: (attempt) => retryStrategy?.(attempt) ?? 200,
    // During a failover the slot's primary is gone for a few seconds: retry (bounded) on the new one.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    slotsRefreshTimeout: 2000,
    slotsRefreshInterval: 5000,
    scaleReads: 'master',
    shardedSubscribers: purpose === 'subscriber',
    redisOptions: { ...nodeOptions, connectionName },
  };
  return new (ioredis().Cluster)(nodes.map((n) => ({ host: n.host, port: n.port })), options) as unknown as Redis;
}

/** True for a Redis Cluster client (see createClusterClient). */
export function isCluster(client: Redis): boolean {
  return (client as unknown as { isCluster?: boolean }).isCluster === true;
}

/**
 * Adds a change announcement to a pipeline or MULTI: classic PUBLISH on one Redis, sharded
 * SPUBLISH on a cluster (delivered by the shard that owns the channel's slot, which the `{prefix}`
 * hash tag makes the shard of the data; classic PUBLISH would be broadcast to every node).
 */
export function announceIn(pipe: { publish(channel: string, message: string): unknown; spublish(channel: string, message: string): unknown }, client: Redis, channel: string, message: string): void {
  if (isCluster(client)) pipe.spublish(channel, message);
  else pipe.publish(channel, message);
}

/**
 * The client itself, or for a cluster the same client with SCAN made cluster-wide (every primary;
 * one call returns every key), for code written against one Redis's SCAN loop.
 */
export interface ScanSetGet {
  set(key: string, value: string, px: 'PX', ttlMs: number): Promise<unknown>;
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  mget(keys: string[]): Promise<(string | null)[]>;
}

export function withClusterScan(client: Redis): ScanSetGet {
  if (!isCluster(client)) return client;
  return {
    set: (key, value, px, ttlMs) => client.set(key, value, px, ttlMs),
    mget: (keys) => client.mget(keys),
    scan: async (cursor, _match, pattern) => (cursor === '0' ? ['0', await scanKeys(client, pattern)] : ['0', []]),
  };
}

/** The clients of every primary of a cluster, or the client itself. */
export function primaries(client: Redis): Redis[] {
  return isCluster(client) ? (client as unknown as Cluster).nodes('master') : [client];
}

/** A description of where we connect, safe for logs and status output. */
export function describeRedisTarget(options: RedisConnectionOptions): string {
  if (options.url !== undefined && options.url !== '') return redactRedisUrl(options.url);
  if (options.cluster !== undefined && options.cluster.length > 0) return `cluster://${options.cluster.map((s) => `${s.host}:${s.port}`).join(',')}`;
  const list = (options.sentinels ?? []).map((s) => `${s.host}:${s.port}`).join(',');
  return `sentinel://${list}/${options.name ?? ''}`;
}

/** The URL with any password replaced by `***` (the user name is kept: it helps and is not secret). */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') {
      parsed.password = '***';
      return parsed.toString();
    }
    return url;
  } catch {
    // Not a URL: hide anything between `//` and `@`, which is where credentials would be.
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
}

/** `host:port,host:port` (IPv6 as `[::1]:26379`) → sentinel addresses. Throws ConfigError. */
export function parseSentinelAddresses(text: string, what = 'sentinel'): SentinelAddress[] {
  const out: SentinelAddress[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(item);
    const host = m?.[1] ?? m?.[2];
    const port = Number(m?.[3]);
    if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError('REDIS_CONFIG_INVALID', `redis ${what} address must be host:port (got ${JSON.stringify(item)})`);
    }
    out.push({ host, port });
  }
  if (out.length === 0) throw new ConfigError('REDIS_CONFIG_INVALID', `redis ${what} list is empty`);
  return out;
}

/**
 * An ioredis error made safe to log: ReplyErrors carry the failed command with its arguments
 * (`AUTH user password`!), and connection errors can echo the URL. Keeps type, code and a
 * redacted message only.
 */
export function redisErrorForLog(err: unknown): { type: string; message: string; code?: string } {
  if (!(err instanceof Error)) {
    // ioredis emits some errors as plain objects with a message.
    const message = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string' ? (err as { message: string }).message : String(err);
    return { type: typeof err, message: redactSecrets(message) };
  }
  const code = (err as { code?: unknown }).code;
  return { type: err.name, message: redactSecrets(err.message), ...(typeof code === 'string' ? { code } : {}) };
}

function redactSecrets(text: string): string {
  return text.replace(/(\w+:\/\/[^/@\s:]*:)[^/@\s]*@/g, '$1***@');
}

/**
 * Reports the health of a group of connections once per change: one `error` line when the first
 * of them drops (not one per retry), one `info` line when all are ready again.
 */
export class ConnectionWatch {
  private readonly clients: readonly Redis[];
  private readonly log: Logger;
  private readonly target: string;
  private lost = false;
  private everReady = false;
  private readonly detach: (() => void)[] = [];
  private readonly onRestored: () => void;

  constructor(clients: readonly Redis[], log: Logger, target: string, onRestored: () => void = () => {}) {
    this.clients = clients;
    this.log = log;
    this.target = target;
    this.onRestored = onRestored;
    for (const client of clients) {
      const ready = () => this.update();
      const down = () => this.update();
      client.on('ready', ready);
      client.on('close', down);
      client.on('end', down);
      this.detach.push(() => {
        client.off('ready', ready);
        client.off('close', down);
        client.off('end', down);
      });
    }
  }

  /** Call when the first connection attempt has failed or timed out: reports it like a loss. */
  markUnreachable(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    this.log.error({ redis: this.target, reason }, 'redis unreachable; serving the last known health');
  }

  get allReady(): boolean {
    return this.clients.every((c) => c.status === 'ready');
  }

  close(): void {
    for (const d of this.detach) d();
    this.detach.length = 0;
  }

  private update(): void {
    if (this.allReady) {
      this.everReady = true;
      if (this.lost) {
        this.lost = false;
        this.log.info({ redis: this.target }, 'redis connection restored');
        this.onRestored();
      }
      return;
    }
    if (!this.lost && this.everReady && this.clients.some((c) => c.status !== 'ready')) {
      this.lost = true;
      this.log.error({ redis: this.target }, 'redis connection lost; serving the last known health');
    }
  }
}

/** Waits until the client is ready, up to `timeoutMs`; resolves false on timeout or abort. */
export function waitReady(client: Redis, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onReady = () => done(true);
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Closes a client politely (QUIT), or abruptly if Redis does not answer within `timeoutMs`. */
export async function closeClient(client: Redis, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * Every key matching `pattern`, by SCAN (never KEYS, which blocks Redis). SCAN may return a key
 * twice; the set removes duplicates. Bounded: gives up with an error after `maxRounds` calls.
 */
export async function scanKeys(client: Redis, pattern: string, count = 1000, maxRounds = 100_000): Promise<string[]> {
  const found = new Set<string>();
  for await (const keys of scanKeyBatches(client, pattern, count, maxRounds)) for (const key of keys) found.add(key);
  return [...found];
}

/**
 * The keys matching `pattern` as SCAN returns them, one reply at a time, so a caller can work on
 * each batch without holding them all (the Redis reader's resync, 10,000 keys and more). A key may
 * come twice. Bounded like scanKeys.
 */
export async function* scanKeyBatches(client: Redis, pattern: string, count = 1000, maxRounds = 100_000): AsyncGenerator<string[]> {
  let round = 0;
  // A cluster: every primary holds its own keys (Rondo's are all in one slot, but SCAN cannot know).
  for (const node of primaries(client)) {
    let cursor = '0';
    for (; round < maxRounds; round++) {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      if (keys.length > 0) yield keys;
      cursor = next;
      if (cursor === '0') break;
    }
    if (cursor !== '0') break;
  }
  if (round >= maxRounds) throw new StateStoreError('REDIS_SCAN_UNFINISHED', `SCAN ${pattern} did not finish within ${maxRounds} rounds`);
}

/**
 * A connected command client for one-shot tools (`rondo status`, `rondo drain`): throws
 * StateStoreError REDIS_UNREACHABLE if Redis is not ready within `timeoutMs`.
 */
export async function connectRedis(
  options: RedisConnectionOptions,
  log: Logger,
  timeoutMs = 5000,
  tuning: ConnectionTuning = {},
): Promise<Redis> {
  const client = createRedisClient(options, 'commands', log, tuning);
  client.connect().catch(() => undefined);
  if (!(await waitReady(client, timeoutMs))) {
    client.disconnect();
    throw new StateStoreError('REDIS_UNREACHABLE', `redis at ${describeRedisTarget(options)} is not reachable (waited ${timeoutMs}ms)`);
  }
  return client;
}
