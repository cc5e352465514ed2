/** Zones for dns/ tests, built through the real zone loader from text or from test/fixtures/dns. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseZoneText } from '../../zones/load.js';
import type { Zone } from '../../model/zone.js';
import { ZoneSnapshot } from '../../dns/zone-set.js';

export const DNS_FIXTURES = fileURLToPath(new URL('../fixtures/dns/', import.meta.url));

/** Parses zone text; throws with every error when it is refused. */
export function zoneFromText(text: string, file = 'test.zone'): Zone {
  const result = parseZoneText(text, file);
  if (!result.ok) throw new Error(`test zone refused:\n${result.errors.map((e) => e.message).join('\n')}`);
  return result.zone;
}

export function fixtureZoneText(name: string): string {
  return readFileSync(`${DNS_FIXTURES}${name}`, 'utf8');
}

export function fixtureZone(name: string): Zone {
  return zoneFromText(fixtureZoneText(name), `${DNS_FIXTURES}${name}`);
}

export function zoneSet(...zones: Zone[]): ZoneSnapshot {
  return new ZoneSnapshot(zones);
}
