/**
 * ExternalDNS endpoints onto Rondo's pools (the webhook provider; HTTP in admin/api/externaldns.ts).
 *
 * - A/AAAA endpoints become pool members (source `api`): each target one member. Endpoints that
 *   share a DNSName but differ in SetIdentifier are the weighted records of one pool, each target
 *   weighted by the endpoint's `weight` provider-specific property (`webhook/weight` from the
 *   annotation `external-dns.alpha.kubernetes.io/webhook-weight`, or `aws/weight`, `weight`).
 * - The pool's settings come from a template: the `;@pool` settings of an existing pool named by
 *   `webhook/rondo-template` (annotation `external-dns.alpha.kubernetes.io/webhook-rondo-template`);
 *   a check named by `webhook/rondo-check`; else, when the zone file defines a `;@check` named
 *   `externaldns`, that check. Weighted endpoints without a template get `policy=weighted`; a
 *   RecordTTL sets the pool's `ttl=`.
 * - TXT (the registry's ownership records) and CNAME endpoints are kept as plain RRsets.
 *
 * A batch is checked as a whole (every zone it touches compiles with it) before anything is stored.
 */
import type { Logger } from '../lib/logger.js';
import type { AnnotationKeys, ChangeOrigin, OverlayPool, ZoneOverlay } from '../model/membership.js';
import type { PoolConfig, Zone } from '../model/zone.js';
import { checkAddress, checkOwner, OVERLAY_FILE } from '../zones/overlay.js';
import { ExternalDnsHttp } from '../admin/api/externaldns.js';
import type { AuditEntry } from '../admin/api/audit.js';
import { apiError, type ApiResult, type Endpoint, type EndpointChanges, type ExternalDnsApi } from '../admin/api/types.js';
import type { ListenAddress } from './listen.js';
import { formatListen } from './listen.js';
import { upsertPool, type MembershipService } from './membership.js';

export const SUPPORTED_TYPES = new Set(['A', 'AAAA', 'CNAME', 'TXT']);
/** Seconds: TXT and CNAME records without a RecordTTL. */
export const DEFAULT_RECORD_TTL = 300;
const WEIGHT_NAMES = ['webhook/weight', 'weight', 'aws/weight'];
const TEMPLATE_NAMES = ['webhook/rondo-template', 'rondo-template'];
const CHECK_NAMES = ['webhook/rondo-check', 'rondo-check'];
/** The `;@check` a zone file names to be the webhook's default. */
export const DEFAULT_CHECK = 'externaldns';

function property(e: Endpoint, names: readonly string[]): string | undefined {
  for (const name of names) {
    const p = e.providerSpecific?.find((x) => x.name === name);
    if (p) return p.value;
  }
  return undefined;
}

