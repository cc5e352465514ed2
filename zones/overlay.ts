/**
 * The API's overlay on a zone file (model/membership.ts): members, pool settings and plain
 * records added at run time, merged into the parsed file before the usual semantic checks and
 * compilation. Every value goes through the zone file's own code (annotations.ts, validate.ts),
 * so the write API refuses exactly what `rondo zone check` would refuse, with the same code and
 * message. Records from the overlay carry the source file `(api)`.
 *
 * What wins when the file and the overlay disagree: the overlay, entry by entry. A member the API
 * sets at an address the file also lists replaces the file's record and settings; pool keys set
 * through the API replace the file's `;@pool` line; a TXT or CNAME RRset replaces the file's
 * RRset of that owner and type. Removing the API's entry brings the file's version back.
 */
import type { ZoneSyntaxError } from '../lib/errors.js';
import { RRType, type ResourceRecord } from '../model/zone.js';
import type { AnnotationKeys, OverlayMember, ZoneOverlay } from '../model/membership.js';
import type { ZoneCode } from './codes.js';
import { zoneError } from './diagnostics.js';
import type { ParsedZone } from './parse.js';
import { compileParsed, type LoadResult } from './load.js';
import { parseMemberAnnotation, parsePoolAnnotation, type AnnotationContext, type AnnotationWord, type ParsedMember, type ParsedPool } from './annotations.js';
import { parseAddress, parseIPv4, parseIPv6 } from '../lib/ip.js';
import { isSubdomain, originOf, parseName } from './names.js';

/** The file name overlay records and errors carry. */
export const OVERLAY_FILE = '(api)';
/** Seconds: the TTL of an API record when the file has no records of that RRset and the pool no `ttl=`. */
export const DEFAULT_OVERLAY_TTL = 30;

/** A refused input: the zone code, and the message `rondo zone check` would print after the position. */
export interface OverlayError {
  readonly code: ZoneCode;
  readonly message: string;
  /** The key or token at fault, when there is one. */
  readonly key?: string | undefined;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: OverlayError };

function fail<T>(code: ZoneCode, message: string, key?: string): Checked<T> {
  return { ok: false, error: { code, message, key } };
}

/** A collecting annotation context: the first error wins. */
function collector(line = 1): { ctx: AnnotationContext; errors: OverlayError[] } {
  const errors: OverlayError[] = [];
  const ctx: AnnotationContext = {
    file: OVERLAY_FILE,
    line,
    origin: undefined,
    fail: (code, detail, _column, token) => errors.push({ code, message: detail, key: token }),
  };
  return { ctx, errors };
}

function words(keys: AnnotationKeys): AnnotationWord[] {
  return Object.entries(keys).map(([key, value], i) => ({ key, value: value === true ? undefined : value, column: i + 1 }));
}

/**
 * A JSON object of settings (`{"weight": 3, "backup": true}`) into zone-grammar keys: numbers and
 * strings become values, `true` a flag, `false` leaves the flag out. Anything else is refused.
 */
export function keysFromJson(body: unknown): Checked<AnnotationKeys> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('ZONE_BAD_VALUE', `settings must be a JSON object of key: value (got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body})`);
  }
  const out: Record<string, string | true> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === true) out[key] = true;
    else if (value === false) continue;
    else if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value);
    else return fail('ZONE_BAD_VALUE', `key "${key}" must be a string, a number or true/false (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`, key);
  }
  return { ok: true, value: out };
}

/** Member keys, checked as the `;@ ...` at the end of an A/AAAA record. */
export function checkMemberKeys(keys: AnnotationKeys): Checked<ParsedMember> {
  const { ctx, errors } = collector();
  const member = parseMemberAnnotation(words(keys), ctx, 1);
  const first = errors[0];
  if (first || !member) return { ok: false, error: first ?? { code: 'ZONE_BAD_VALUE', message: 'bad member settings' } };
  return { ok: true, value: member };
}

/** Pool keys, checked as a `;@pool OWNER ...` line. `owner` is absolute. */
export function checkPoolKeys(owner: string, keys: AnnotationKeys): Checked<ParsedPool> {
  const { ctx, errors } = collector();
  const pool = parsePoolAnnotation([{ key: owner, value: undefined, column: 1 }, ...words(keys)], ctx, 1);
  const first = errors[0];
  if (first || !pool) return { ok: false, error: first ?? { code: 'ZONE_BAD_VALUE', message: 'bad pool settings' } };
  return { ok: true, value: pool };
}

