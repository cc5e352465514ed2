/**
 * The ExternalDNS webhook provider's HTTP side (`rondo serve --externaldns 127.0.0.1:8888`),
 * following ExternalDNS's `api/webhook.yaml` (media type
 * `application/external.dns.webhook+json;version=1`):
 *
 * - `GET /`                 negotiate: the domain filter (the zones served), `Vary: Content-Type`
 * - `GET /records`          every endpoint Rondo holds (pools, and the records the webhook added)
 * - `POST /records`         apply changes: `create`, `updateOld`, `updateNew`, `delete` (204)
 * - `POST /adjustendpoints` the endpoints Rondo can hold (A, AAAA, CNAME, TXT), as given
 * - `GET /healthz`          liveness
 *
 * It listens on loopback only (ExternalDNS sends no credentials; run Rondo as its sidecar), and
 * every apply is audited as `by: externaldns`. Bodies are checked strictly: malformed JSON, an
 * unknown field or a wrong media type is a 4xx with a JSON error, and nothing changes.
 */
import http from 'node:http';
import { HttpListener } from '../http-listener.js';
import type { Logger } from '../../lib/logger.js';
import { ConfigError } from '../../lib/errors.js';
import { isLoopbackAddress } from '../auth.js';
import type { AuditEntry } from './audit.js';
import { mediaParams, mediaType, parseJson, readBody, remoteOf, sendJson } from './http.js';
import { apiError, type ApiResult, type Endpoint, type EndpointChanges, type ExternalDnsApi } from './types.js';

export const WEBHOOK_MEDIA_TYPE = 'application/external.dns.webhook+json;version=1';
const MEDIA_BASE = 'application/external.dns.webhook+json';

export interface ExternalDnsHttpOptions {
  readonly host: string;
  readonly port: number;
  readonly api: ExternalDnsApi;
  readonly logger: Logger;
  readonly audit?: ((entry: AuditEntry) => void) | undefined;
}

const ENDPOINT_FIELDS = new Set(['dnsName', 'targets', 'recordType', 'setIdentifier', 'recordTTL', 'labels', 'providerSpecific']);
/** ExternalDNS's Go client encodes `plan.Changes`; older versions send the field names capitalised. */
const CHANGE_FIELDS: Readonly<Record<string, keyof EndpointChanges>> = {
  create: 'create',
  Create: 'create',
  updateOld: 'updateOld',
  UpdateOld: 'updateOld',
  updateNew: 'updateNew',
  UpdateNew: 'updateNew',
  delete: 'delete',
  Delete: 'delete',
};

type Checked<T> = { ok: true; value: T } | { ok: false; error: ApiResult };

function bad(message: string, code = 'ADMIN_API_BAD_ENDPOINT'): { ok: false; error: ApiResult } {
  return { ok: false, error: apiError(400, code, message) };
}

/** One endpoint, with exactly the protocol's fields and types. */
export function checkEndpoint(raw: unknown, where: string): Checked<Endpoint> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad(`${where}: an endpoint must be a JSON object`);
  const e = raw as Record<string, unknown>;
  for (const key of Object.keys(e)) if (!ENDPOINT_FIELDS.has(key)) return bad(`${where}: unknown field "${key}" (an endpoint has ${[...ENDPOINT_FIELDS].join(', ')})`, 'ADMIN_API_UNKNOWN_FIELD');
  if (typeof e.dnsName !== 'string' || e.dnsName === '') return bad(`${where}: dnsName must be a non-empty string`);
  if (typeof e.recordType !== 'string' || e.recordType === '') return bad(`${where}: recordType must be a non-empty string`);
  const targets = e.targets ?? [];
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) return bad(`${where}: targets must be a list of strings`);
  if (e.setIdentifier !== undefined && typeof e.setIdentifier !== 'string') return bad(`${where}: setIdentifier must be a string`);
  if (e.recordTTL !== undefined && !(typeof e.recordTTL === 'number' && Number.isInteger(e.recordTTL) && e.recordTTL >= 0 && e.recordTTL <= 2147483647)) {
    return bad(`${where}: recordTTL must be a whole number of seconds 0-2147483647`);
  }
  const labels = e.labels ?? {};
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || !Object.values(labels).every((v) => typeof v === 'string')) return bad(`${where}: labels must be an object of strings`);
  const ps = e.providerSpecific ?? [];
  if (!Array.isArray(ps) || !ps.every((p) => typeof p === 'object' && p !== null && typeof (p as { name?: unknown }).name === 'string' && typeof (p as { value?: unknown }).value === 'string' && Object.keys(p as object).every((k) => k === 'name' || k === 'value'))) {
    return bad(`${where}: providerSpecific must be a list of {"name": string, "value": string}`);
  }
  return {
    ok: true,
    value: {
      dnsName: e.dnsName,
      targets: targets as string[],
      recordType: e.recordType,
      ...(e.setIdentifier !== undefined ? { setIdentifier: e.setIdentifier as string } : {}),
      ...(e.recordTTL !== undefined ? { recordTTL: e.recordTTL as number } : {}),
      labels: labels as Record<string, string>,
      providerSpecific: ps as { name: string; value: string }[],
    },
  };
}

