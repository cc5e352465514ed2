/** Pure pieces of the HTTP check: status ranges, load parsing, the Host header. */
import net from 'node:net';

/** True when `status` falls in one of the inclusive `expect` ranges. */
export function statusAccepted(status: number, expect: readonly (readonly [number, number])[]): boolean {
  return expect.some(([low, high]) => status >= low && status <= high);
}

/** A load figure from a header or JSON value: a finite number, or a string that is one. */
export function parseLoad(value: unknown): number | undefined {
  if (Array.isArray(value)) return parseLoad(value[0]);
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Follows a dotted path (`stats.load`, `workers.0.load`) into parsed JSON. Returns undefined when a
 * step is missing; numeric steps index arrays.
 */
export function readJsonPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const step of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    if (!Object.hasOwn(node, step)) return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

/** The load a JSON body reports at `path`, or undefined when the body is not JSON or has no number there. */
export function loadFromJsonBody(body: string, path: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  return parseLoad(readJsonPath(parsed, path));
}

/**
 * The Host header (RFC 9110 §7.2): the check's `host=` or else the probed address, with the port
 * when it is not the scheme's default, IPv6 literals in brackets.
 */
export function hostHeader(host: string | undefined, address: string, port: number, tls: boolean): string {
  const name = host ?? address;
  const shown = net.isIPv6(name) ? `[${name}]` : name;
  return port === (tls ? 443 : 80) ? shown : `${shown}:${port}`;
}

/** The TLS SNI name: the check's `host=`, never an IP literal (RFC 6066 §3 forbids addresses in SNI). */
export function sniName(host: string | undefined): string | undefined {
  return host !== undefined && net.isIP(host) === 0 ? host : undefined;
}
