import { healthKeys } from '../../../health/keys.js';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/logger.js';
import {
  createRedisClient,
  describeRedisTarget,
  parseSentinelAddresses,
  redactRedisUrl,
  redisClientOptions,
  retryDelayMs,
} from '../../../health/redis-connection.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).code;
  }
  return undefined;
}

describe('redis connection options', () => {
  it('command clients fail fast: one retry, no offline queue, a command timeout', () => {
    const { url, options } = redisClientOptions({ url: 'redis://127.0.0.1:6390/2' }, 'commands');
    expect(url).toBe('redis://127.0.0.1:6390/2');
    expect(options).toMatchObject({ maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 2000, lazyConnect: true });
  });

  it('subscriber clients queue and resubscribe', () => {
    const { options } = redisClientOptions({ url: 'rediss://127.0.0.1:6390' }, 'subscriber');
    expect(options).toMatchObject({ enableOfflineQueue: true, autoResubscribe: true, maxRetriesPerRequest: null });
    expect(options.commandTimeout).toBeUndefined();
  });

  it('sentinel options carry the set, the name and the credentials', () => {
    const { url, options } = redisClientOptions(
      { sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'main', password: 'pw', sentinelPassword: 'spw' },
      'commands',
    );
    expect(url).toBeUndefined();
    expect(options).toMatchObject({ sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'main', password: 'pw', sentinelPassword: 'spw', failoverDetector: true });
  });

  it('reconnects on READONLY (old primary demoted after a failover), not on other errors', () => {
    const { options } = redisClientOptions({ url: 'redis://127.0.0.1:6390' }, 'commands');
    expect(options.reconnectOnError?.(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(options.reconnectOnError?.(new Error('WRONGTYPE'))).toBe(false);
  });

  it('refuses bad combinations', () => {
    expect(codeOf(() => redisClientOptions({}, 'commands'))).toBe('REDIS_CONFIG_INVALID');
    expect(codeOf(() => redisClientOptions({ url: 'redis://a', sentinels: [{ host: 'b', port: 1 }] }, 'commands'))).toBe('REDIS_CONFIG_INVALID');
    expect(codeOf(() => redisClientOptions({ url: 'http://127.0.0.1' }, 'commands'))).toBe('REDIS_CONFIG_INVALID');
    expect(codeOf(() => redisClientOptions({ url: 'not a url' }, 'commands'))).toBe('REDIS_CONFIG_INVALID');
    expect(codeOf(() => redisClientOptions({ sentinels: [{ host: 'b', port: 1 }] }, 'commands'))).toBe('REDIS_CONFIG_INVALID');
  });

  it('does not echo the password of a URL it refuses', () => {
    try {
      redisClientOptions({ url: 'ftp://user:hunter2@127.0.0.1' }, 'commands');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => retryDelayMs(n))).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000]);
    expect(retryDelayMs(10, 300)).toBe(300);
  });

  it('always attaches an error listener', () => {
    const client = createRedisClient({ url: 'redis://127.0.0.1:1' }, 'commands', silentLogger());
    try {
      expect(client.listenerCount('error')).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });
});

describe('credential redaction', () => {
  it.each([
    ['redis://user:hunter2@127.0.0.1:6379/0', 'redis://user:***@127.0.0.1:6379/0'],
    ['rediss://:hunter2@cache.example.org:6380', 'rediss://:***@cache.example.org:6380'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis://user@127.0.0.1', 'redis://user@127.0.0.1'],
    ['redis//user:hunter2@bad url', 'redis//***@bad url'],
  ])('%s -> %s', (input, expected) => {
    expect(redactRedisUrl(input)).toBe(expected);
  });

  it('describes a target without secrets', () => {
    expect(describeRedisTarget({ url: 'redis://u:hunter2@127.0.0.1:1' })).not.toContain('hunter2');
    expect(describeRedisTarget({ sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'main', password: 'hunter2' })).toBe('sentinel://127.0.0.1:26379/main');
  });
});

describe('parseSentinelAddresses', () => {
  it('parses host:port lists including IPv6', () => {
    expect(parseSentinelAddresses('127.0.0.1:26379, [::1]:26380')).toEqual([
      { host: '127.0.0.1', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
  });

  it.each(['', 'host', 'host:0', 'host:99999', 'host:port'])('refuses %j', (text) => {
    expect(codeOf(() => parseSentinelAddresses(text))).toBe('REDIS_CONFIG_INVALID');
  });
});

describe('Redis Cluster options (issue 15)', () => {
  it('takes cluster nodes instead of a URL or sentinels, never together', () => {
    expect(() => redisClientOptions({ cluster: [{ host: '127.0.0.1', port: 7000 }] }, 'commands')).not.toThrow();
    expect(() => redisClientOptions({ cluster: [{ host: '127.0.0.1', port: 7000 }], url: 'redis://127.0.0.1:7000' }, 'commands')).toThrow(/exactly one/);
    expect(describeRedisTarget({ cluster: [{ host: '127.0.0.1', port: 7000 }, { host: '::1', port: 7001 }] })).toBe('cluster://127.0.0.1:7000,::1:7001');
    expect(parseSentinelAddresses('127.0.0.1:7000,[::1]:7001', 'cluster node')).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
  });

  it('puts every key and the channel under the hash tag {prefix} on a cluster, and only there', () => {
    const keys = healthKeys('rondo', { cluster: true });
    expect(keys.verdictKey('t1')).toBe('{rondo}:v:t1');
    expect(keys.channel).toBe('{rondo}:changes');
    expect(keys.overrideKey({ kind: 'target', targetId: 't1' })).toBe('{rondo}:o:t:t1');
    expect(keys.nodeKey('n1')).toBe('{rondo}:node:n1');
    expect(keys.targetIdOf('{rondo}:v:t1')).toBe('t1');
    expect(healthKeys('rondo').verdictKey('t1')).toBe('rondo:v:t1');
  });
});
