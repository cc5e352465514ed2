import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { healthKeys, memberKey, scopeId, validateRedisPrefix } from '../../../health/keys.js';

describe('health keys', () => {
  const keys = healthKeys();

  it('builds every key from the default prefix', () => {
    expect(keys.prefix).toBe('rondo');
    expect(keys.channel).toBe('rondo:changes');
    expect(keys.verdictKey('example.test./web/192.0.2.10/80')).toBe('rondo:v:example.test./web/192.0.2.10/80');
    expect(keys.verdictPattern).toBe('rondo:v:*');
    expect(keys.nodeKey('host-a:42')).toBe('rondo:node:host-a:42');
    expect(keys.overrideKey({ kind: 'target', targetId: 't1' })).toBe('rondo:o:t:t1');
    expect(keys.overrideKey({ kind: 'member', pool: 'WWW.Example.Test', address: '2001:DB8::1' })).toBe('rondo:o:m:www.example.test./2001:db8::1');
  });

  it('parses keys back, including IPv6 target ids', () => {
    const id = 'example.test./web/2001:db8::10/443';
    expect(keys.targetIdOf(keys.verdictKey(id))).toBe(id);
    expect(keys.targetIdOf('other:v:x')).toBeUndefined();
    expect(keys.targetIdOf('rondo:v:')).toBeUndefined();
    expect(keys.nodeIdOf('rondo:node:h:1')).toBe('h:1');
    expect(keys.scopeOf('rondo:o:t:t1')).toEqual({ kind: 'target', targetId: 't1' });
    expect(keys.scopeOf('rondo:o:m:www.example.test./2001:db8::1')).toEqual({ kind: 'member', pool: 'www.example.test.', address: '2001:db8::1' });
    expect(keys.scopeOf('rondo:o:m:noslash')).toBeUndefined();
    expect(keys.scopeOf('rondo:o:x:t1')).toBeUndefined();
  });

  it('uses the given prefix everywhere', () => {
    const k = healthKeys('staging-1');
    expect([k.channel, k.verdictKey('t'), k.nodeKey('n'), k.overridePattern]).toEqual(['staging-1:changes', 'staging-1:v:t', 'staging-1:node:n', 'staging-1:o:*']);
  });

  it.each(['', 'a:b', 'a*', 'a b', 'x'.repeat(65), 'a[1]'])('refuses prefix %j', (prefix) => {
    expect(() => validateRedisPrefix(prefix)).toThrow(ConfigError);
    try {
      validateRedisPrefix(prefix);
    } catch (err) {
      expect((err as ConfigError).code).toBe('REDIS_PREFIX_INVALID');
    }
  });

  it('member keys are lowercase and absolute', () => {
    expect(memberKey('WWW.example.test', '192.0.2.10')).toBe('www.example.test./192.0.2.10');
    expect(memberKey('www.example.test.', '192.0.2.10')).toBe('www.example.test./192.0.2.10');
    expect(scopeId({ kind: 'member', pool: 'www.example.test', address: '192.0.2.10' })).toBe('m:www.example.test./192.0.2.10');
  });
});
