/**
 * The write API on the admin listener, under `/api/v1/`:
 *
 * - `GET    /api/v1/zones/{zone}/pools`                                   every pool, members with source and health
 * - `PUT    /api/v1/zones/{zone}/pools/{owner}/{type}/members/{address}`  add or update a member (JSON member keys)
 * - `DELETE /api/v1/zones/{zone}/pools/{owner}/{type}/members/{address}`  remove a member the API added
 * - `PUT    /api/v1/zones/{zone}/pools/{owner}/{type}`                    set the pool's keys (JSON pool keys)
 * - `DELETE /api/v1/zones/{zone}/pools/{owner}/{type}`                    remove what the API added to the pool
 *
 * Reads follow the admin side's rule (auth.ts); writes always need the bearer token in the
 * Authorization header, even on loopback. Write bodies must be `application/json`. Errors are
 * JSON `{"error": {"code", "message", "key"}}`: bad settings carry the zone code and message
 * `rondo zone check` would print. Every write request is audited (audit.ts).
 */
import type http from 'node:http';
import type { Logger } from '../../lib/logger.js';
import { type AdminAuth, authorized, writer } from '../auth.js';
import type { AuditTrail } from './audit.js';
import { mediaType, parseJson, readBody, remoteOf, sendJson } from './http.js';
import { apiError, type ApiResult, type MembershipApi } from './types.js';

export const API_PREFIX = '/api/v1/';

export interface MembersRouteOptions {
  readonly auth: AdminAuth;
  readonly api: MembershipApi | undefined;
  readonly audit: AuditTrail;
  readonly logger: Logger;
}

type Route =
  | { kind: 'pools'; zone: string }
  | { kind: 'pool'; zone: string; owner: string; type: string }
  | { kind: 'member'; zone: string; owner: string; type: string; address: string };

/** `/api/v1/zones/{zone}/pools[/{owner}/{type}[/members/{address}]]`, segments URL-decoded. */
export function parseApiPath(pathname: string): Route | undefined {
  if (!pathname.startsWith(API_PREFIX)) return undefined;
  let parts: string[];
  try {
    parts = pathname.slice(API_PREFIX.length).split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (parts.at(-1) === '') parts.pop();
  const [zones, zone, pools, owner, type, members, address] = parts;
  if (zones !== 'zones' || !zone || pools !== 'pools') return undefined;
  if (parts.length === 3) return { kind: 'pools', zone };
  if (parts.length === 5 && owner && type) return { kind: 'pool', zone, owner, type };
  if (parts.length === 7 && owner && type && members === 'members' && address) return { kind: 'member', zone, owner, type, address };
  return undefined;
}

export async function handleMembersApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, options: MembersRouteOptions): Promise<void> {
  const method = req.method ?? 'GET';
  const route = parseApiPath(url.pathname);
  const send = (r: ApiResult) => sendJson(res, r.status, r.body);
  if (!route) {
    send(apiError(404, 'ADMIN_API_NOT_FOUND', `no such API route: ${url.pathname} (see GET /api/v1/zones/{zone}/pools)`));
    return;
  }
  const allowed = route.kind === 'pools' ? ['GET', 'HEAD'] : ['PUT', 'DELETE'];
  if (!allowed.includes(method)) {
    res.setHeader('Allow', allowed.join(', '));
    send(apiError(405, 'ADMIN_API_METHOD', `${method} is not allowed on ${url.pathname} (allowed: ${allowed.join(', ')})`));
    return;
  }
  const api = options.api;
  if (route.kind === 'pools') {
    if (!authorized(options.auth, { authorization: req.headers.authorization, cookie: req.headers.cookie })) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="rondo"');
      send(apiError(401, 'ADMIN_API_UNAUTHORIZED', 'unauthorized: send Authorization: Bearer <token>'));
      return;
    }
    if (!api) {
      send(apiError(501, 'ADMIN_API_UNAVAILABLE', 'dynamic membership is not available in this process (rondo serve --workers, or rondo check)'));
      return;
    }
    send(api.listPools(route.zone));
    return;
  }

  // Writes from here on.
  const action = `${method === 'PUT' ? 'put' : 'delete'}-${route.kind}`;
  const from = remoteOf(req);
  const what = { zone: route.zone, owner: route.owner, type: route.type, ...(route.kind === 'member' ? { address: route.address } : {}) };
  const by = writer(options.auth, req.headers.authorization);
  const finish = (r: ApiResult, who = by ?? 'anonymous') => {
    const error = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    options.audit.record({ by: who, from, action, status: r.status, what, code: error?.code, message: error?.message });
    send(r);
  };
  if (by === undefined) {
    req.resume();
    res.setHeader('WWW-Authenticate', 'Bearer realm="rondo"');
    finish(
      apiError(
        401,
        'ADMIN_API_UNAUTHORIZED',
        options.auth.token === undefined
          ? 'writes need a bearer token, even on loopback: start rondo serve with --http-token NAME:SECRET (or RONDO_HTTP_TOKEN) and send Authorization: Bearer SECRET'
          : 'writes need Authorization: Bearer <token> (the --http-token secret)',
      ),
    );
    return;
  }
  if (!api) {
    req.resume();
    finish(apiError(501, 'ADMIN_API_UNAVAILABLE', 'dynamic membership is not available in this process (rondo serve --workers, or rondo check)'));
    return;
  }
  let body: unknown;
  if (method === 'PUT') {
    const type = mediaType(req.headers['content-type']);
    if (type !== 'application/json') {
      req.resume();
      finish(apiError(415, 'ADMIN_API_MEDIA_TYPE', `Content-Type must be application/json (got ${type ?? 'none'})`));
      return;
    }
    const read = await readBody(req);
    if (!read.ok) {
      finish(apiError(read.status, read.status === 413 ? 'ADMIN_API_TOO_LARGE' : 'ADMIN_API_BAD_JSON', read.message));
      return;
    }
    const parsed = parseJson(read.text);
    if (!parsed.ok) {
      finish(apiError(400, 'ADMIN_API_BAD_JSON', parsed.message));
      return;
    }
    body = parsed.value;
  } else {
    req.resume();
  }
  const who = { by, from };
  let result: ApiResult;
  try {
    if (route.kind === 'member') {
      result = method === 'PUT' ? await api.putMember(route.zone, route.owner, route.type, route.address, body, who) : await api.deleteMember(route.zone, route.owner, route.type, route.address, who);
    } else {
      result = method === 'PUT' ? await api.putPool(route.zone, route.owner, route.type, body, who) : await api.deletePool(route.zone, route.owner, route.type, who);
    }
  } catch (err) {
    options.logger.error({ err, ...what }, 'membership change failed');
    result = apiError(503, 'ADMIN_API_STORE_FAILED', `the change could not be stored: ${(err as Error).message}`);
  }
  finish(result);
}