function absolute(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function relative(name: string): string {
  return name.endsWith('.') && name !== '.' ? name.slice(0, -1) : name;
}

/** A compiled pool's settings back into `;@pool` keys (what a template copies). */
export function configKeys(config: PoolConfig): Record<string, string | true> {
  const keys: Record<string, string | true> = {
    policy: config.policy,
    answers: String(config.answers),
    'all-down': config.allDown,
    unknown: config.unknown,
    quorum: String(config.quorum),
    'sticky-v4': String(config.stickyV4Prefix),
    'sticky-v6': String(config.stickyV6Prefix),
  };
  if (config.ttl !== undefined) keys.ttl = String(config.ttl);
  if (config.check !== undefined) keys.check = config.check;
  return keys;
}

export class ExternalDnsProvider implements ExternalDnsApi {
  constructor(private readonly membership: MembershipService) {}

  domains(): string[] {
    return this.membership.zones().map((z) => relative(z.origin));
  }

  records(): Endpoint[] {
    const out: Endpoint[] = [];
    for (const zone of this.membership.zones()) {
      const overlay = this.membership.overlay(zone.origin);
      for (const pool of zone.pools) {
        const type = pool.type === 1 ? 'A' : 'AAAA';
        const api = overlay?.pools.find((p) => p.owner === pool.name);
        const groups = new Map<string, string[]>();
        for (const m of pool.members) {
          const setId = m.record.source.file === OVERLAY_FILE ? (api?.members.find((x) => x.address === m.address)?.setIdentifier ?? '') : '';
          const list = groups.get(setId);
          if (list) list.push(m.address);
          else groups.set(setId, [m.address]);
        }
        for (const [setIdentifier, targets] of groups) {
          const meta = api?.externaldns?.endpoints.find((e) => e.recordType === type && e.setIdentifier === setIdentifier);
          out.push({
            dnsName: relative(pool.name),
            targets,
            recordType: type,
            ...(setIdentifier !== '' ? { setIdentifier } : {}),
            recordTTL: meta?.recordTTL ?? pool.ttl,
            labels: { ...(meta?.labels ?? {}) },
            providerSpecific: [...(meta?.providerSpecific ?? [])],
          });
        }
      }
      for (const r of overlay?.rrsets ?? []) {
        out.push({
          dnsName: relative(r.owner),
          targets: [...r.values],
          recordType: r.type,
          ...(r.setIdentifier ? { setIdentifier: r.setIdentifier } : {}),
          recordTTL: r.ttl,
          labels: { ...(r.labels ?? {}) },
          providerSpecific: [],
        });
      }
    }
    return out;
  }

  adjust(endpoints: readonly Endpoint[]): Endpoint[] {
    return endpoints.filter((e) => SUPPORTED_TYPES.has(e.recordType.toUpperCase()));
  }

  async apply(changes: EndpointChanges, who: ChangeOrigin): Promise<ApiResult> {
    const removals = [...changes.delete, ...changes.updateOld];
    const additions = [...changes.create, ...changes.updateNew];
    const byZone = new Map<string, Zone>();
    for (const e of [...removals, ...additions]) {
      if (!SUPPORTED_TYPES.has(e.recordType.toUpperCase())) {
        return apiError(400, 'ADMIN_API_BAD_TYPE', `record type ${e.recordType} of ${e.dnsName} is not one Rondo keeps (A, AAAA, CNAME, TXT)`, e.recordType);
      }
      const zone = this.membership.zoneFor(e.dnsName);
      if (!zone) return apiError(400, 'ADMIN_API_UNKNOWN_ZONE', `${e.dnsName} is in no zone served here (${this.domains().join(', ')})`, e.dnsName);
      byZone.set(zone.origin, zone);
    }
    if (byZone.size === 0) return { status: 204 };
    return this.membership.mutate([...byZone.keys()], (current, origin) => {
      const zone = byZone.get(origin) as Zone;
      let overlay = current;
      for (const e of removals) if (this.membership.zoneFor(e.dnsName)?.origin === origin) overlay = removeEndpoint(overlay, e);
      for (const e of additions) {
        if (this.membership.zoneFor(e.dnsName)?.origin !== origin) continue;
        const added = addEndpoint(overlay, e, zone, who);
        if ('error' in added) return added;
        overlay = added.overlay;
      }
      return { overlay, status: 204 };
    });
  }
}

function sameSet(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '') === (b ?? '');
}

export function removeEndpoint(overlay: ZoneOverlay, e: Endpoint): ZoneOverlay {
  const owner = absolute(e.dnsName);
  const type = e.recordType.toUpperCase();
  if (type === 'TXT' || type === 'CNAME') {
    return { ...overlay, rrsets: overlay.rrsets.filter((r) => !(r.owner === owner && r.type === type && sameSet(r.setIdentifier, e.setIdentifier))) };
  }
  if (!overlay.pools.some((p) => p.owner === owner)) return overlay;
  const targets = new Set(e.targets.map((t) => {
    const a = checkAddress(type === 'AAAA' ? 'AAAA' : 'A', t);
    return a.ok ? a.value : t;
  }));
  return upsertPool(overlay, owner, (p) => {
    const members = p.members.filter((m) => !(targets.has(m.address) && sameSet(m.setIdentifier, e.setIdentifier)));
    const endpoints = (p.externaldns?.endpoints ?? []).filter((x) => !(x.recordType === type && sameSet(x.setIdentifier, e.setIdentifier)));
    const managed = p.externaldns !== undefined;
    return { ...p, members, keys: managed && members.length === 0 ? undefined : p.keys, externaldns: endpoints.length > 0 ? { endpoints } : undefined };
  });
}

