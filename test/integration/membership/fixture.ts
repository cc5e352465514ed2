/**
 * Shared set-up for the dynamic-membership tests (issue 16): real `rondo serve` processes with the
 * admin listener and a token, an HTTP client for the write API, and the cluster tests' backends
 * and DNS helpers.
 */
import { freePort } from '../../../bench/lib/redis-server.js';
import { freeDnsPort, startRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';

export const TOKEN_SECRET = 'test-secret-0123456789';
export const TOKEN = `ops:${TOKEN_SECRET}`;

export interface ApiNode {
  readonly name: string;
  /** DNS port. */
  readonly port: number;
  readonly adminPort: number;
  readonly webhookPort: number | undefined;
  readonly args: readonly string[];
  process: RondoProcess;
}

export interface ApiNodeOptions {
  readonly zones: string;
  readonly stateFile: string;
  readonly redisArgs?: readonly string[];
  readonly externaldns?: boolean;
  readonly extra?: readonly string[];
}

/** `rondo serve` with `--http` (token `ops:...`), a state file, and optionally Redis and the webhook. */
export async function startApiNode(name: string, options: ApiNodeOptions): Promise<ApiNode> {
  const port = await freeDnsPort();
  const adminPort = await freePort();
  const webhookPort = options.externaldns ? await freePort() : undefined;
  const args = [
    'serve',
    '--zones', options.zones,
    '--listen', `127.0.0.1:${port}`,
    '--node-id', name,
    '--http', `127.0.0.1:${adminPort}`,
    '--http-token', TOKEN,
    '--state-file', options.stateFile,
    ...(webhookPort ? ['--externaldns', `127.0.0.1:${webhookPort}`] : []),
    ...(options.redisArgs ?? []),
    ...(options.extra ?? []),
  ];
  const process = await startRondo(args, { name });
  return { name, port, adminPort, webhookPort, args, process };
}

/** Stops and starts the node again with the same arguments (same ports). */
export async function restartApiNode(node: ApiNode): Promise<void> {
  await node.process.stop();
  node.process = await startRondo(node.args, { name: node.name });
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

export interface ApiRequest {
  readonly method?: string;
  readonly body?: unknown;
  /** Raw body text (sent as is). */
  readonly raw?: string;
  readonly contentType?: string | null;
  /** Bearer secret; null: none. Default: the test token. */
  readonly token?: string | null;
  readonly accept?: string;
}

export async function api(port: number, path: string, request: ApiRequest = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  const token = request.token === undefined ? TOKEN_SECRET : request.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const body = request.raw ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  const contentType = request.contentType === undefined ? (body !== undefined ? 'application/json' : null) : request.contentType;
  if (contentType !== null) headers['Content-Type'] = contentType;
  if (request.accept) headers.Accept = request.accept;
  // A string body makes fetch add `text/plain`; bytes go without a Content-Type (as Go's client sends).
  const payload = body === undefined ? undefined : contentType === null ? new TextEncoder().encode(body) : body;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: request.method ?? 'GET', headers, body: payload, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export function memberPath(zone: string, owner: string, type: string, address: string): string {
  return `/api/v1/zones/${zone}/pools/${owner}/${type}/members/${encodeURIComponent(address)}`;
}

export interface ListedMember {
  readonly address: string;
  readonly source: 'file' | 'api';
  readonly health: string;
  readonly weight: number;
}
export interface ListedPool {
  readonly owner: string;
  readonly type: string;
  readonly members: readonly ListedMember[];
}
export interface Listing {
  readonly zone: string;
  readonly version: number;
  readonly pools: readonly ListedPool[];
}

export async function listPools(port: number, zone: string): Promise<Listing> {
  const r = await api(port, `/api/v1/zones/${zone}/pools`);
  if (r.status !== 200) throw new Error(`GET pools: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as Listing;
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
