/**
 * Dynamic membership: the write API's work behind admin/api. Holds each zone's overlay
 * (model/membership.ts), changes it through the store (Redis, or the local state file) with
 * compare-and-set, validates every change by compiling the zone with it (the zone file's own
 * checks: same codes and messages as `rondo zone check`, nothing stored when refused), and has
 * the runtime apply it. Overlays other servers store arrive through the store's subscription.
 */
import type { Logger } from '../lib/logger.js';
import { emptyOverlay, type AnnotationKeys, type ChangeOrigin, type MembershipStore, type OverlayMember, type OverlayPool, type ZoneOverlay } from '../model/membership.js';
import type { Pool, Zone } from '../model/zone.js';
import { addressType, checkAddress, checkMemberKeys, checkOwner, checkPoolKeys, keysFromJson, overlayError, OVERLAY_FILE, type Checked, type OverlayError } from '../zones/overlay.js';
import { apiError, type ApiResult, type MembershipApi, type PoolType } from '../admin/api/types.js';
import type { OverlaySource, Runtime } from './runtime.js';

/** Compare-and-set attempts before a change gives up with 409 (another writer kept winning). */
const MAX_ATTEMPTS = 8;

export type Change = { readonly overlay: ZoneOverlay; readonly status?: number; readonly body?: unknown } | { readonly error: ApiResult };

export interface MembershipServiceOptions {
  readonly store: MembershipStore;
  readonly logger: Logger;
  /** Epoch milliseconds (tests). */
  readonly now?: () => number;
}

export class MembershipService implements OverlaySource, MembershipApi {
  private readonly log: Logger;
  private readonly overlays = new Map<string, ZoneOverlay>();
  private runtime: Runtime | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private readonly now: () => number;

  constructor(private readonly options: MembershipServiceOptions) {
    this.log = options.logger.child({ component: 'membership' });
    this.now = options.now ?? Date.now;
  }

  get store(): MembershipStore {
    return this.options.store;
  }

  // ---- OverlaySource -------------------------------------------------------------------------

  async start(runtime: Runtime, origins: readonly string[]): Promise<void> {
    this.runtime = runtime;
    const loaded = await this.options.store.start(origins);
    for (const [zone, overlay] of loaded) this.overlays.set(zone, overlay);
    this.unsubscribe = this.options.store.subscribe((overlay) => this.received(overlay));
    const members = [...loaded.values()].reduce((n, o) => n + o.pools.reduce((m, p) => m + p.members.length, 0), 0);
    this.log.info({ store: this.options.store.kind, zones: loaded.size, members }, 'membership overlay read');
  }

  overlay(origin: string): ZoneOverlay | undefined {
    return this.overlays.get(origin);
  }

  zonesChanged(origins: readonly string[]): void {
    this.options.store.setZones?.(origins);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.chain.catch(() => undefined);
    await this.options.store.stop();
  }

  /** Members the API added, per zone (metrics). */
  *memberCounts(): Iterable<readonly [string, number]> {
    for (const [zone, o] of this.overlays) yield [zone, o.pools.reduce((n, p) => n + p.members.length, 0)];
  }

  private received(overlay: ZoneOverlay): void {
    const current = this.overlays.get(overlay.zone);
    if (current && current.version >= overlay.version) return;
    this.overlays.set(overlay.zone, overlay);
    this.log.info({ zone: overlay.zone, version: overlay.version }, 'membership overlay changed elsewhere; applied');
    this.runtime?.refreshOverlay(overlay.zone);
  }

  // ---- the changes ---------------------------------------------------------------------------

  /** A served zone's origin for the API's `{zone}` (any case, trailing dot optional). */
  zoneOf(text: string): Zone | undefined {
    const origin = (text.endsWith('.') ? text : `${text}.`).toLowerCase();
    return this.runtime?.zones().find((z) => z.origin === origin);
  }

