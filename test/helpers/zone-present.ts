/** Presentation format (as dig prints it) for records, and a plain summary of a compiled zone. */
import type { Rdata, ResourceRecord, Zone } from '../../model/zone.js';
import { typeName } from '../../zones/rdata.js';

/** `www.example.test. 20 IN A 192.0.2.10` (owner in the zone's case). */
export function formatRecord(rr: ResourceRecord): string {
  return `${rr.display} ${rr.ttl} IN ${typeName(rr.type)} ${formatRdata(rr.rdata)}`;
}

/** `upperHex`: RFC 3597 data in uppercase hex, as dig prints it. */
export function formatRdata(rdata: Rdata, options: { readonly upperHex?: boolean } = {}): string {
  switch (rdata.kind) {
    case 'A':
    case 'AAAA':
      return rdata.address;
    case 'NS':
      return rdata.host;
    case 'CNAME':
    case 'PTR':
      return rdata.target;
    case 'MX':
      return `${rdata.preference} ${rdata.exchange}`;
    case 'TXT':
      return rdata.strings.map(quoteString).join(' ');
    case 'SRV':
      return `${rdata.priority} ${rdata.weight} ${rdata.port} ${rdata.target}`;
    case 'CAA':
      return `${rdata.flags} ${rdata.tag} ${quoteString(rdata.value)}`;
    case 'SOA':
      return `${rdata.mname} ${rdata.rname} ${rdata.serial} ${rdata.refresh} ${rdata.retry} ${rdata.expire} ${rdata.minimum}`;
    case 'generic': {
      // RFC 3597 §5
      if (rdata.data.length === 0) return '\\# 0';
      const hex = Buffer.from(rdata.data).toString('hex');
      return `\\# ${rdata.data.length} ${options.upperHex ? hex.toUpperCase() : hex}`;
    }
  }
}

/** A character-string in quotes: `"` and `\` escaped, bytes outside printable ASCII as `\DDD`. */
export function quoteString(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 34 || b === 92) out += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += '\\' + String(b).padStart(3, '0');
  }
  return out + '"';
}

/** A JSON-friendly summary of a compiled zone: what tests compare and `zone` tools print. */
export function describeZone(zone: Zone): unknown {
  const names = [...zone.nodes.keys()].sort(compareNames);
  return {
    origin: zone.origin,
    display: zone.display,
    size: zone.size,
    nodes: names.map((name) => {
      const node = zone.nodes.get(name);
      const types = node ? [...node.rrsets.keys()].map(typeName) : [];
      return types.length === 0 ? `${node?.display ?? name} (empty non-terminal)` : `${node?.display ?? name} ${types.join(' ')}`;
    }),
    records: names.flatMap((name) => {
      const node = zone.nodes.get(name);
      if (!node) return [];
      return [...node.rrsets.values()].flatMap((set) => set.records.map((rr) => formatRecord({ ...rr, ttl: set.ttl })));
    }),
    pools: zone.pools.map((p) => ({
      key: p.key,
      ttl: p.ttl,
      config: p.config,
      members: p.members.map((m) => {
        const parts = [m.address, `weight=${m.weight}`, `priority=${m.priority}`];
        if (m.backup) parts.push('backup');
        if (m.targetId) parts.push(`target=${m.targetId}`);
        return parts.join(' ');
      }),
    })),
    checks: [...zone.checks.values()].map((c) => {
      const { source, ...rest } = c;
      return { ...rest, line: source.line };
    }),
    targets: zone.targets.map((t) => `${t.id} ${t.check.kind} ${t.address} ${t.port}`),
  };
}

/** DNSSEC canonical order (RFC 4034 §6.1) is overkill here: sort by reversed labels. */
function compareNames(a: string, b: string): number {
  const ra = a.split('.').reverse().join('.');
  const rb = b.split('.').reverse().join('.');
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}
