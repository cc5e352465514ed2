/** Start-up rules for `;@map` (issue 12) that depend on how the server was started. */
import type { Zone } from '../model/zone.js';

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
