/** Admin HTTP auth (issue 7): loopback by default, a bearer token anywhere else, compared in constant time. */
import { describe, expect, it } from 'vitest';
import { adminAuth, authorized, bearerToken, cookieToken, isLoopbackAddress, tokenMatches, TOKEN_COOKIE, writer } from '../../../admin/auth.js';
import { ConfigError } from '../../../lib/errors.js';

const TOKEN = 'a-good-token-0123456789';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loopback addresses', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.0.2.1', false],
    ['2001:db8::1', false],
    ['::ffff:192.0.2.1', false],
    ['localhost', false],
    ['127.0.0.1.example.org', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackAddress(host)).toBe(loopback);
  });
});

describe('admin auth rule', () => {
  it('needs no token on loopback, and enforces one when given', () => {
    expect(adminAuth('127.0.0.1', undefined)).toEqual({ token: undefined });
    expect(adminAuth('::1', '')).toEqual({ token: undefined });
    expect(adminAuth('127.0.0.1', TOKEN)).toEqual({ token: TOKEN, tokenName: 'default' });
  });

  it('refuses a non-loopback address without a token', () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
      const err = configError(() => adminAuth(host, undefined));
      expect(err.code).toBe('ADMIN_TOKEN_REQUIRED');
      expect(err.message).toContain('--http-token');
    }
    expect(adminAuth('192.0.2.1', TOKEN)).toEqual({ token: TOKEN, tokenName: 'default' });
  });

  it('refuses short tokens and tokens a header cannot carry, without echoing them', () => {
    for (const bad of ['short', 'has spaces in it 0123456789', 'quote"in-the-token-0123456789', 'semi;colon-token-0123456789']) {
      const err = configError(() => adminAuth('0.0.0.0', bad));
      expect(err.code).toBe('ADMIN_TOKEN_INVALID');
      expect(err.message).not.toContain(bad);
    }
  });
});

describe('presented credentials', () => {
  it('reads the bearer token from the Authorization header (RFC 6750 §2.1)', () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`bearer   ${TOKEN} `)).toBe(TOKEN);
    expect(bearerToken(`Basic ${TOKEN}`)).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('reads the admin cookie among others', () => {
    expect(cookieToken(`a=1; ${TOKEN_COOKIE}=${TOKEN}; b=2`)).toBe(TOKEN);
    expect(cookieToken('a=1')).toBeUndefined();
  });

  it('compares whole tokens only', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(undefined, TOKEN)).toBe(false);
  });

  it('lets a request through with the header or the cookie, and only then', () => {
    const auth = { token: TOKEN };
    expect(authorized(auth, {})).toBe(false);
    expect(authorized(auth, { authorization: `Bearer ${TOKEN}` })).toBe(true);
    expect(authorized(auth, { authorization: 'Bearer wrong-token-0123456789' })).toBe(false);
    expect(authorized(auth, { cookie: `${TOKEN_COOKIE}=${TOKEN}` })).toBe(true);
    expect(authorized(auth, { cookie: `${TOKEN_COOKIE}=nope` })).toBe(false);
    expect(authorized({ token: undefined }, {})).toBe(true);
  });
});

describe('named tokens and writes (issue 16)', () => {
  it('NAME:SECRET names the token for the audit log; a bare secret is "default"', () => {
    expect(adminAuth('127.0.0.1', `ops:${TOKEN}`)).toEqual({ token: TOKEN, tokenName: 'ops' });
    expect(() => adminAuth('127.0.0.1', `bad name:${TOKEN}`)).toThrow(ConfigError);
    expect(() => adminAuth('127.0.0.1', 'ops:short')).toThrow(ConfigError);
  });

  it('writes need the token in the Authorization header, even on loopback', () => {
    expect(writer(adminAuth('127.0.0.1', undefined), `Bearer ${TOKEN}`)).toBeUndefined();
    const auth = adminAuth('127.0.0.1', `ops:${TOKEN}`);
    expect(writer(auth, `Bearer ${TOKEN}`)).toBe('ops');
    expect(writer(auth, 'Bearer not-the-token-at-all')).toBeUndefined();
    expect(writer(auth, undefined)).toBeUndefined();
  });
});
