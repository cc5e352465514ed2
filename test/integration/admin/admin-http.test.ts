/**
 * The admin HTTP side on a real socket (issues 5 and 7): every route, what it serves after real
 * DNS queries, and the auth rule — a token, when set, guards every route (header or the login
 * cookie); bound anywhere but loopback, `rondo serve` refuses to start without one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminStatus } from '../../../admin/status.js';
import type { ReportModel } from '../../../report/model.js';
import { freePort } from '../../../bench/lib/redis-server.js';
import { runRondo, startRondo, stopAllRondo } from '../../../bench/lib/rondo-process.js';
import { queryFrom, startAdminRig, type AdminRig } from './fixture.js';

const TOKEN = 'admin-http-test-token-0123456789';
const ROUTES = ['/', '/report', '/status', '/metrics', '/healthz', '/nope'];

describe('admin HTTP without a token (loopback)', () => {
  let rig: AdminRig;
  beforeAll(async () => {
    rig = await startAdminRig();
    await queryFrom('127.0.1.1', rig.dnsPort, 'www.example.test.', 8);
    await queryFrom('127.0.2.1', rig.dnsPort, 'nope.example.test.', 2);
  });
  afterAll(() => rig?.stop());

  it('serves /healthz', async () => {
    const res = await fetch(`${rig.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves Prometheus metrics read from the DNS counters and the report’s answer counters', async () => {
    const res = await fetch(`${rig.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('rondo_dns_responses_total{rcode="NOERROR"} 8');
    expect(text).toContain('rondo_dns_responses_total{rcode="NXDOMAIN"} 2');
    const firsts = [...text.matchAll(/^rondo_pool_answers_total\{pool="www\.example\.test\.",type="A",member="[^"]+",position="first"\} (\d+)$/gm)].map((m) => Number(m[1]));
    expect(firsts).toEqual([2, 2, 2, 2]);
    // By zone, type and RCODE: the 8 A queries (most answered by the UDP fast path) and the 2 NXDOMAINs.
    expect(text).toContain('rondo_dns_queries_total{zone="example.test.",qtype="A",rcode="NOERROR"} 8');
    expect(text).toContain('rondo_dns_queries_total{zone="example.test.",qtype="A",rcode="NXDOMAIN"} 2');
    expect(text).toContain('rondo_zone_reloads_total{zone="example.test.",result="loaded"} 1');
    expect(text).toContain('rondo_report_resolvers_tracked 1');
  });

  it('serves the status: zones, pools, members with health, DNS counters', async () => {
    const res = await fetch(`${rig.url}/status`);
    expect(res.status).toBe(200);
    const s = (await res.json()) as AdminStatus;
    expect(s.zones.map((z) => z.origin)).toEqual(['example.test.']);
    expect(s.zones[0]!.serial).toBe(2026112101);
    const pool = s.zones[0]!.pools[0]!;
    expect(pool.name).toBe('www.example.test.');
    expect(pool.members.map((m) => m.state)).toEqual(['unchecked', 'unchecked', 'unchecked', 'unchecked']);
    expect(s.dns?.stats.received).toBe(10);
    expect(s.dns?.listen).toEqual([`127.0.0.1:${rig.dnsPort}`]);
    expect(s.redis).toBeNull();
  });

  it('serves the report model and the dashboard page, which polls /report under a strict CSP', async () => {
    const res = await fetch(`${rig.url}/report`);
    expect(res.status).toBe(200);
    const model = (await res.json()) as ReportModel;
    expect(model.kind).toBe('observed');
    const pool = model.pools.find((p) => p.key === 'www.example.test./A');
    expect(pool?.answersTotal).toBe(8);
    expect(pool?.resolvers.top.map((r) => r.key)).toEqual(['127.0.1.0/24']);
    const none = (await (await fetch(`${rig.url}/report?clients=none`)).json()) as ReportModel;
    expect(none.notes.some((n) => n.includes('clients=none'))).toBe(true);
    expect((await fetch(`${rig.url}/report?clients=maybe`)).status).toBe(400);

    const page = await fetch(`${rig.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
    const html = await page.text();
    expect(html).toContain('window.RondoReport.poll("/report"');
    expect(html).toContain('data-chart="shares"');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('answers HEAD without a body, refuses other methods, and 404s unknown paths', async () => {
    const head = await fetch(`${rig.url}/status`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${rig.url}/status`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${rig.url}/nope`)).status).toBe(404);
  });
});

describe('admin HTTP with a bearer token', () => {
  let rig: AdminRig;
  beforeAll(async () => {
    rig = await startAdminRig({ token: TOKEN });
  });
  afterAll(() => rig?.stop());

  it('refuses every route without the token, or with a wrong one', async () => {
    for (const route of ROUTES) {
      const none = await fetch(`${rig.url}${route}`);
      expect(none.status, route).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="rondo"');
      expect(await none.text()).not.toContain('rondo_');
      const wrong = await fetch(`${rig.url}${route}`, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
      expect(wrong.status, route).toBe(401);
      const basic = await fetch(`${rig.url}${route}`, { headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } });
      expect(basic.status, route).toBe(401);
    }
  });

  it('serves every route with the token', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    for (const route of ROUTES) {
      const res = await fetch(`${rig.url}${route}`, { headers });
      expect(res.status, route).toBe(route === '/nope' ? 404 : 200);
    }
  });

  it('trades the token in /?token= for an HttpOnly cookie, once, and then serves by cookie', async () => {
    const bad = await fetch(`${rig.url}/?token=wrong-token-0123456789`, { redirect: 'manual' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    const login = await fetch(`${rig.url}/?token=${TOKEN}&clients=none`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/?clients=none');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const pair = cookie.split(';')[0]!;
    const res = await fetch(`${rig.url}/report`, { headers: { cookie: pair } });
    expect(res.status).toBe(200);
  });
});

describe('rondo serve --http', () => {
  afterAll(() => stopAllRondo());

  it('refuses to start on a non-loopback address without a token (ADMIN_TOKEN_REQUIRED)', async () => {
    const run = await runRondo(['serve', '--zones', 'zones/examples', '--listen', '127.0.0.1:0', '--http', '0.0.0.0:0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is not a loopback address');
    expect(run.stderr).toContain('--http-token');
    // Refused before anything started: no listener, no log of one.
    expect(run.stdout).not.toContain('listening');
  });

  it('refuses a weak token without printing it', async () => {
    const run = await runRondo(['serve', '--zones', 'zones/examples', '--listen', '127.0.0.1:0', '--http', '0.0.0.0:0', '--http-token', 'tiny-secret']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('at least 16 characters');
    expect(run.stderr).not.toContain('tiny-secret');
  });

  it('takes the token from RONDO_HTTP_TOKEN and enforces it', async () => {
    const port = await freePort();
    await startRondo(['serve', '--zones', 'zones/examples', '--listen', '127.0.0.1:0', '--http', `127.0.0.1:${port}`], { env: { RONDO_HTTP_TOKEN: TOKEN } });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});
