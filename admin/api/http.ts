/** Small HTTP helpers shared by the write API and the ExternalDNS webhook: bodies, media types, JSON answers. */
import type http from 'node:http';

/** Largest request body accepted, bytes (an ExternalDNS batch of a few thousand endpoints fits). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type BodyRead = { ok: true; text: string } | { ok: false; status: 413 | 400; message: string };

/** Reads the whole body, refusing more than `limit` bytes (413) without buffering it. */
export function readBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ ok: false, status: 413, message: `request body of ${declared} bytes is over the limit of ${limit}` });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyRead) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish({ ok: false, status: 413, message: `request body is over the limit of ${limit} bytes` });
        req.resume();
        return;
      }
      if (!done) chunks.push(chunk);
    });
    req.on('end', () => finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', (err) => finish({ ok: false, status: 400, message: `request body could not be read: ${err.message}` }));
  });
}

/** The media type of a Content-Type header, lowercase, without parameters (`application/json`). */
export function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const type = header.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** The parameters of a media type header, lowercase names (`version=1` → { version: '1' }). */
export function mediaParams(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return out;
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: `body is not valid JSON: ${(err as Error).message}` };
  }
}

const HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

export function sendJson(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json; charset=utf-8', extra: Record<string, string> = {}): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status, { ...HEADERS, ...extra });
    res.end();
    return;
  }
  const bytes = Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
  res.writeHead(status, { ...HEADERS, ...extra, 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
}

/** `192.0.2.7:51234` ([v6]:port), for the audit log. */
export function remoteOf(req: http.IncomingMessage): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return `${a.includes(':') ? `[${a}]` : a}:${req.socket.remotePort ?? 0}`;
}
