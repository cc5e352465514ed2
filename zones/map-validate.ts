/**
 * Semantic checks of `;@map` lines and their use (issue 12), once the whole file is read: lines of
 * one name merge into one map; a network, country, continent or `default=` appears once per map;
 * every map has a default; `map=` names a map; in a mapped pool every member says `site=`, and
 * `site=` / `site-threshold=` appear only with `map=`. Builds the compiled SiteMap for each map.
 */
import type { SourcePosition } from '../lib/errors.js';
import { RRType } from '../model/zone.js';
import type { SiteMap, SiteNet, SiteRule } from '../model/site-map.js';
import type { ZoneCode } from './codes.js';
import type { ParsedPool } from './annotations.js';
import type { ParsedMap } from './map-annotation.js';
import type { ParsedZone } from './parse.js';
import type { RecordGroups } from './group.js';

type Report = (code: ZoneCode, detail: string, at: SourcePosition, token?: string) => void;

function where(first: SourcePosition, here: SourcePosition): string {
  return first.file === here.file ? `line ${first.line}` : `${first.file}:${first.line}`;
}

export function checkMaps(zone: ParsedZone, groups: RecordGroups, pools: ReadonlyMap<string, ParsedPool>, err: Report, warn: Report): Map<string, SiteMap> {
  const byName = new Map<string, ParsedMap[]>();
  for (const m of zone.maps) {
    const list = byName.get(m.name);
    if (list) list.push(m);
    else byName.set(m.name, [m]);
  }
  const maps = new Map<string, SiteMap>();
  for (const [name, lines] of byName) {
    const map = buildMap(name, lines, err);
    if (map) maps.set(name, map);
  }

  const used = new Set<string>();
  for (const p of pools.values()) {
    const mapName = p.config.map;
    if (mapName === undefined) {
      if (p.config.siteThreshold !== undefined) err('ZONE_SITE_WITHOUT_MAP', `site-threshold= needs map= on ;@pool ${p.display}`, p.keys.get('site-threshold') ?? p.source, 'site-threshold');
      continue;
    }
    used.add(mapName);
    const map = maps.get(mapName);
    if (!map) {
      if (!byName.has(mapName) && !zone.failedMaps.has(mapName)) err('ZONE_UNKNOWN_MAP', `no ;@map named "${mapName}" in this zone`, p.keys.get('map') ?? p.source, mapName);
      continue;
    }
    const group = groups.get(p.name);
    for (const type of [RRType.A, RRType.AAAA]) {
      for (const rr of group?.types.get(type) ?? []) {
        const member = zone.members.get(rr);
        const address = rr.rdata.kind === 'A' || rr.rdata.kind === 'AAAA' ? rr.rdata.address : '';
        if (member?.site === undefined) {
          err('ZONE_MEMBER_NO_SITE', `${rr.display} ${address} is in a pool with map=${mapName} but has no site= (add ;@ site=NAME)`, member?.source ?? rr.source, address);
        } else if (!map.sites.includes(member.site)) {
          warn('ZONE_SITE_UNUSED', `site "${member.site}" of ${rr.display} ${address} is named by no rule of map ${mapName}; it is answered only when every site is down`, member.keys.get('site') ?? member.source, member.site);
        }
      }
    }
  }
  // Pools whose ;@pool line was refused (by owner as written): their members are not blamed again.
  const refusedPools = new Set([...zone.failedMaps].filter((k) => k.startsWith('pool:')).map((k) => k.slice(5).toLowerCase()));
  for (const [rr, member] of zone.members) {
    if (member.site === undefined) continue;
    if (pools.get(rr.name)?.config.map === undefined && !refusedPools.has(rr.name) && !refusedPools.has(rr.name.split('.')[0] ?? '')) {
      err('ZONE_SITE_WITHOUT_MAP', `site= on ${rr.display} needs map= on its pool (;@pool ${rr.display} map=NAME)`, member.keys.get('site') ?? member.source, member.site);
    }
  }
  for (const [name, lines] of byName) {
    const first = lines[0];
    if (first && !used.has(name)) warn('ZONE_MAP_UNUSED', `map "${name}" is not used by any pool (map=${name})`, first.nameAt, name);
  }
  return maps;
}

function buildMap(name: string, lines: readonly ParsedMap[], err: Report): SiteMap | undefined {
  const first = lines[0];
  if (!first) return undefined;
  const rules: SiteRule[] = [];
  const nets: SiteNet[] = [];
  const countries = new Map<string, number>();
  const continents = new Map<string, number>();
  const seen = new Map<string, SourcePosition>();
  const sites: string[] = [];
  let defaultRule: number | undefined;
  let ok = true;
  for (const line of lines) {
    for (const r of line.rules) {
      const index = rules.length;
      rules.push({ kind: r.kind, sites: r.sites, source: r.source });
      for (const s of r.sites) if (!sites.includes(s)) sites.push(s);
      if (r.kind === 'default') {
        const earlier = seen.get('default');
        if (earlier) {
          err('ZONE_MAP_DUPLICATE_MATCH', `map ${name} has a second default= (the first is at ${where(earlier, r.source)})`, r.source, 'default');
          ok = false;
        } else {
          seen.set('default', r.source);
          defaultRule = index;
        }
        continue;
      }
      for (const m of r.matches) {
        const key = `${r.kind}:${m.value}`;
        const earlier = seen.get(key);
        if (earlier) {
          err('ZONE_MAP_DUPLICATE_MATCH', `${r.kind} ${m.value} is already in map ${name} at ${where(earlier, m.at)}`, m.at, m.value);
          ok = false;
          continue;
        }
        seen.set(key, m.at);
        if (r.kind === 'country') countries.set(m.value, index);
        else if (r.kind === 'continent') continents.set(m.value, index);
        else if (m.net) nets.push({ family: m.net.family, bytes: m.net.bytes, prefixLength: m.net.prefixLength, rule: index, text: m.value });
      }
    }
  }
  if (defaultRule === undefined) {
    err('ZONE_MAP_NO_DEFAULT', `map ${name} has no default= rule (the sites for clients no other rule matches)`, first.nameAt, name);
    return undefined;
  }
  if (!ok) return undefined;
  return { name, rules, nets, countries, continents, defaultRule, usesGeo: countries.size > 0 || continents.size > 0, sites, source: first.nameAt };
}
