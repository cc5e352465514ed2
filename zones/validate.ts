/**
 * Semantic checks on a parsed zone (the ones named-checkzone and kzonecheck make, plus the
 * references between `;@` annotations). Syntax is already checked; this stage sees whole RRsets.
 */
import type { SourcePosition, ZoneSyntaxError } from '../lib/errors.js';
import { RRType, type CheckSpec, type ResourceRecord } from '../model/zone.js';
import type { ZoneCode } from './codes.js';
import { zoneError } from './diagnostics.js';
import type { ParsedZone } from './parse.js';
import type { ParsedPool } from './annotations.js';
import { isPooled, type RecordGroups } from './group.js';
import { isSubdomain, parentName } from './names.js';
import { rdataKey, typeName } from './rdata.js';
import type { SiteMap } from '../model/site-map.js';
import { checkMaps } from './map-validate.js';

export interface Validated {
  readonly errors: ZoneSyntaxError[];
  readonly warnings: ZoneSyntaxError[];
  /** Lowercase apex: the SOA's owner (else the origin parsed for). */
  readonly apex: string | undefined;
  readonly soa: ResourceRecord | undefined;
  readonly checks: Map<string, CheckSpec>;
  /** `;@pool` by owner (lowercase). */
  readonly pools: Map<string, ParsedPool>;
  /** `;@map` by name. */
  readonly maps: Map<string, SiteMap>;
}

/** Types allowed beside a CNAME (RFC 4035 §2.5: the DNSSEC records of the name). */
const CNAME_COMPANIONS = new Set([RRType.CNAME, 46 /* RRSIG */, 47 /* NSEC */]);
/** Types allowed at a delegation point: the cut's NS, DS (RFC 4035 §2.4) and glue. */
const AT_CUT = new Set([RRType.NS, 43 /* DS */, RRType.A, RRType.AAAA, 46, 47]);

export function validateZone(zone: ParsedZone, groups: RecordGroups): Validated {
  const errors: ZoneSyntaxError[] = [];
  const warnings: ZoneSyntaxError[] = [];
  const err = (code: ZoneCode, detail: string, at: SourcePosition, token?: string) => errors.push(zoneError(code, detail, at, token));
  const warn = (code: ZoneCode, detail: string, at: SourcePosition, token?: string) => warnings.push(zoneError(code, detail, at, token));
  const top: SourcePosition = { file: zone.file, line: 1, column: 1 };

  // The apex is the owner of the (one) SOA.
  let soa: ResourceRecord | undefined;
  for (const rr of zone.records) {
    if (rr.type !== RRType.SOA) continue;
    if (!soa) soa = rr;
    else err('ZONE_MULTIPLE_SOA', `second SOA record (the first is at ${where(soa.source, rr.source)})`, rr.source);
  }
  if (!soa && !zone.failedTypes.has(RRType.SOA)) err('ZONE_NO_SOA', `zone has no SOA record${zone.initialOrigin ? ` (origin ${zone.initialOrigin})` : ''}`, top);
  if (soa && zone.originGiven && zone.initialOrigin !== undefined && soa.name !== zone.initialOrigin) {
    err('ZONE_SOA_NOT_AT_APEX', `SOA is at ${soa.display}, but the zone is ${zone.initialOrigin}`, soa.source);
  }
  // Without an SOA the apex is unknown (unless the caller named it): skip what depends on it.
  const apex = soa?.name ?? (zone.originGiven ? zone.initialOrigin : undefined);

  if (apex !== undefined) {
    const apexGroup = groups.get(apex);
    if (!apexGroup?.types.has(RRType.NS) && !zone.failedRecords.has(`${apex}/${RRType.NS}`) && soa) {
      err('ZONE_NO_NS', `no NS records at the apex ${soa.display}`, soa.source);
    }
  }

  const delegations = new Set<string>();
  for (const group of groups.values()) {
    const inZone = apex === undefined || isSubdomain(group.name, apex);
    if (!inZone) {
      for (const list of group.types.values()) {
        for (const rr of list) err('ZONE_OUT_OF_ZONE', `${rr.display} is outside the zone ${apex}`, rr.source, rr.display);
      }
      continue;
    }
    if (group.name !== apex && group.types.has(RRType.NS)) delegations.add(group.name);
    checkRRsets(group.types, err, warn);
    checkCname(group.types, err);
  }
  if (delegations.size > 0 && apex !== undefined) {
    for (const group of groups.values()) {
      if (group.name === apex || !isSubdomain(group.name, apex)) continue;
      const cut = delegationAbove(group.name, apex, delegations);
      if (cut === undefined) continue;
      const allowed = cut === group.name ? AT_CUT : GLUE;
      for (const [type, list] of group.types) {
        const rr = list[0];
        if (allowed.has(type) || !rr) continue;
        const detail =
          cut === group.name
            ? `${typeName(type)} record at the delegation point ${rr.display} (only NS, DS and glue A/AAAA belong there)`
            : `${typeName(type)} record below the delegation point ${cut} (only glue A/AAAA belong there)`;
        err('ZONE_BELOW_DELEGATION', detail, rr.source, rr.display);
      }
    }
  }

  const { checks, pools } = checkAnnotations(zone, groups, err, warn);
  const maps = checkMaps(zone, groups, pools, err, warn);
  return { errors, warnings, apex, soa, checks, pools, maps };
}

