/**
 * The admin HTTP listener (node:http): `/metrics` (Prometheus text), `/status` and `/report`
 * (JSON), `/` (the report dashboard: one self-contained page that polls `/report`; no external
 * assets), `/healthz`: GET and HEAD only. The write API under `/api/v1/` (api/members.ts) takes PUT
 * and DELETE, and always needs the token. Loopback by default; elsewhere every route
 * needs the bearer token (auth.ts). Nothing here runs on the DNS query path.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { HttpListener } from './http-listener.js';
import type { Logger } from '../lib/logger.js';
import type { ReportModel } from '../report/model.js';
import { renderReportJson } from '../report/render/json.js';
import { renderReportPage } from '../report/render/html.js';
import { type AdminAuth, authorized, TOKEN_COOKIE, tokenMatches } from './auth.js';
import { API_PREFIX, handleMembersApi } from './api/members.js';
import { AuditTrail } from './api/audit.js';
import type { MembershipApi } from './api/types.js';

/** What the routes serve; the CLI wires these to the runtime. */
export interface AdminRoutes {
  metrics(): Promise<string>;
  readonly metricsContentType: string;
  status(): Promise<unknown>;
  /** The report model; `clients` is the `?clients=` parameter (`none`: clients do not cache). */
  report(options: { readonly clients: ReportClients }): Promise<ReportModel>;
}

export type ReportClients = 'default' | 'none';

export interface AdminServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly auth: AdminAuth;
  readonly routes: AdminRoutes;
  readonly logger: Logger;
  /** Milliseconds a report model is reused for (several dashboards polling). Default 2000. */
  readonly reportCacheMs?: number;
  /** How often the dashboard polls `/report`, ms. Default 5000. */
  readonly pollIntervalMs?: number;
  /** The write API under /api/v1/ (dynamic membership); absent: those routes answer 501. */
  readonly membership?: MembershipApi | undefined;
  /** Where write requests are logged and counted; one is made when absent. */
  readonly audit?: AuditTrail | undefined;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** The page's one inline script, allowed by its hash: no other script, style or connection can run. */
function pageCsp(html: string): string {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1] ?? '', 'utf8').digest('base64')}'`);
  return [
    "default-src 'none'",
    `script-src ${scripts.length > 0 ? scripts.join(' ') : "'none'"}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export class AdminServer {
  private readonly log: Logger;
  private readonly server: http.Server;
  private readonly listener: HttpListener;
  private readonly reportCache = new Map<ReportClients, { atMs: number; model: Promise<ReportModel> }>();
  readonly audit: AuditTrail;

  constructor(private readonly options: AdminServerOptions) {
    this.log = options.logger.child({ component: 'admin' });
    this.audit = options.audit ?? new AuditTrail(options.logger);
    this.server = http.createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.warn({ err, path: pathOf(req) }, 'admin request failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', req.method === 'HEAD');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
    // A read-only side door: a few operators and scrapers, never thousands of clients.
    this.server.maxConnections = 256;
    this.listener = new HttpListener(this.server);
  }

  /** Binds; resolves with the address (the real port when 0 was asked). */
  async start(): Promise<{ host: string; port: number }> {
    const bound = await this.listener.listen(this.options.host, this.options.port);
    this.server.on('error', (err) => this.log.warn({ err }, 'admin listener error'));
    this.log.info({ host: bound.host, port: bound.port, auth: this.options.auth.token === undefined ? 'none' : 'bearer' }, 'admin http listening');
    return bound;
  }

  address(): { host: string; port: number } | undefined {
    return this.listener.address();
  }

  async close(): Promise<void> {
    await this.listener.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    if ((req.url ?? '').startsWith(API_PREFIX)) {
      const apiUrl = new URL(req.url ?? '/', 'http://admin.invalid');
      await handleMembersApi(req, res, apiUrl, { auth: this.options.auth, api: this.options.membership, audit: this.audit, logger: this.log });
      return;
    }
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const token = this.options.auth.token;
    if (token !== undefined && url.pathname === '/' && url.searchParams.has('token')) {
      // Browser login: trade the token in the query for a cookie, then drop it from the address.
      if (!tokenMatches(url.searchParams.get('token') ?? undefined, token)) {
        this.unauthorized(res, head);
        return;
      }
      url.searchParams.delete('token');
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      res.setHeader('Location', `/${url.search}`);
      send(res, 303, 'text/plain; charset=utf-8', 'see /\n', head);
      return;
    }
    if (!authorized(this.options.auth, { authorization: req.headers.authorization, cookie: req.headers.cookie })) {
      this.unauthorized(res, head);
      return;
    }
    const page = url.pathname === '/report' || url.pathname === '/' ? url.pathname : undefined;
    const clients = page === undefined ? 'default' : reportClients(url);
    if (clients === undefined) {
      send(res, 400, 'text/plain; charset=utf-8', 'clients must be default or none\n', head);
      return;
    }
    switch (url.pathname) {
      case '/favicon.ico':
        // No icon (no assets beyond the page); 204 keeps browsers from logging a 404.
        res.writeHead(204, SECURITY_HEADERS).end();
        return;
      case '/healthz':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n', head);
        return;
      case '/metrics':
        send(res, 200, this.options.routes.metricsContentType, await this.options.routes.metrics(), head);
        return;
      case '/status':
        send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(await this.options.routes.status(), null, 2)}\n`, head);
        return;
      case '/report':
        send(res, 200, 'application/json; charset=utf-8', renderReportJson(await this.report(clients), false), head);
        return;
      case '/': {
        const html = renderReportPage(await this.report(clients), {
          title: 'Rondo dashboard',
          pollUrl: clients === 'none' ? '/report?clients=none' : '/report',
          pollIntervalMs: this.options.pollIntervalMs ?? 5000,
        });
        res.setHeader('Content-Security-Policy', pageCsp(html));
        send(res, 200, 'text/html; charset=utf-8', html, head);
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found: try /, /report, /status, /metrics, /healthz\n', head);
    }
  }

  private unauthorized(res: http.ServerResponse, head: boolean): void {
    res.setHeader('WWW-Authenticate', 'Bearer realm="rondo"');
    send(res, 401, 'text/plain; charset=utf-8', 'unauthorized: send Authorization: Bearer <token>\n', head);
  }

  /** Builds the report at most once per reportCacheMs for each variant. */
  private report(clients: ReportClients): Promise<ReportModel> {
    const now = Date.now();
    const cached = this.reportCache.get(clients);
    if (cached && now - cached.atMs < (this.options.reportCacheMs ?? 2000)) return cached.model;
    const model = this.options.routes.report({ clients });
    this.reportCache.set(clients, { atMs: now, model });
    void model.catch(() => this.reportCache.delete(clients));
    return model;
  }
}

function reportClients(url: URL): ReportClients | undefined {
  const v = url.searchParams.get('clients');
  if (v === null || v === '' || v === 'default') return 'default';
  return v === 'none' ? 'none' : undefined;
}

function pathOf(req: http.IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(head ? undefined : bytes);
}