/** An owner as the API names it (`www`, `www.example.org`, `www.example.org.`, `@`), inside `zone`. */
export function checkOwner(text: string, zone: string): Checked<{ name: string; display: string }> {
  const zoneAbs = zone.endsWith('.') ? zone : `${zone}.`;
  const lower = text.toLowerCase();
  // Written without the trailing dot but ending in the zone: absolute.
  const token = text === '@' || text.endsWith('.') ? text : lower === zoneAbs.slice(0, -1) || lower.endsWith(`.${zoneAbs.slice(0, -1)}`) ? `${text}.` : text;
  const parsed = parseName(token, originOf(zoneAbs));
  if (!parsed.ok) return fail(parsed.code, parsed.detail, text);
  if (!isSubdomain(parsed.name, zoneAbs.toLowerCase())) return fail('ZONE_OUT_OF_ZONE', `${parsed.display} is outside the zone ${zoneAbs.toLowerCase()}`, text);
  return { ok: true, value: { name: parsed.name, display: parsed.display } };
}

/** A member address for a pool of `type`: the same messages as an A/AAAA record with a bad address. */
export function checkAddress(type: 'A' | 'AAAA', text: string): Checked<string> {
  if (type === 'A') {
    const address = parseIPv4(text);
    return address === undefined ? fail('ZONE_BAD_IPV4', `bad IPv4 address "${text}" in A record`, text) : { ok: true, value: address };
  }
  const address = text.includes(':') ? parseIPv6(text) : undefined;
  return address === undefined ? fail('ZONE_BAD_IPV6', `bad IPv6 address "${text}" in AAAA record`, text) : { ok: true, value: address };
}

/** `A` for an IPv4 address, `AAAA` for IPv6 (the address is canonical already). */
export function addressType(address: string): 'A' | 'AAAA' {
  return parseAddress(address)?.family === 6 ? 'AAAA' : 'A';
}

const encoder = new TextEncoder();