export function checkEndpoints(raw: unknown, where: string): Checked<Endpoint[]> {
  if (raw === null) return { ok: true, value: [] };
  if (!Array.isArray(raw)) return bad(`${where} must be a list of endpoints`);
  const out: Endpoint[] = [];
  for (let i = 0; i < raw.length; i++) {
    const e = checkEndpoint(raw[i], `${where}[${i}]`);
    if (!e.ok) return e;
    out.push(e.value);
  }
  return { ok: true, value: out };
}

export function checkChanges(raw: unknown): Checked<EndpointChanges> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('changes must be a JSON object with create, updateOld, updateNew and delete lists');
  const out: Record<keyof EndpointChanges, Endpoint[]> = { create: [], updateOld: [], updateNew: [], delete: [] };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const field = CHANGE_FIELDS[key];
    if (!field) return bad(`unknown field "${key}" in changes (create, updateOld, updateNew, delete)`, 'ADMIN_API_UNKNOWN_FIELD');
    const list = checkEndpoints(value, key);
    if (!list.ok) return list;
    out[field].push(...list.value);
  }
  if (out.updateOld.length !== out.updateNew.length) return bad(`updateOld and updateNew are pairs: got ${out.updateOld.length} and ${out.updateNew.length}`);
  return { ok: true, value: out };
}

/** True when an Accept header admits the webhook media type (absent, `*\/*`, `application/*`, or the type with version 1). */
export function acceptsWebhook(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const type = mediaType(part);
    if (type === '*/*' || type === 'application/*') return true;
    if (type !== MEDIA_BASE) return false;
    const version = mediaParams(part).version;
    return version === undefined || version === '1';
  });
}

/** POST bodies: the webhook media type (version 1), plain JSON, or no Content-Type (what ExternalDNS's client sends). */
function acceptableBody(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  if (type === undefined || type === 'application/json') return true;
  return type === MEDIA_BASE && (mediaParams(contentType).version ?? '1') === '1';
}

/** Throws ConfigError unless the webhook would listen on loopback (it takes no credentials). */
export function checkWebhookHost(host: string): void {
  if (!isLoopbackAddress(host)) {
    throw new ConfigError('CONFIG_EXTERNALDNS_NOT_LOOPBACK', `--externaldns ${host} is not a loopback address: ExternalDNS sends no credentials, so run Rondo as its sidecar on 127.0.0.1`);
  }
}

export class ExternalDnsHttp {
  private readonly log: Logger;
  private readonly server: http.Server;
  private readonly listener: HttpListener;

