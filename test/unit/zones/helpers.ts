/** Shared helpers for the zone tests (not a test file). */
import { expect } from 'vitest';
import type { ZoneSyntaxError } from '../../../lib/errors.js';
import type { Zone } from '../../../model/zone.js';
import { parseZoneText, type LoadOptions, type LoadResult } from '../../../zones/load.js';
import { formatRecord } from '../../helpers/zone-present.js';

/** Five lines: a minimal valid apex. Records added after it start at line 6. */
export const HEAD = [
  '$ORIGIN example.test.',
  '$TTL 300',
  '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30',
  '  IN NS ns1',
  'ns1 IN A 192.0.2.53',
  '',
].join('\n');

export function load(text: string, options: LoadOptions & { readInclude?: (path: string) => string } = {}): LoadResult {
  return parseZoneText(text, 'zones/example.test.zone', options);
}

export function loadOk(text: string, options: LoadOptions & { readInclude?: (path: string) => string } = {}): { zone: Zone; warnings: ZoneSyntaxError[] } {
  const r = load(text, options);
  if (!r.ok) throw new Error(`expected the zone to load, got:\n${r.errors.map((e) => e.message).join('\n')}`);
  return r;
}

export function loadErrors(text: string, options: LoadOptions & { readInclude?: (path: string) => string } = {}): ZoneSyntaxError[] {
  const r = load(text, options);
  expect(r.ok, 'expected the zone to be refused').toBe(false);
  return r.ok ? [] : r.errors;
}

/** `CODE@line` for each error, compact to compare. */
export function codeLines(errors: readonly ZoneSyntaxError[]): string[] {
  return errors.map((e) => `${e.code}@${e.line}`);
}

/** All records of a name and type, in presentation format. */
export function records(zone: Zone, name: string, type?: number): string[] {
  const node = zone.nodes.get(name);
  if (!node) return [];
  return [...node.rrsets.values()].filter((s) => type === undefined || s.type === type).flatMap((s) => s.records.map(formatRecord));
}