/** A TXT value as ExternalDNS sends it (`"heritage=external-dns,..."`, quotes included or not) into character-strings of ≤ 255 octets. */
export function txtStrings(value: string): Uint8Array[] {
  const text = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  const bytes = encoder.encode(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out.length > 0 ? out : [new Uint8Array(0)];
}

export interface MergedZone {
  readonly parsed: ParsedZone;
  /** Errors in the overlay's own settings (before the semantic checks of the merged zone). */
  readonly errors: ZoneSyntaxError[];
}

/**
 * The file's parse with the overlay applied: a new ParsedZone (the file's is not changed), ready
 * for validateZone and compileZone. Pool settings are checked here; references (check names, tcp
 * ports, CNAME beside data, duplicates) by validateZone on the result.
 */
export function applyOverlay(file: ParsedZone, overlay: ZoneOverlay, apex: string): MergedZone {
  const errors: ZoneSyntaxError[] = [];
  let line = 0;
  const at = () => ({ file: OVERLAY_FILE, line: ++line, column: 1 });
  const err = (code: ZoneCode, message: string, token?: string) => errors.push(zoneError(code, message, at(), token));

  // What the overlay replaces: members by owner/type/address, RRsets by owner/type, pool lines by owner.
  const replacedMembers = new Set<string>();
  const replacedRRsets = new Set<string>();
  const replacedPools = new Set<string>();
  for (const p of overlay.pools) {
    for (const m of p.members) replacedMembers.add(`${p.owner}/${m.address}`);
    if (p.keys !== undefined) replacedPools.add(p.owner);
  }
  for (const r of overlay.rrsets) replacedRRsets.add(`${r.owner}/${r.type === 'TXT' ? RRType.TXT : RRType.CNAME}`);

  const records: ResourceRecord[] = [];
  const members = new Map<ResourceRecord, ParsedMember>();
  const fileTtl = new Map<string, number>();
  const fileAddresses = new Set<string>();
  for (const rr of file.records) {
    if (rr.rdata.kind === 'A' || rr.rdata.kind === 'AAAA') {
      fileAddresses.add(`${rr.name}/${rr.type}`);
      if (!fileTtl.has(`${rr.name}/${rr.type}`)) fileTtl.set(`${rr.name}/${rr.type}`, rr.ttl);
      if (replacedMembers.has(`${rr.name}/${rr.rdata.address}`)) continue;
    } else if (replacedRRsets.has(`${rr.name}/${rr.type}`)) {
      continue;
    }
    records.push(rr);
    const m = file.members.get(rr);
    if (m) members.set(rr, m);
  }
  const pools: ParsedPool[] = file.pools.filter((p) => !replacedPools.has(p.name));
  const checkNames = new Set(file.checks.map((c) => c.spec.name));

  for (const p of overlay.pools) {
    let ttlKey: number | undefined;
    let poolLine: ParsedPool | undefined;
    // The API creates the pool when the file has none at that owner (so one member is a pool too,
    // and its checks run): an empty `;@pool OWNER` line, the defaults.
    const keys = p.keys ?? (p.members.length > 0 && !pools.some((x) => x.name === p.owner) ? {} : undefined);
    if (keys !== undefined) {
      const checked = checkPoolKeys(p.owner, keys);
      if (!checked.ok) {
        err(checked.error.code, checked.error.message, checked.error.key);
        continue;
      }
      poolLine = checked.value;
      ttlKey = poolLine.config.ttl;
    }
    const display = poolLine?.display ?? p.owner;
    for (const m of p.members) {
      const type = addressType(m.address);
      const rrType = type === 'A' ? RRType.A : RRType.AAAA;
      const member = checkMemberKeys(m.keys);
      if (!member.ok) {
        err(member.error.code, member.error.message, member.error.key);
        continue;
      }
      const rr: ResourceRecord = {
        name: p.owner,
        display,
        type: rrType,
        ttl: fileTtl.get(`${p.owner}/${rrType}`) ?? ttlKey ?? DEFAULT_OVERLAY_TTL,
        rdata: type === 'A' ? { kind: 'A', address: m.address } : { kind: 'AAAA', address: m.address },
        source: at(),
      };
      records.push(rr);
      members.set(rr, { ...member.value, source: rr.source });
    }
    if (poolLine) {
      const hasAddresses = p.members.length > 0 || fileAddresses.has(`${p.owner}/${RRType.A}`) || fileAddresses.has(`${p.owner}/${RRType.AAAA}`);
      // A pool set up before its first member waits for it (a `;@pool` with no addresses is refused).
      if (hasAddresses) pools.push({ ...poolLine, source: at() });
      else if (poolLine.config.check !== undefined && !checkNames.has(poolLine.config.check)) {
        err('ZONE_UNKNOWN_CHECK', `no ;@check named "${poolLine.config.check}" in this zone`, poolLine.config.check);
      }
    }
  }

  for (const r of overlay.rrsets) {
    const type = r.type === 'TXT' ? RRType.TXT : RRType.CNAME;
    for (const value of r.values) {
      if (r.type === 'TXT') {
        records.push({ name: r.owner, display: r.owner, type, ttl: r.ttl, rdata: { kind: 'TXT', strings: txtStrings(value) }, source: at() });
        continue;
      }
      const target = parseName(value.endsWith('.') ? value : `${value}.`, undefined);
      if (!target.ok) {
        err(target.code, target.detail, value);
        continue;
      }
      records.push({ name: r.owner, display: r.owner, type, ttl: r.ttl, rdata: { kind: 'CNAME', target: target.display }, source: at() });
    }
    if (!isSubdomain(r.owner, apex)) err('ZONE_OUT_OF_ZONE', `${r.owner} is outside the zone ${apex}`, r.owner);
  }

  const parsed: ParsedZone = {
    ...file,
    records,
    members,
    pools,
    errors: [...file.errors],
    warnings: [...file.warnings],
    files: [...file.files, OVERLAY_FILE],
    resolvedFiles: [...file.resolvedFiles],
  };
  return { parsed, errors };
}

/** The first error of a refused merge that the overlay caused (else the first one at all). */
export function overlayError(errors: readonly ZoneSyntaxError[]): OverlayError | undefined {
  const e = errors.find((x) => x.file === OVERLAY_FILE) ?? errors[0];
  return e ? { code: e.code as ZoneCode, message: e.detail, key: e.token } : undefined;
}

/** The member of an overlay at an address, if any. */
export function findMember(members: readonly OverlayMember[], address: string): OverlayMember | undefined {
  return members.find((m) => m.address === address);
}

/**
 * The zone compiled with the overlay applied, all or nothing: a LoadResult whose errors are the
 * overlay's own (bad keys) followed by the merged zone's semantic errors.
 */
export function compileWithOverlay(file: ParsedZone, overlay: ZoneOverlay, apex: string): LoadResult {
  const merged = applyOverlay(file, overlay, apex);
  if (merged.errors.length > 0) return { ok: false, errors: merged.errors };
  return compileParsed(merged.parsed);
}
