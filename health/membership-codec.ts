/**
 * Overlays (model/membership.ts) as JSON, in Redis and in the state file, and the checks applied
 * when reading them back: another version or a hand-edited value must not crash a server. A
 * malformed entry is dropped; a malformed document is refused as a whole (undefined).
 */
import type { AnnotationKeys, ExternalDnsMeta, OverlayMember, OverlayPool, OverlayRRset, ZoneOverlay } from '../model/membership.js';

export function encodeOverlay(overlay: ZoneOverlay): string {
  return JSON.stringify(overlay);
}

export function decodeOverlay(text: string): ZoneOverlay | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  return overlayFrom(raw);
}

export function overlayFrom(raw: unknown): ZoneOverlay | undefined {
  if (!isRecord(raw)) return undefined;
  const { zone, version, pools, rrsets } = raw;
  if (typeof zone !== 'string' || zone === '' || !isCount(version) || !Array.isArray(pools) || !Array.isArray(rrsets)) return undefined;
  return {
    zone,
    version,
    pools: pools.map(poolFrom).filter((p): p is OverlayPool => p !== undefined),
    rrsets: rrsets.map(rrsetFrom).filter((r): r is OverlayRRset => r !== undefined),
  };
}

function poolFrom(raw: unknown): OverlayPool | undefined {
  if (!isRecord(raw) || typeof raw.owner !== 'string' || raw.owner === '' || !Array.isArray(raw.members)) return undefined;
  const keys = raw.keys === undefined ? undefined : keysFrom(raw.keys);
  if (raw.keys !== undefined && keys === undefined) return undefined;
  return {
    owner: raw.owner,
    keys,
    members: raw.members.map(memberFrom).filter((m): m is OverlayMember => m !== undefined),
    externaldns: metaFrom(raw.externaldns),
  };
}

function memberFrom(raw: unknown): OverlayMember | undefined {
  if (!isRecord(raw) || typeof raw.address !== 'string' || raw.address === '') return undefined;
  const keys = keysFrom(raw.keys);
  if (!keys) return undefined;
  return {
    address: raw.address,
    keys,
    setIdentifier: typeof raw.setIdentifier === 'string' ? raw.setIdentifier : undefined,
    at: isCount(raw.at) ? raw.at : 0,
    by: typeof raw.by === 'string' ? raw.by : '',
  };
}

function rrsetFrom(raw: unknown): OverlayRRset | undefined {
  if (!isRecord(raw) || typeof raw.owner !== 'string' || (raw.type !== 'TXT' && raw.type !== 'CNAME') || !isCount(raw.ttl)) return undefined;
  if (!Array.isArray(raw.values) || !raw.values.every((v) => typeof v === 'string')) return undefined;
  return {
    owner: raw.owner,
    type: raw.type,
    ttl: raw.ttl,
    values: raw.values as string[],
    labels: stringMap(raw.labels),
    setIdentifier: typeof raw.setIdentifier === 'string' ? raw.setIdentifier : undefined,
    at: isCount(raw.at) ? raw.at : 0,
    by: typeof raw.by === 'string' ? raw.by : '',
  };
}

function metaFrom(raw: unknown): ExternalDnsMeta | undefined {
  if (!isRecord(raw) || !Array.isArray(raw.endpoints)) return undefined;
  const endpoints: ExternalDnsMeta['endpoints'][number][] = [];
  for (const e of raw.endpoints as unknown[]) {
    if (!isRecord(e) || typeof e.recordType !== 'string' || typeof e.setIdentifier !== 'string') continue;
    const providerSpecific = Array.isArray(e.providerSpecific)
      ? (e.providerSpecific as unknown[]).filter((p): p is { name: string; value: string } => isRecord(p) && typeof p.name === 'string' && typeof p.value === 'string')
      : [];
    endpoints.push({
      recordType: e.recordType,
      setIdentifier: e.setIdentifier,
      recordTTL: isCount(e.recordTTL) ? e.recordTTL : undefined,
      labels: stringMap(e.labels) ?? {},
      providerSpecific,
    });
  }
  return { endpoints };
}

function keysFrom(raw: unknown): AnnotationKeys | undefined {
  if (!isRecord(raw)) return undefined;
  const out: Record<string, string | true> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === true || typeof v === 'string') out[k] = v;
    else return undefined;
  }
  return out;
}

function stringMap(raw: unknown): Record<string, string> | undefined {
  if (!isRecord(raw)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v;
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
