/** Builds CheckSpec/Target values for check tests without going through a zone file. */
import type { CheckKind, CheckSpec, Target } from '../../model/zone.js';

const DEFAULT_PORTS: Record<CheckKind, number> = { tcp: 0, http: 80, https: 443, icmp: 0, dns: 53 };

export function checkSpec(kind: CheckKind, overrides: Partial<CheckSpec> = {}): CheckSpec {
  return {
    name: `${kind}-check`,
    kind,
    port: undefined,
    intervalMs: 1000,
    timeoutMs: 500,
    rise: 2,
    fall: 2,
    jitterMs: 0,
    path: '/',
    host: undefined,
    method: 'GET',
    expect: [[200, 299]],
    body: undefined,
    bodyRegex: undefined,
    loadHeader: undefined,
    loadJson: undefined,
    insecure: false,
    qname: undefined,
    qtype: 'SOA',
    rcode: 'NOERROR',
    source: { file: 'test.zone', line: 1, column: 1 },
    ...overrides,
  };
}

export function checkTarget(
  kind: CheckKind,
  at: { address: string; port?: number },
  overrides: Partial<CheckSpec> = {},
): Target {
  const check = checkSpec(kind, overrides);
  const port = at.port ?? check.port ?? DEFAULT_PORTS[kind];
  return { id: `example.org./${check.name}/${at.address}/${port}`, zone: 'example.org.', check, address: at.address, port };
}