  /** The served zone a name falls in (the longest origin), for the webhook. */
  zoneFor(name: string): Zone | undefined {
    const lower = (name.endsWith('.') ? name : `${name}.`).toLowerCase();
    let best: Zone | undefined;
    for (const z of this.runtime?.zones() ?? []) {
      if ((lower === z.origin || lower.endsWith(`.${z.origin}`) || z.origin === '.') && (!best || z.origin.length > best.origin.length)) best = z;
    }
    return best;
  }

  zones(): Zone[] {
    return this.runtime?.zones() ?? [];
  }

  /**
   * Applies `change` to the newest overlay of each zone, checks every result by compiling the zone
   * with it, then stores them (compare-and-set, retried on conflict) and applies them here. All
   * zones are checked before any is written, so a refused batch changes nothing.
   */
  mutate(zones: readonly string[], change: (current: ZoneOverlay, zone: string) => Change): Promise<ApiResult> {
    const run = this.chain.then(() => this.mutateNow(zones, change));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async mutateNow(zones: readonly string[], change: (current: ZoneOverlay, zone: string) => Change): Promise<ApiResult> {
    const runtime = this.runtime;
    if (!runtime) return apiError(503, 'ADMIN_API_STORE_FAILED', 'the server is still starting');
    let last: ApiResult = { status: 204 };
    const pending = [...new Set(zones)];
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      // Read and check every zone first.
      const planned: { zone: string; next: ZoneOverlay; expected: number; compiled: Zone }[] = [];
      for (const zone of pending) {
        // The first attempt builds on this server's copy (kept current by the store's announcements):
        // one round trip to Redis, the compare-and-set. After a conflict, read what is stored.
        const local = this.overlays.get(zone);
        const stored = attempt === 0 && this.options.store.kind === 'redis' ? local : await this.options.store.read(zone);
        // A store that lost the overlay (an emptied Redis) must not roll the zone back: build on the newer copy.
        const base = stored && (!local || stored.version >= local.version) ? stored : (local ?? emptyOverlay(zone));
        const result = change(base, zone);
        if ('error' in result) return result.error;
        const next: ZoneOverlay = { ...result.overlay, zone, version: base.version + 1 };
        const compiled = runtime.tryOverlay(zone, next);
        if (!compiled) return apiError(404, 'ADMIN_API_UNKNOWN_ZONE', `zone ${zone} is not served here`);
        if (!compiled.ok) {
          const e = overlayError(compiled.errors);
          return apiError(400, e?.code ?? 'ZONE_BAD_VALUE', e?.message ?? 'refused', e?.key);
        }
        planned.push({ zone, next, expected: stored?.version ?? 0, compiled: compiled.zone });
        if (result.status !== undefined) last = { status: result.status, body: result.body };
      }
      pending.length = 0;
      for (const p of planned) {
        if (!(await this.options.store.write(p.next, p.expected))) {
          pending.push(p.zone);
          continue;
        }
        this.overlays.set(p.zone, p.next);
        runtime.refreshOverlay(p.zone, p.compiled);
      }
    }
    if (pending.length > 0) return apiError(409, 'ADMIN_API_CONFLICT', `other writers kept changing ${pending.join(', ')}; try again`);
    return last;
  }

  // ---- MembershipApi -------------------------------------------------------------------------

  listPools(zoneText: string): ApiResult {
    const zone = this.zoneOf(zoneText);
    if (!zone) return unknownZone(zoneText);
    const overlay = this.overlays.get(zone.origin);
    const view = this.runtime?.store.view();
    const pools = zone.pools.map((pool) => this.describePool(pool, overlay, view));
    const served = new Set(zone.pools.map((p) => p.name));
    const pending = (overlay?.pools ?? []).filter((p) => !served.has(p.owner)).map((p) => ({ owner: p.owner, settings: p.keys ?? null, members: p.members.length }));
    return {
      status: 200,
      body: {
        zone: zone.origin,
        version: overlay?.version ?? 0,
        store: this.options.store.kind,
        refused: this.runtime?.overlayRefused.get(zone.origin) ?? null,
        pools,
        pending,
      },
    };
  }

