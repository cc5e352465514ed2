/**
 * Who may use the admin HTTP side. It listens on loopback by default; bound anywhere else it
 * requires a bearer token on every route (refusing to start without one). On loopback a token is
 * optional, and enforced when given. Tokens are compared in constant time (over SHA-256 digests,
 * so neither the content nor the length leaks through timing).
 *
 * A browser cannot add an Authorization header to the dashboard's own polling, so `/?token=…`
 * trades the token for an HttpOnly, SameSite=Strict cookie once and redirects to `/`.
 *
 * Writes (the `/api/v1` write API) are stricter: they always need the token, even on loopback, in
 * the Authorization header (never the cookie, so a page in a browser cannot make them). The token
 * may carry a name for the audit log: `--http-token NAME:SECRET`; a bare SECRET is named `default`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError } from '../lib/errors.js';

/** Shortest token accepted: 16 characters (e.g. `openssl rand -hex 16` gives 32). */
export const MIN_TOKEN_LENGTH = 16;
export const TOKEN_COOKIE = 'rondo_admin_token';

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    const lower = h.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && (mapped[1] ?? '').startsWith('127.');
  }
  return false;
}

export interface AdminAuth {
  /** The token requests must carry, or undefined when none is needed. */
  readonly token: string | undefined;
  /** The token's name in the audit log (`default` unless given as NAME:SECRET). */
  readonly tokenName?: string | undefined;
}

export const DEFAULT_TOKEN_NAME = 'default';
const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The auth rule for a bind address. Throws ConfigError ADMIN_TOKEN_REQUIRED for a non-loopback
 * address without a token, ADMIN_TOKEN_INVALID for a token that is too short or has characters a
 * header cannot carry. The message never contains the token.
 */
export function adminAuth(host: string, token: string | undefined): AdminAuth {
  let tokenName = DEFAULT_TOKEN_NAME;
  let secret = token;
  // The secret cannot contain ':' (b64token), so NAME:SECRET is unambiguous.
  const colon = token?.indexOf(':') ?? -1;
  if (token !== undefined && colon >= 0) {
    tokenName = token.slice(0, colon);
    secret = token.slice(colon + 1);
    if (!TOKEN_NAME.test(tokenName)) {
      throw new ConfigError('ADMIN_TOKEN_INVALID', '--http-token NAME:SECRET: the name must be 1-64 characters from A-Z a-z 0-9 _ . -');
    }
  }
  const given = secret === undefined || secret === '' ? undefined : secret;
  if (given === undefined) {
    if (!isLoopbackAddress(host)) {
      throw new ConfigError(
        'ADMIN_TOKEN_REQUIRED',
        `--http ${host.includes(':') ? `[${host}]` : host} is not a loopback address: give a bearer token with --http-token or RONDO_HTTP_TOKEN (at least ${MIN_TOKEN_LENGTH} characters)`,
      );
    }
    return { token: undefined };
  }
  if (given.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError('ADMIN_TOKEN_INVALID', `--http-token must be at least ${MIN_TOKEN_LENGTH} characters (got ${given.length})`);
  }
  // RFC 6750 §2.1 b64token characters, so the token fits a header and a cookie unquoted.
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(given)) {
    throw new ConfigError('ADMIN_TOKEN_INVALID', '--http-token may only contain A-Z a-z 0-9 - . _ ~ + / and trailing = (RFC 6750 b64token)');
  }
  return { token: given, tokenName };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time comparison of a presented secret with the token. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(token));
}

/** The token in `Authorization: Bearer <token>` (RFC 6750 §2.1), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/** The value of the admin cookie in a Cookie header, or undefined. */
export function cookieToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** True when the request may proceed: no token needed, or a matching bearer token or cookie. */
export function authorized(auth: AdminAuth, headers: { readonly authorization?: string | undefined; readonly cookie?: string | undefined }): boolean {
  if (auth.token === undefined) return true;
  // Evaluate both so the time taken does not tell which one was tried.
  const byHeader = tokenMatches(bearerToken(headers.authorization), auth.token);
  const byCookie = tokenMatches(cookieToken(headers.cookie), auth.token);
  return byHeader || byCookie;
}

/**
 * Who may write: the token's name when the Authorization header carries the token, else undefined
 * (also when no token is configured at all: writes always need one).
 */
export function writer(auth: AdminAuth, authorization: string | undefined): string | undefined {
  if (auth.token === undefined) return undefined;
  return tokenMatches(bearerToken(authorization), auth.token) ? (auth.tokenName ?? DEFAULT_TOKEN_NAME) : undefined;
}
