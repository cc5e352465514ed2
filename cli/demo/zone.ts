/**
 * The demo zone, written at start because the backends' port is only known then. Three pools
 * over the same three backends and one http check, so one backend going down shows in all three.
 */
import type { DemoBackendInfo } from '../../server/demo-backend.js';

export const DEMO_ORIGIN = 'demo.test.';

/** The check every pool uses; the numbers the intro explains. */
export const DEMO_CHECK = { intervalMs: 1000, timeoutMs: 500, fall: 2, rise: 2 } as const;

export interface DemoPoolInfo {
  /** Relative owner, as the user types it before `.demo.test`. */
  readonly name: string;
  readonly summary: string;
}

export const DEMO_POOLS: readonly DemoPoolInfo[] = [
  { name: 'www', summary: 'round robin: every healthy backend in each answer, rotated' },
  { name: 'api', summary: 'weighted 3:2:1, one address per answer' },
  { name: 'app', summary: 'failover: backend 1; backend 2 if 1 is down; backend 3 is the backup' },
  { name: 'geo', summary: 'sites: clients in 198.51.100.0/24 go to site east (backend 3), others to west (1, 2); each fails over to the other' },
];

const API_WEIGHTS = [3, 2, 1];

/** `;@` member settings: probe elsewhere when the answered address is not where the backend listens. */
function memberNote(backend: DemoBackendInfo, checkPort: number, settings: readonly string[]): string {
  const probe = backend.address !== backend.recordAddress ? [`probe=${backend.address}`] : [];
  const port = backend.port !== checkPort ? [`port=${backend.port}`] : [];
  const all = [...settings, ...probe, ...port];
  return all.length > 0 ? `   ;@ ${all.join(' ')}` : '';
}

/** `1s` rather than `1000ms`: the zone is meant to be read. */
function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function demoZoneText(backends: readonly DemoBackendInfo[]): string {
  const checkPort = backends[0]?.port ?? 80;
  const { intervalMs, timeoutMs, fall, rise } = DEMO_CHECK;
  const records = (owner: string, settings: (b: DemoBackendInfo, i: number) => string[]): string[] =>
    backends.map((b, i) => `${owner.padEnd(4)} 5 IN A ${b.recordAddress}${memberNote(b, checkPort, settings(b, i))}`);
  return [
    '; Written by `rondo demo`. Edit and save: Rondo reloads the zone while it runs.',
    `$ORIGIN ${DEMO_ORIGIN}`,
    '$TTL 60',
    '@    IN SOA ns1 hostmaster 1 7200 900 1209600 5',
    '     IN NS  ns1',
    'ns1  IN A   192.0.2.53',
    '',
    `;@check web http port=${checkPort} path=/healthz expect=200 interval=${duration(intervalMs)} timeout=${duration(timeoutMs)} fall=${fall} rise=${rise}`,
    '',
    '; www: round robin over the healthy backends.',
    ';@pool www policy=round-robin check=web',
    ...records('www', () => []),
    '',
    '; api: weighted, one address per answer.',
    ';@pool api policy=weighted answers=1 check=web',
    ...records('api', (_b, i) => [`weight=${API_WEIGHTS[i] ?? 1}`]),
    '',
    '; app: failover groups; the backup answers only when every other member is down.',
    ';@pool app policy=failover answers=1 check=web',
    ...records('app', (_b, i) => (i === 0 ? ['priority=1'] : i === 1 ? ['priority=2'] : ['backup'])),
    '',
    '; geo: sites. ECS (or source) 198.51.100.0/24 prefers east, everyone else west; a site is up',
    '; while half its weight is; when neither is, a CNAME to a fallback host.',
    ';@map demo net:198.51.100.0/24=east>west default=west>east',
    ';@pool geo policy=round-robin check=web map=demo site-threshold=50% all-down=cname:sorry.demo.test.',
    ...records('geo', (_b, i) => [i < 2 ? 'site=west' : 'site=east']),
    'sorry 5 IN A 192.0.2.99',
    '',
  ].join('\n');
}
