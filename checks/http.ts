import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { CheckSpec, Target } from '../model/zone.js';
import { abortReason, elapsedMs, errorReason, settleProbe } from './abort-reason.js';
import { hostHeader, loadFromJsonBody, parseLoad, sniName, statusAccepted } from './http-match.js';
import type { Probe, ProbeResult } from './types.js';

/** How much of a body the checks read; `body`, `body-regex` and `load-json` judge only this much. */
export const MAX_BODY_BYTES = 64 * 1024;

const regexCache = new WeakMap<CheckSpec, RegExp | string>();

/** The compiled `body-regex`, or the compile error's message. Cached per spec (zone reloads make new specs). */
function bodyRegex(spec: CheckSpec, source: string): RegExp | string {
  let compiled = regexCache.get(spec);
  if (compiled === undefined) {
    try {
      compiled = new RegExp(source);
    } catch (err) {
      compiled = err instanceof Error ? err.message : String(err);
    }
    regexCache.set(spec, compiled);
  }
  return compiled;
}

type BodyRead = { ok: true; text: string } | { ok: false; reason: string };

/** Reads up to MAX_BODY_BYTES, then stops (the connection is closed afterwards anyway). */
function readBody(res: IncomingMessage, signal: AbortSignal, target: Target): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (r: BodyRead) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const text = () => Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_BODY_BYTES) done({ ok: true, text: text() });
    });
    res.once('end', () => done({ ok: true, text: text() }));
    res.on('error', (err) => done({ ok: false, reason: signal.aborted ? abortReason(signal, target) : errorReason(err) }));
    res.once('close', () => {
      if (res.complete) done({ ok: true, text: text() });
      else done({ ok: false, reason: signal.aborted ? abortReason(signal, target) : 'connection closed before the body ended' });
    });
  });
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** Applies `body`, `body-regex` and `load-json` to a body that passed the status check. */
function judgeBody(spec: CheckSpec, body: string, latencyMs: number, headerLoad: number | undefined): ProbeResult {
  if (spec.body !== undefined && !body.includes(spec.body)) {
    return { ok: false, latencyMs, reason: `body does not contain ${quote(spec.body)}` };
  }
  if (spec.bodyRegex !== undefined) {
    const re = bodyRegex(spec, spec.bodyRegex);
    if (typeof re === 'string') return { ok: false, latencyMs, reason: `invalid body-regex: ${re}` };
    if (!re.test(body)) return { ok: false, latencyMs, reason: `body does not match /${spec.bodyRegex}/` };
  }
  const load = spec.loadJson !== undefined ? loadFromJsonBody(body, spec.loadJson) : headerLoad;
  return load === undefined ? { ok: true, latencyMs } : { ok: true, latencyMs, load };
}

/**
 * HTTP or HTTPS request to the target address. The Host header and TLS SNI come from `host=`, so one
 * check can probe many addresses of one virtual host. No redirects are followed (a 3xx is judged by
 * `expect`), no connection is reused (`Connection: close`, an agent without keep-alive). Latency is the time to
 * the response headers.
 */
function makeHttpProbe(tls: boolean): Probe {
  // One agent without keep-alive for every probe: `agent: false` made an Agent per request, garbage
  // that a thousand probes in flight (the storm test) turned into longer young-generation pauses.
  const agent = tls ? new https.Agent({ keepAlive: false, maxSockets: Infinity }) : new http.Agent({ keepAlive: false, maxSockets: Infinity });
  return {
    run(target: Target, signal: AbortSignal): Promise<ProbeResult> {
      const spec = target.check;
      const start = performance.now();
      if (signal.aborted) return Promise.resolve({ ok: false, latencyMs: 0, reason: abortReason(signal, target) });
      const needBody = spec.body !== undefined || spec.bodyRegex !== undefined || spec.loadJson !== undefined;
      return new Promise<ProbeResult>((resolve) => {
        const finish = settleProbe(signal, target, start, resolve, (error) => req.destroy(error));
        const options: https.RequestOptions = {
          host: target.address,
          port: target.port,
          path: spec.path,
          method: spec.method,
          headers: {
            Host: hostHeader(spec.host, target.address, target.port, tls),
            Connection: 'close',
            'User-Agent': 'rondo-check',
            Accept: '*/*',
          },
          agent,
        };
        if (tls) {
          const servername = sniName(spec.host);
          if (servername !== undefined) options.servername = servername;
          options.rejectUnauthorized = !spec.insecure;
        }
        const onResponse = (res: IncomingMessage) => {
          const latencyMs = elapsedMs(start);
          const status = res.statusCode ?? 0;
          if (!statusAccepted(status, spec.expect)) {
            finish({ ok: false, latencyMs, reason: `HTTP ${status}` });
            return;
          }
          const headerLoad = spec.loadHeader !== undefined ? parseLoad(res.headers[spec.loadHeader.toLowerCase()]) : undefined;
          if (!needBody) {
            finish(headerLoad === undefined ? { ok: true, latencyMs } : { ok: true, latencyMs, load: headerLoad });
            return;
          }
          void readBody(res, signal, target).then((body) => {
            finish(body.ok ? judgeBody(spec, body.text, latencyMs, headerLoad) : { ok: false, latencyMs: elapsedMs(start), reason: body.reason });
          });
        };
        const req = tls ? https.request(options, onResponse) : http.request(options, onResponse);
        req.on('error', (err) => {
          finish({ ok: false, latencyMs: elapsedMs(start), reason: signal.aborted ? abortReason(signal, target) : errorReason(err) });
        });
        req.end();
      });
    },
  };
}

export const httpProbe: Probe = makeHttpProbe(false);
export const httpsProbe: Probe = makeHttpProbe(true);