  constructor(private readonly options: ExternalDnsHttpOptions) {
    checkWebhookHost(options.host);
    this.log = options.logger.child({ component: 'externaldns' });
    this.server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.warn({ err }, 'webhook request failed');
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'ADMIN_API_STORE_FAILED', message: 'internal error' } });
        else res.destroy();
      });
    });
    this.listener = new HttpListener(this.server);
  }

  async start(): Promise<{ host: string; port: number }> {
    const bound = await this.listener.listen(this.options.host, this.options.port);
    this.log.info(bound, 'externaldns webhook listening');
    return bound;
  }

  address(): { host: string; port: number } | undefined {
    return this.listener.address();
  }

  async close(): Promise<void> {
    await this.listener.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://webhook.invalid');
    const method = req.method ?? 'GET';
    const media = { 'Content-Type': WEBHOOK_MEDIA_TYPE };
    const send = (r: ApiResult, contentType = 'application/json; charset=utf-8') => sendJson(res, r.status, r.body, r.status < 300 ? contentType : 'application/json; charset=utf-8', { Vary: 'Content-Type' });
    const route = `${method} ${url.pathname}`;
    const allow: Record<string, string> = { '/': 'GET', '/records': 'GET, POST', '/adjustendpoints': 'POST', '/healthz': 'GET' };
    if (url.pathname === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(method === 'HEAD' ? undefined : 'ok\n');
      return;
    }
    if (route === 'GET /' || route === 'GET /records') {
      if (!acceptsWebhook(req.headers.accept)) {
        send(apiError(406, 'ADMIN_API_MEDIA_TYPE', `Accept must allow ${WEBHOOK_MEDIA_TYPE} (got ${req.headers.accept ?? ''})`));
        return;
      }
      if (route === 'GET /') {
        const domains = this.options.api.domains();
        // `filters` as in webhook.yaml; `include` as newer ExternalDNS versions decode a DomainFilter.
        send({ status: 200, body: { filters: domains, include: domains } }, media['Content-Type']);
      } else {
        send({ status: 200, body: this.options.api.records() }, media['Content-Type']);
      }
      return;
    }
    if (route === 'POST /records' || route === 'POST /adjustendpoints') {
      if (!acceptableBody(req.headers['content-type'])) {
        req.resume();
        const r = apiError(415, 'ADMIN_API_MEDIA_TYPE', `Content-Type must be ${WEBHOOK_MEDIA_TYPE} (got ${req.headers['content-type'] ?? ''})`);
        if (route === 'POST /records') this.audit(req, r, {});
        send(r);
        return;
      }
      const read = await readBody(req);
      if (!read.ok) {
        const r = apiError(read.status, read.status === 413 ? 'ADMIN_API_TOO_LARGE' : 'ADMIN_API_BAD_JSON', read.message);
        if (route === 'POST /records') this.audit(req, r, {});
        send(r);
        return;
      }
      const json = parseJson(read.text);
      if (!json.ok) {
        const r = apiError(400, 'ADMIN_API_BAD_JSON', json.message);
        if (route === 'POST /records') this.audit(req, r, {});
        send(r);
        return;
      }
      if (route === 'POST /adjustendpoints') {
        const endpoints = checkEndpoints(json.value, 'endpoints');
        if (!endpoints.ok) {
          send(endpoints.error);
          return;
        }
        send({ status: 200, body: this.options.api.adjust(endpoints.value) }, media['Content-Type']);
        return;
      }
      const changes = checkChanges(json.value);
      if (!changes.ok) {
        this.audit(req, changes.error, {});
        send(changes.error);
        return;
      }
      const c = changes.value;
      const what = { create: c.create.length, updateNew: c.updateNew.length, delete: c.delete.length };
      let result: ApiResult;
      try {
        result = await this.options.api.apply(c, { by: 'externaldns', from: remoteOf(req) });
      } catch (err) {
        this.log.error({ err }, 'applying ExternalDNS changes failed');
        result = apiError(503, 'ADMIN_API_STORE_FAILED', `the changes could not be stored: ${(err as Error).message}`);
      }
      this.audit(req, result, what);
      send(result);
      return;
    }
    const allowed = allow[url.pathname];
    if (allowed) {
      res.setHeader('Allow', allowed);
      send(apiError(405, 'ADMIN_API_METHOD', `${method} is not allowed on ${url.pathname} (allowed: ${allowed})`));
      return;
    }
    send(apiError(404, 'ADMIN_API_NOT_FOUND', `no such webhook route: ${url.pathname} (/, /records, /adjustendpoints, /healthz)`));
  }

  private audit(req: http.IncomingMessage, r: ApiResult, what: Record<string, unknown>): void {
    const error = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    this.options.audit?.({ by: 'externaldns', from: remoteOf(req), action: 'externaldns-apply', status: r.status, what, code: error?.code, message: error?.message });
  }
}