const GLUE = new Set([RRType.A, RRType.AAAA]);

type Report = (code: ZoneCode, detail: string, at: SourcePosition, token?: string) => void;

function where(first: SourcePosition, here: SourcePosition): string {
  return first.file === here.file ? `line ${first.line}` : `${first.file}:${first.line}`;
}

/** The nearest delegation point at or above `name` (below the apex), if any. */
function delegationAbove(name: string, apex: string, delegations: ReadonlySet<string>): string | undefined {
  let found: string | undefined;
  for (let n: string | undefined = name; n !== undefined && n !== apex; n = parentName(n)) {
    if (delegations.has(n)) found = n; // keep walking: the highest cut wins
  }
  return found;
}

/** Duplicates (an error, as named-checkzone reports) and TTL disagreements (RFC 2181 §5.2: a warning). */
function checkRRsets(types: Map<number, ResourceRecord[]>, err: Report, warn: (code: ZoneCode, detail: string, at: SourcePosition) => void): void {
  for (const [type, list] of types) {
    if (list.length < 2) continue;
    const first = list[0];
    if (!first) continue;
    // Small RRsets (the usual pool) compare pairwise; a map only pays off for large ones.
    const keys = list.map((rr) => rdataKey(rr.rdata));
    const seen = list.length > 16 ? new Map<string, ResourceRecord>() : undefined;
    let mismatch: ResourceRecord | undefined;
    for (let i = 0; i < list.length; i++) {
      const rr = list[i] as ResourceRecord;
      const key = keys[i] as string;
      let earlier: ResourceRecord | undefined;
      if (seen) {
        earlier = seen.get(key);
        if (!earlier) seen.set(key, rr);
      } else {
        const j = keys.indexOf(key);
        if (j < i) earlier = list[j];
      }
      if (earlier) err('ZONE_DUPLICATE_RECORD', `duplicate ${typeName(type)} record at ${rr.display} (same as ${where(earlier.source, rr.source)})`, rr.source, rr.display);
      if (!mismatch && rr.ttl !== first.ttl) mismatch = rr;
    }
    if (mismatch) {
      const min = Math.min(...list.map((r) => r.ttl));
      warn('ZONE_TTL_MISMATCH', `TTL ${mismatch.ttl} differs from ${first.ttl} in the ${typeName(type)} RRset of ${first.display}; using ${min} (RFC 2181 §5.2)`, mismatch.source);
    }
  }
}

/** RFC 1034 §3.6.2 / RFC 2181 §10.1: a CNAME is the only data at its name, and there is one. */
function checkCname(types: Map<number, ResourceRecord[]>, err: Report): void {
  const cnames = types.get(RRType.CNAME);
  if (!cnames) return;
  const firstCname = cnames[0];
  if (!firstCname) return;
  const firstKey = rdataKey(firstCname.rdata);
  const second = cnames.find((rr) => rdataKey(rr.rdata) !== firstKey);
  if (second) err('ZONE_MULTIPLE_CNAME', `second CNAME at ${second.display} (a name has at most one)`, second.source, second.display);
  // Blame whichever came second in the file: the CNAME, or the first other record.
  const order = [...types.keys()];
  const otherType = order.find((t) => !CNAME_COMPANIONS.has(t));
  if (otherType === undefined) return;
  const cnameFirst = order.indexOf(RRType.CNAME) < order.indexOf(otherType);
  const culprit = cnameFirst ? types.get(otherType)?.[0] : firstCname;
  if (!culprit) return;
  const detail = cnameFirst
    ? `${typeName(culprit.type)} record beside the CNAME at ${culprit.display} (a CNAME must be the only data at its name)`
    : `CNAME at ${culprit.display} beside other data (a CNAME must be the only data at its name)`;
  err('ZONE_CNAME_AND_OTHER', detail, culprit.source, culprit.display);
}

