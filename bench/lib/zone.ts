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

/**
 * Issue 12: the same four members as a mapped pool, all in site `a` (the harness waits for an
 * answer with all four), with a `net:` map of `prefixes` 10/8 prefixes sending clients to `b>a`
 * and the loopback clients' 127.0.0.0/8 to `a>b` (dnsperf asks from 127.0.0.1, so every query is
 * steered by its source address through the map's prefix table to site a). Site `b` has no members
 * here: it is down, so the other rules fail over to `a` too.
 */
export function benchSitesZone(backendPort: number, prefixes = 1000): string {
  const nets: string[] = [];
  for (let i = 0; i < prefixes; i++) nets.push(`10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
  const lines: string[] = [];
  for (let i = 0; i < nets.length; i += 500) lines.push(`;@map bench net:${nets.slice(i, i + 500).join(',')}=b>a`);
  return [
    ...soaAndNs(),
    `;@check web http port=${backendPort} path=/ interval=1s timeout=500ms rise=1 fall=2`,
    ...lines,
    ';@map bench net:127.0.0.0/8=a>b default=b>a',
    ';@pool www policy=weighted answers=all check=web map=bench',
    ...MEMBERS.map((address, i) => `www ${TTL} IN A ${address} ;@ weight=${WEIGHTS[i] ?? 1} site=a`),
    '',
  ].join('\n');
}
