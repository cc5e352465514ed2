/** Start-up rules for `;@map` (issue 12) that depend on how the server was started. */
import type { Zone } from '../model/zone.js';
import type { HealthView } from '../model/health.js';
import { siteStates } from '../balance/sites.js';
import type { StatusModel } from '../health/status.js';

/**
 * Why `zone` cannot be served without a GeoIP database (a map with country or continent rules),
 * or undefined when it can. The message names the map, where it is, and the flag to add.
 */
export function geoRequirement(zone: Zone): string | undefined {
  for (const map of zone.maps?.values() ?? []) {
    if (!map.usesGeo) continue;
    const at = `${map.source.file}:${map.source.line}:${map.source.column}`;
    return `${at}: ;@map ${map.name} has country/continent rules, but no GeoIP database is loaded: start with --geoip FILE.mmdb (or use only net: and default= rules)`;
  }
  return undefined;
}

/** Each site of each pool with `map=`, as the current health view decides it (status, metrics). */
export function currentSiteStates(runtime: { zones(): readonly Zone[]; readonly store: { view(): HealthView } }): SiteStatus[] {
  const view = runtime.store.view();
  const out: SiteStatus[] = [];
  for (const zone of runtime.zones()) {
    // A compactly compiled zone decodes its mapped pools only: /metrics must not decode a large zone whole.
    for (const pool of zone.poolIndex ? zone.poolIndex.mapped() : zone.pools) {
      if (!pool.siteMap) continue;
      for (const s of siteStates(pool, view)) {
        out.push({ pool: pool.key, site: s.name, up: s.up, upShare: s.totalWeight > 0 ? s.upWeight / s.totalWeight : 0, threshold: s.threshold, upWeight: s.upWeight, totalWeight: s.totalWeight });
      }
    }
  }
  return out;
}

export interface SiteStatus {
  readonly pool: string;
  readonly site: string;
  readonly up: boolean;
  /** Up weight / total weight, 0-1. */
  readonly upShare: number;
  readonly threshold: number;
  readonly upWeight: number;
  readonly totalWeight: number;
}

/**
 * `rondo status`: the sites of every pool with `map=` in `zones`, from the shared state read out
 * of Redis (each target's effective state, member overrides), as a server would decide them.
 */
export function sitesFromSharedStatus(model: StatusModel, zones: readonly Zone[]): SiteStatus[] {
  const effective = new Map(model.targets.map((t) => [t.id, t.effective] as const));
  const overrides = new Map(model.memberOverrides.map((m) => [`${m.pool}/${m.address}`, m.kind] as const));
  const view: HealthView = {
    version: 0,
    get: (id) => {
      const state = effective.get(id);
      return state === undefined ? undefined : { state, latencyMs: undefined, load: undefined, reason: 'shared', since: 0 };
    },
    member: (pool, address) => overrides.get(`${pool}/${address}`),
  };
  return currentSiteStates({ zones: () => zones, store: { view: () => view } });
}

/** The sites as an aligned text table (empty string when there are none). */
export function renderSiteTable(sites: readonly SiteStatus[]): string {
  if (sites.length === 0) return '';
  const rows = [['POOL', 'SITE', 'STATE', 'UP WEIGHT', 'UP SHARE', 'THRESHOLD']];
  for (const s of sites) {
    rows.push([s.pool, s.site, s.up ? 'up' : 'down', `${s.upWeight}/${s.totalWeight}`, `${Math.round(s.upShare * 100)}%`, `${Math.round(s.threshold * 1000) / 10}%`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
  return `Sites (${sites.length})\n${lines.join('\n')}\n`;
}