function addEndpoint(overlay: ZoneOverlay, e: Endpoint, zone: Zone, who: ChangeOrigin): { overlay: ZoneOverlay } | { error: ApiResult } {
  const type = e.recordType.toUpperCase();
  const owner = checkOwner(absolute(e.dnsName), zone.origin);
  if (!owner.ok) return { error: apiError(400, owner.error.code, owner.error.message, owner.error.key) };
  const at = Date.now();
  if (type === 'TXT' || type === 'CNAME') {
    const rrsets = overlay.rrsets.filter((r) => !(r.owner === owner.value.name && r.type === type && sameSet(r.setIdentifier, e.setIdentifier)));
    rrsets.push({
      owner: owner.value.name,
      type,
      ttl: e.recordTTL !== undefined && e.recordTTL > 0 ? e.recordTTL : DEFAULT_RECORD_TTL,
      values: [...e.targets],
      labels: e.labels ?? {},
      ...(e.setIdentifier ? { setIdentifier: e.setIdentifier } : {}),
      at,
      by: who.by,
    });
    return { overlay: { ...overlay, rrsets } };
  }
  const family = type === 'AAAA' ? 'AAAA' : 'A';
  const addresses: string[] = [];
  for (const t of e.targets) {
    const a = checkAddress(family, t);
    if (!a.ok) return { error: apiError(400, a.error.code, a.error.message, a.error.key) };
    addresses.push(a.value);
  }
  const weight = property(e, WEIGHT_NAMES);
  const keys: AnnotationKeys = weight !== undefined ? { weight } : {};
  const poolKeys = templateKeys(e, zone, weight !== undefined);
  if ('error' in poolKeys) return poolKeys;
  const meta = { recordType: family, setIdentifier: e.setIdentifier ?? '', recordTTL: e.recordTTL, labels: e.labels ?? {}, providerSpecific: e.providerSpecific ?? [] };
  return {
    overlay: upsertPool(overlay, owner.value.name, (p: OverlayPool) => {
      const members = p.members.filter((m) => !addresses.includes(m.address));
      for (const address of addresses) members.push({ address, keys, ...(e.setIdentifier ? { setIdentifier: e.setIdentifier } : {}), at, by: who.by });
      const endpoints = (p.externaldns?.endpoints ?? []).filter((x) => !(x.recordType === family && x.setIdentifier === meta.setIdentifier));
      endpoints.push(meta);
      // A pool whose settings came from the API's own PUT keeps them; the webhook's follow the template.
      const keep = p.keys !== undefined && p.externaldns === undefined;
      // Endpoints of one name share the pool: later ones add to the settings earlier ones gave.
      return { ...p, members, keys: keep ? p.keys : { ...(p.externaldns ? p.keys : {}), ...poolKeys.keys }, externaldns: { endpoints } };
    }),
  };
}

function templateKeys(e: Endpoint, zone: Zone, weighted: boolean): { keys: AnnotationKeys } | { error: ApiResult } {
  const keys: Record<string, string | true> = {};
  const template = property(e, TEMPLATE_NAMES);
  if (template !== undefined) {
    const owner = checkOwner(template, zone.origin);
    const pool = owner.ok ? zone.pools.find((p) => p.name === owner.value.name) : undefined;
    if (!pool) return { error: apiError(400, 'ADMIN_API_NO_TEMPLATE', `rondo-template "${template}": no pool of that name in zone ${zone.origin} to copy settings from`, template) };
    Object.assign(keys, configKeys(pool.config));
  } else if (weighted) {
    keys.policy = 'weighted';
  }
  const check = property(e, CHECK_NAMES);
  if (check !== undefined) keys.check = check;
  else if (template === undefined && zone.checks.has(DEFAULT_CHECK)) keys.check = DEFAULT_CHECK;
  if (e.recordTTL !== undefined && e.recordTTL > 0) keys.ttl = String(e.recordTTL);
  return { keys };
}

export interface ExternalDnsServerOptions {
  readonly listen: ListenAddress;
  readonly membership: MembershipService;
  readonly logger: Logger;
  readonly audit?: (entry: AuditEntry) => void;
}

/** The webhook listener and its provider, started after the runtime (AdminService `extras`). */
export class ExternalDnsServer {
  private readonly http: ExternalDnsHttp;

  constructor(options: ExternalDnsServerOptions) {
    this.http = new ExternalDnsHttp({
      host: options.listen.host,
      port: options.listen.port,
      api: new ExternalDnsProvider(options.membership),
      logger: options.logger,
      audit: options.audit,
    });
  }

  start(): Promise<{ host: string; port: number }> {
    return this.http.start();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  address(): { host: string; port: number } | undefined {
    return this.http.address();
  }

  describe(): string {
    const a = this.http.address();
    return a ? `externaldns webhook on http://${formatListen(a)}` : '';
  }
}
