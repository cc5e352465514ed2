/**
 * A validated zone into the immutable lookup structure the DNS side answers from: nodes (with
 * empty non-terminals), RRsets with one TTL each, pools with their members, and probe targets.
 */
import { DEFAULT_POOL_CONFIG, RRType, type CheckSpec, type Pool, type PoolMember, type RRset, type ResourceRecord, type Target, type Zone, type ZoneNode } from '../model/zone.js';
import type { ParsedZone } from './parse.js';
import type { ParsedPool } from './annotations.js';
import type { Validated } from './validate.js';
import { isPooled, type RecordGroups } from './group.js';
import { parentName } from './names.js';

/**
 * The id checkers and servers agree on for one probe target:
 * `<origin>/<check>/<address>/<port>` (port 0 for icmp, which has none).
 */
export function targetId(origin: string, check: CheckSpec, address: string, port: number): string {
  return `${origin}/${check.name}/${address}/${port}`;
}

export function compileZone(parsed: ParsedZone, groups: RecordGroups, v: Validated): Zone {
  const soaRecord = v.soa;
  if (!soaRecord || v.apex === undefined) throw new Error('compileZone needs a validated zone with an SOA');
  const origin = v.apex;
  const nodes = new Map<string, ZoneNode>();
  const pools: Pool[] = [];
  const targets = new Map<string, Target>();

  for (const group of groups.values()) {
    const rrsets = new Map<number, RRset>();
    const poolConfig = v.pools.get(group.name);
    for (const [type, records] of group.types) {
      let ttl = records[0]?.ttl ?? 0;
      for (const rr of records) if (rr.ttl < ttl) ttl = rr.ttl; // RFC 2181 §5.2
      let pool: Pool | undefined;
      if (isPooled(type, records, poolConfig !== undefined)) {
        pool = buildPool(origin, group.name, group.display, type, records, ttl, poolConfig, parsed, v.checks, targets);
        pools.push(pool);
      }
      const rrset: RRset = pool ? { name: group.name, display: group.display, type, ttl, records, pool } : { name: group.name, display: group.display, type, ttl, records };
      rrsets.set(type, rrset);
    }
    nodes.set(group.name, { name: group.name, display: group.display, rrsets });
  }

  // Empty non-terminals: every name between an owner and the apex exists (RFC 4592 §2.2.2).
  const empty: ReadonlyMap<number, RRset> = new Map();
  for (const group of groups.values()) {
    let name = parentName(group.name);
    let display = parentName(group.display);
    while (name !== undefined && display !== undefined && name.length >= origin.length && !nodes.has(name)) {
      nodes.set(name, { name, display, rrsets: empty });
      if (name === origin) break;
      name = parentName(name);
      display = parentName(display);
    }
  }

  const soa = nodes.get(origin)?.rrsets.get(RRType.SOA);
  if (!soa) throw new Error('compileZone: no SOA RRset at the apex');
  return {
    origin,
    display: soaRecord.display,
    file: parsed.file,
    soa,
    nodes,
    pools,
    checks: v.checks,
    targets: [...targets.values()],
    size: parsed.records.length,
  };
}

function buildPool(
  origin: string,
  name: string,
  display: string,
  type: number,
  records: readonly ResourceRecord[],
  ttl: number,
  annotated: ParsedPool | undefined,
  parsed: ParsedZone,
  checks: ReadonlyMap<string, CheckSpec>,
  targets: Map<string, Target>,
): Pool {
  const config = annotated?.config ?? DEFAULT_POOL_CONFIG;
  const members: PoolMember[] = [];
  for (const record of records) {
    const address = record.rdata.kind === 'A' || record.rdata.kind === 'AAAA' ? record.rdata.address : '';
    const m = parsed.members.get(record);
    const checkName = m?.check ?? config.check;
    const check = checkName === undefined ? undefined : checks.get(checkName);
    let id: string | undefined;
    if (check) {
      const probe = m?.probe ?? address;
      const port = check.kind === 'icmp' ? 0 : (m?.port ?? check.port ?? 0);
      id = targetId(origin, check, probe, port);
      if (!targets.has(id)) targets.set(id, { id, zone: origin, check, address: probe, port });
    }
    members.push({
      address,
      family: type === RRType.A ? 4 : 6,
      weight: m?.weight ?? 1,
      priority: m?.priority ?? 1,
      backup: m?.backup ?? false,
      targetId: id,
      record,
    });
  }
  const typeText = type === RRType.A ? 'A' : 'AAAA';
  return { key: `${name}/${typeText}`, name, display, type, config, members, ttl: config.ttl ?? ttl };
}