  private describePool(pool: Pool, overlay: ZoneOverlay | undefined, view: ReturnType<Runtime['store']['view']> | undefined): unknown {
    const api = overlay?.pools.find((p) => p.owner === pool.name);
    const members = pool.members.map((m) => {
      const fromApi = m.record.source.file === OVERLAY_FILE;
      const entry = fromApi ? api?.members.find((x) => x.address === m.address) : undefined;
      const override = view?.member?.(pool.name, m.address);
      const health = m.targetId === undefined ? undefined : view?.get(m.targetId);
      return {
        address: m.address,
        source: fromApi ? 'api' : 'file',
        weight: m.weight,
        priority: m.priority,
        backup: m.backup,
        target: m.targetId ?? null,
        health: override === 'drain' || override === 'force-down' ? 'down' : override === 'force-up' ? 'up' : m.targetId === undefined ? 'unchecked' : (health?.state ?? 'unknown'),
        reason: health?.reason ?? (m.targetId === undefined ? 'no check' : 'not probed yet'),
        ...(entry ? { settings: entry.keys, by: entry.by, at: new Date(entry.at).toISOString(), ...(entry.setIdentifier ? { setIdentifier: entry.setIdentifier } : {}) } : {}),
      };
    });
    const sources = new Set(members.map((m) => m.source));
    return {
      owner: pool.name,
      type: pool.type === 1 ? 'A' : 'AAAA',
      source: api?.keys !== undefined ? (sources.has('file') ? 'file+api' : 'api') : sources.size === 2 ? 'file+api' : [...sources][0] ?? 'file',
      settings: api?.keys ?? null,
      config: { ...pool.config, ttl: pool.ttl },
      members,
    };
  }

  async putMember(zoneText: string, ownerText: string, typeText: string, addressText: string, body: unknown, who: ChangeOrigin): Promise<ApiResult> {
    const target = this.target(zoneText, ownerText, typeText);
    if ('error' in target) return target.error;
    const address = checkAddress(target.type, addressText);
    if (!address.ok) return refused(address.error);
    const keys = keysFromJson(body);
    if (!keys.ok) return refused(keys.error);
    const member = checkMemberKeys(keys.value);
    if (!member.ok) return refused(member.error);
    const { zone, owner } = target;
    return this.mutate([zone.origin], (current) => {
      const pool = current.pools.find((p) => p.owner === owner.name);
      const existed = pool?.members.some((m) => m.address === address.value) ?? false;
      const entry: OverlayMember = { address: address.value, keys: keys.value, at: this.now(), by: who.by };
      return {
        overlay: upsertPool(current, owner.name, (p) => ({ ...p, members: [...p.members.filter((m) => m.address !== address.value), entry] })),
        status: existed ? 200 : 201,
        body: { zone: zone.origin, owner: owner.name, type: target.type, address: address.value, settings: keys.value, source: 'api', version: current.version + 1 },
      };
    });
  }

  async deleteMember(zoneText: string, ownerText: string, typeText: string, addressText: string, _who: ChangeOrigin): Promise<ApiResult> {
    const target = this.target(zoneText, ownerText, typeText);
    if ('error' in target) return target.error;
    const address = checkAddress(target.type, addressText);
    if (!address.ok) return refused(address.error);
    const { zone, owner } = target;
    return this.mutate([zone.origin], (current) => {
      const pool = current.pools.find((p) => p.owner === owner.name);
      if (!pool?.members.some((m) => m.address === address.value)) {
        const inFile = this.runtime?.fileZone(zone.origin)?.fileZone.pools.some((p) => p.name === owner.name && p.members.some((m) => m.address === address.value));
        return {
          error: inFile
            ? apiError(409, 'ADMIN_API_FILE_MEMBER', `${address.value} in ${owner.name}/${target.type} comes from the zone file ${zone.file}: remove it there (the API removes only what it added)`)
            : apiError(404, 'ADMIN_API_NO_SUCH_MEMBER', `the API added no member ${address.value} to ${owner.name}/${target.type}`),
        };
      }
      return { overlay: upsertPool(current, owner.name, (p) => ({ ...p, members: p.members.filter((m) => m.address !== address.value) })), status: 204 };
    });
  }

