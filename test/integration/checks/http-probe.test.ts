import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpProbe } from '../../../checks/http.js';
import type { CheckSpec } from '../../../model/zone.js';
import { checkTarget } from '../../helpers/check-targets.js';
import { startHangingBackend, startHttpBackend, type HangingBackend, type HttpBackend } from '../../helpers/backends.js';

let backend: HttpBackend;
let hanging: HangingBackend;

beforeAll(async () => {
  backend = await startHttpBackend();
  hanging = await startHangingBackend();
});
afterAll(async () => {
  await backend?.close();
  await hanging?.close();
});
beforeEach(() => {
  backend.set({ status: 200, body: 'ok', headers: {}, delayMs: 0, hang: false });
  backend.requests.length = 0;
});

function probe(spec: Partial<CheckSpec> = {}, timeoutMs = 2000) {
  return httpProbe.run(checkTarget('http', backend, { timeoutMs, ...spec }), AbortSignal.timeout(timeoutMs));
}

describe('http probe: status', () => {
  it('is ok for a status inside expect and fails with the status outside it', async () => {
    expect(await probe()).toMatchObject({ ok: true });
    backend.set({ status: 503 });
    expect(await probe()).toMatchObject({ ok: false, reason: 'HTTP 503' });
    expect(await probe({ expect: [[200, 204], [500, 503]] })).toMatchObject({ ok: true });
  });

  it('does not follow redirects: a 302 is judged by expect', async () => {
    backend.set({ status: 302, headers: { Location: '/elsewhere' } });
    expect(await probe()).toMatchObject({ ok: false, reason: 'HTTP 302' });
    expect(await probe({ expect: [[200, 399]] })).toMatchObject({ ok: true });
    expect(backend.requests.map((r) => r.url)).toEqual(['/', '/']);
  });

  it('sends path, method, Host from host= and Connection: close', async () => {
    expect(await probe({ path: '/healthz?full=1', method: 'HEAD', host: 'www.example.org' })).toMatchObject({ ok: true });
    const [seen] = backend.requests;
    expect(seen).toMatchObject({ method: 'HEAD', url: '/healthz?full=1' });
    expect(seen?.headers.host).toBe(`www.example.org:${backend.port}`);
    expect(seen?.headers.connection).toBe('close');
  });

  it('uses the probed address as Host when host= is absent', async () => {
    await probe();
    expect(backend.requests[0]?.headers.host).toBe(`127.0.0.1:${backend.port}`);
  });
});

describe('http probe: body', () => {
  it('checks a substring of the body', async () => {
    backend.set({ body: 'status: healthy\n' });
    expect(await probe({ body: 'healthy' })).toMatchObject({ ok: true });
    backend.set({ body: 'status: degraded\n' });
    expect(await probe({ body: 'healthy' })).toMatchObject({ ok: false, reason: 'body does not contain "healthy"' });
  });

  it('checks a regular expression against the body', async () => {
    backend.set({ body: 'workers=12 queue=0' });
    expect(await probe({ bodyRegex: 'queue=0\\b' })).toMatchObject({ ok: true });
    backend.set({ body: 'workers=12 queue=40' });
    expect(await probe({ bodyRegex: 'queue=0\\b' })).toMatchObject({ ok: false, reason: 'body does not match /queue=0\\b/' });
  });

  it('judges only the first 64 KiB of a large body', async () => {
    backend.set({ body: `${'x'.repeat(70 * 1024)}MARKER` });
    expect(await probe({ body: 'xxxx' })).toMatchObject({ ok: true });
    expect(await probe({ body: 'MARKER' })).toMatchObject({ ok: false });
  });

  it('does not judge the body of a status outside expect', async () => {
    backend.set({ status: 500, body: 'healthy' });
    expect(await probe({ body: 'healthy' })).toMatchObject({ ok: false, reason: 'HTTP 500' });
  });
});

describe('http probe: load', () => {
  it('reads the load from a header', async () => {
    backend.set({ headers: { 'X-Load': '0.75' } });
    expect(await probe({ loadHeader: 'X-Load' })).toMatchObject({ ok: true, load: 0.75 });
    backend.set({ headers: { 'X-Load': 'busy' } });
    const result = await probe({ loadHeader: 'X-Load' });
    expect(result.ok).toBe(true);
    expect(result).not.toHaveProperty('load');
  });

  it('reads the load from a dotted path into a JSON body', async () => {
    backend.set({ body: JSON.stringify({ stats: { load: 42, workers: [{ load: 7 }] } }) });
    expect(await probe({ loadJson: 'stats.load' })).toMatchObject({ ok: true, load: 42 });
    expect(await probe({ loadJson: 'stats.workers.0.load' })).toMatchObject({ ok: true, load: 7 });
    const missing = await probe({ loadJson: 'stats.nothing' });
    expect(missing.ok).toBe(true);
    expect(missing).not.toHaveProperty('load');
  });
});

describe('http probe: time', () => {
  it('times out against a server that accepts and never answers, at the deadline and not later', async () => {
    const started = performance.now();
    const result = await httpProbe.run(checkTarget('http', hanging, { timeoutMs: 300 }), AbortSignal.timeout(300));
    const took = performance.now() - started;
    expect(result).toMatchObject({ ok: false, reason: 'timeout after 300ms' });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    expect(hanging.accepted()).toBeGreaterThan(0);
  });

  it('times out on an HTTP server that reads the request and never responds', async () => {
    backend.set({ hang: true });
    expect(await probe({}, 300)).toMatchObject({ ok: false, reason: 'timeout after 300ms' });
  });

  it('measures latency to the response headers', async () => {
    backend.set({ delayMs: 120 });
    const result = await probe();
    expect(result.ok).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(110);
  });
});
