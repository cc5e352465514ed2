import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsProbe } from '../../../checks/http.js';
import type { CheckSpec } from '../../../model/zone.js';
import { checkTarget } from '../../helpers/check-targets.js';
import { startHttpsBackend, type HttpsBackend } from '../../helpers/backends.js';

let backend: HttpsBackend;

beforeAll(async () => {
  backend = await startHttpsBackend('www.example.org', { body: 'secure ok' });
});
afterAll(async () => {
  await backend?.close();
});

function probe(spec: Partial<CheckSpec>) {
  return httpsProbe.run(checkTarget('https', backend, { timeoutMs: 3000, ...spec }), AbortSignal.timeout(3000));
}

describe('https probe', () => {
  it('refuses a self-signed certificate by default', async () => {
    const result = await probe({ host: 'www.example.org' });
    expect(result).toMatchObject({ ok: false, reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('accepts it with insecure, and still judges status and body', async () => {
    expect(await probe({ host: 'www.example.org', insecure: true, body: 'secure' })).toMatchObject({ ok: true });
    backend.set({ status: 503 });
    expect(await probe({ host: 'www.example.org', insecure: true })).toMatchObject({ ok: false, reason: 'HTTP 503' });
    backend.set({ status: 200 });
  });

  it('sends host= as TLS SNI and as the Host header while connecting to the address', async () => {
    backend.requests.length = 0;
    expect(await probe({ host: 'www.example.org', insecure: true })).toMatchObject({ ok: true });
    const [seen] = backend.requests;
    expect(seen?.servername).toBe('www.example.org');
    expect(seen?.headers.host).toBe(`www.example.org:${backend.port}`);
  });

  it('sends no SNI when it has only an address (RFC 6066 forbids IP literals there)', async () => {
    backend.requests.length = 0;
    expect(await probe({ insecure: true })).toMatchObject({ ok: true });
    expect(backend.requests[0]?.servername).toBeUndefined();
    expect(backend.requests[0]?.headers.host).toBe(`127.0.0.1:${backend.port}`);
  });
});
