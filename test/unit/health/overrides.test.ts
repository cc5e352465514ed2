import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ConfigError } from '../../../lib/errors.js';
import { healthKeys } from '../../../health/keys.js';
import { overrideActive, parseOverrideKind, setOverride } from '../../../health/overrides.js';

describe('overrides', () => {
  it('parses the three kinds and refuses others with a code', () => {
    expect(['drain', 'force-up', 'force-down'].map(parseOverrideKind)).toEqual(['drain', 'force-up', 'force-down']);
    expect(() => parseOverrideKind('pause')).toThrow(ConfigError);
    expect(() => parseOverrideKind('pause')).toThrow(/must be one of drain, force-up, force-down/);
  });

  it('is active until expiresAt, or forever without one', () => {
    const base = { kind: 'drain' as const, at: 0, reason: undefined, by: undefined };
    expect(overrideActive({ ...base, expiresAt: undefined }, 1e12)).toBe(true);
    expect(overrideActive({ ...base, expiresAt: 100 }, 99)).toBe(true);
    expect(overrideActive({ ...base, expiresAt: 100 }, 100)).toBe(false);
  });

  it.each([0, -5, 1.5])('refuses an expiry of %d ms before touching Redis', async (ttlMs) => {
    const untouchable = {} as Redis; // any Redis call would throw a TypeError, not a ConfigError
    await expect(setOverride(untouchable, healthKeys(), { kind: 'target', targetId: 't' }, 'drain', { ttlMs })).rejects.toMatchObject({
      code: 'OVERRIDE_TTL_INVALID',
    });
  });
});
