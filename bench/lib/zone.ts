/**
 * The benchmark zone, `bench.example.test.`: `www` has four A records (TTL 20). The same file is
 * Rondo's (a weighted pool, HTTP-checked, in `;@` comments) and the static peers' (BIND, Knot,
 * NSD read it as four plain A records), as DESIGN.md promises.
 */
import { MEMBERS, TTL, WEIGHTS, ZONE } from '../peers/types.js';

export function soaAndNs(): string[] {
  return [`$ORIGIN ${ZONE}`, '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 127.0.0.1'];
}

/** The zone file: Rondo's annotations live in comments, so every RFC 1035 server reads it. */
export function benchZone(backendPort: number, poolKeys = ''): string {
  return [
    ...soaAndNs(),
    `;@check web http port=${backendPort} path=/ interval=1s timeout=500ms rise=1 fall=2`,
    `;@pool www policy=weighted answers=all check=web${poolKeys ? ` ${poolKeys}` : ''}`,
    ...MEMBERS.map((address, i) => `www ${TTL} IN A ${address} ;@ weight=${WEIGHTS[i] ?? 1}`),
    '',
  ].join('\n');
}