  async putPool(zoneText: string, ownerText: string, typeText: string, body: unknown, who: ChangeOrigin): Promise<ApiResult> {
    const target = this.target(zoneText, ownerText, typeText);
    if ('error' in target) return target.error;
    const keys = keysFromJson(body);
    if (!keys.ok) return refused(keys.error);
    const pool = checkPoolKeys(target.owner.name, keys.value);
    if (!pool.ok) return refused(pool.error);
    const { zone, owner } = target;
    this.log.debug({ zone: zone.origin, owner: owner.name, by: who.by }, 'pool settings');
    return this.mutate([zone.origin], (current) => {
      const existed = current.pools.find((p) => p.owner === owner.name)?.keys !== undefined;
      return {
        overlay: upsertPool(current, owner.name, (p) => ({ ...p, keys: keys.value })),
        status: existed ? 200 : 201,
        body: { zone: zone.origin, owner: owner.name, type: target.type, settings: keys.value, source: 'api', version: current.version + 1 },
      };
    });
  }

  async deletePool(zoneText: string, ownerText: string, typeText: string, _who: ChangeOrigin): Promise<ApiResult> {
    const target = this.target(zoneText, ownerText, typeText);
    if ('error' in target) return target.error;
    const { zone, owner, type } = target;
    return this.mutate([zone.origin], (current) => {
      const pool = current.pools.find((p) => p.owner === owner.name);
      if (!pool) {
        const inFile = this.runtime?.fileZone(zone.origin)?.fileZone.pools.some((p) => p.name === owner.name);
        return {
          error: inFile
            ? apiError(409, 'ADMIN_API_FILE_MEMBER', `${owner.name}/${type} comes from the zone file ${zone.file}: remove it there (the API removes only what it added)`)
            : apiError(404, 'ADMIN_API_NO_SUCH_POOL', `the API added nothing to ${owner.name}/${type}`),
        };
      }
      return {
        overlay: upsertPool(current, owner.name, (p) => {
          const members = p.members.filter((m) => addressType(m.address) !== type);
          // The settings go with the last member: the other family's members keep them.
          return { ...p, members, keys: members.length > 0 ? p.keys : undefined, externaldns: undefined };
        }),
        status: 204,
      };
    });
  }

  /** Zone, owner and type of a pool route, checked. */
  private target(zoneText: string, ownerText: string, typeText: string): { zone: Zone; owner: { name: string; display: string }; type: PoolType } | { error: ApiResult } {
    const zone = this.zoneOf(zoneText);
    if (!zone) return { error: unknownZone(zoneText) };
    const type = typeText.toUpperCase();
    if (type !== 'A' && type !== 'AAAA') return { error: apiError(400, 'ADMIN_API_BAD_TYPE', `pools are A or AAAA records (got "${typeText}")`, typeText) };
    const owner = checkOwner(ownerText, zone.origin);
    if (!owner.ok) return { error: refused(owner.error) };
    return { zone, owner: owner.value, type };
  }
}

/** The overlay with one pool changed by `edit` (created when missing, dropped when left empty). */
export function upsertPool(overlay: ZoneOverlay, owner: string, edit: (pool: OverlayPool) => OverlayPool): ZoneOverlay {
  const existing = overlay.pools.find((p) => p.owner === owner) ?? { owner, members: [] };
  const edited = edit(existing);
  const keep = edited.members.length > 0 || edited.keys !== undefined;
  const pools = overlay.pools.filter((p) => p.owner !== owner);
  return { ...overlay, pools: keep ? [...pools, edited] : pools };
}

export function refused(error: OverlayError): ApiResult {
  return apiError(400, error.code, error.message, error.key);
}

function unknownZone(text: string): ApiResult {
  return apiError(404, 'ADMIN_API_UNKNOWN_ZONE', `zone ${text} is not served here`);
}

export type { AnnotationKeys, Checked };