function checkAnnotations(
  zone: ParsedZone,
  groups: RecordGroups,
  err: Report,
  warn: (code: ZoneCode, detail: string, at: SourcePosition) => void,
): { checks: Map<string, CheckSpec>; pools: Map<string, ParsedPool> } {
  const checks = new Map<string, CheckSpec>();
  for (const c of zone.checks) {
    const earlier = checks.get(c.spec.name);
    if (earlier) err('ZONE_DUPLICATE_CHECK', `check "${c.spec.name}" is already defined at ${where(earlier.source, c.nameAt)}`, c.nameAt, c.spec.name);
    else checks.set(c.spec.name, c.spec);
  }
  const known = (name: string) => checks.has(name) || zone.failedChecks.has(name);
  const used = new Set<string>();

  const pools = new Map<string, ParsedPool>();
  for (const p of zone.pools) {
    const earlier = pools.get(p.name);
    if (earlier) {
      err('ZONE_DUPLICATE_POOL', `;@pool ${p.display} is already set at ${where(earlier.source, p.source)}`, p.source, p.display);
      continue;
    }
    pools.set(p.name, p);
    const check = p.config.check;
    if (check !== undefined) {
      used.add(check);
      if (!known(check)) err('ZONE_UNKNOWN_CHECK', `no ;@check named "${check}" in this zone`, valueAt(p.keys.get('check')), check);
    }
    const group = groups.get(p.name);
    const hasAddresses = group?.types.has(RRType.A) || group?.types.has(RRType.AAAA);
    const failed = zone.failedRecords.has(`${p.name}/${RRType.A}`) || zone.failedRecords.has(`${p.name}/${RRType.AAAA}`);
    if (!hasAddresses && !failed) err('ZONE_POOL_WITHOUT_ADDRESSES', `;@pool ${p.display} has no A or AAAA records`, p.source, p.display);
  }

  for (const [rr, member] of zone.members) {
    if (member.check !== undefined) {
      used.add(member.check);
      if (!known(member.check)) err('ZONE_UNKNOWN_CHECK', `no ;@check named "${member.check}" in this zone`, valueAt(member.keys.get('check')), member.check);
    }
    const list = groups.get(rr.name)?.types.get(rr.type) ?? [];
    if (!isPooled(rr.type, list, pools.has(rr.name))) {
      warn('ZONE_ANNOTATION_UNUSED', `member settings on the only ${typeName(rr.type)} record of ${rr.display} have no effect (add ;@pool ${rr.display} to make it a pool)`, member.source);
    }
  }

  // A tcp check needs a port, on the check or on every member it probes.
  const portless = [...checks.values()].filter((c) => c.kind === 'tcp' && c.port === undefined);
  if (portless.length > 0) {
    const reported = new Set<string>();
    for (const group of groups.values()) {
      const pool = pools.get(group.name);
      for (const [type, list] of group.types) {
        if (!isPooled(type, list, pool !== undefined)) continue;
        for (const rr of list) {
          const member = zone.members.get(rr);
          const name = member?.check ?? pool?.config.check;
          const spec = name === undefined ? undefined : checks.get(name);
          if (spec?.kind !== 'tcp' || spec.port !== undefined || member?.port !== undefined) continue;
          const at = member?.keys.get('check') ?? member?.source ?? valueAt(pool?.keys.get('check'));
          const key = `${at.file}:${at.line}:${at.column}`;
          if (reported.has(key)) continue;
          reported.add(key);
          err('ZONE_CHECK_NO_PORT', `tcp check "${spec.name}" has no port: set port= on the check, or on every member it probes (${rr.display} ${rr.rdata.kind === 'A' || rr.rdata.kind === 'AAAA' ? rr.rdata.address : ''} has none)`, at, spec.name);
        }
      }
    }
  }

  for (const c of zone.checks) {
    if (!used.has(c.spec.name) && checks.get(c.spec.name) === c.spec) warn('ZONE_CHECK_UNUSED', `check "${c.spec.name}" is not used by any pool or member`, c.nameAt);
  }
  return { checks, pools };
}

function valueAt(at: SourcePosition | undefined): SourcePosition {
  return at ?? { file: '', line: 0, column: 0 };
}
