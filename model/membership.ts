/**
 * Dynamic membership: pool members, pool settings and plain records added through the write API
 * (`/api/v1/...`), `rondo member` or the ExternalDNS webhook. They are kept per zone as an
 * overlay, stored in Redis (shared by every server) or in a local state file, and applied on top
 * of the zone file each time the zone compiles (zones/overlay.ts).
 *
 * Settings are kept as zone-grammar text (`weight` → `"3"`, `backup` → `true`), exactly what a
 * `;@` annotation would say, so they are checked by the same code as a zone file.
 */

/** `key=value` → `"value"`; a flag (`backup`) → `true`. */
export type AnnotationKeys = Readonly<Record<string, string | true>>;

/** Who made a change and from where, for the audit log and `GET .../pools`. */
export interface ChangeOrigin {
  /** The admin token's name (`--http-token name:secret`), `externaldns`, or `cli` for `rondo member --redis`. */
  readonly by: string;
  /** The client's address (`192.0.2.7:51234`), or a host name for the CLI. */
  readonly from: string;
}

export interface OverlayMember {
  /** Canonical address text (IPv6 compressed, lowercase). */
  readonly address: string;
  /** Member keys: weight, priority, backup, check, probe, port (and any the zone grammar adds). */
  readonly keys: AnnotationKeys;
  /** ExternalDNS's SetIdentifier of the endpoint this member came from, if any. */
  readonly setIdentifier?: string | undefined;
  /** Epoch milliseconds of the last change, and who made it. */
  readonly at: number;
  readonly by: string;
}

/** One pool's part of the overlay: the owner's A and AAAA members, and optionally its `;@pool` settings. */
export interface OverlayPool {
  /** Lowercase absolute owner name. */
  readonly owner: string;
  /**
   * Pool keys (policy, answers, ttl, check, all-down, unknown, quorum, ...), replacing the zone
   * file's `;@pool` line for this owner; undefined: the file's line (or the defaults) stay.
   */
  readonly keys?: AnnotationKeys | undefined;
  /** Members of either family; the address family decides A or AAAA. */
  readonly members: readonly OverlayMember[];
  /** ExternalDNS labels and provider-specific properties of the endpoint(s), echoed back on GET /records. */
  readonly externaldns?: ExternalDnsMeta | undefined;
}

export interface ExternalDnsMeta {
  /** Per record type (`A`, `AAAA`) and set identifier (`''` when none). */
  readonly endpoints: readonly {
    readonly recordType: string;
    readonly setIdentifier: string;
    readonly recordTTL: number | undefined;
    readonly labels: Readonly<Record<string, string>>;
    readonly providerSpecific: readonly { readonly name: string; readonly value: string }[];
  }[];
}

/** A plain RRset the webhook keeps (ExternalDNS registry TXT records, CNAMEs). */
export interface OverlayRRset {
  /** Lowercase absolute owner name. */
  readonly owner: string;
  readonly type: 'TXT' | 'CNAME';
  /** Seconds. */
  readonly ttl: number;
  /** TXT: each value is one character-string's text; CNAME: one absolute target name. */
  readonly values: readonly string[];
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly setIdentifier?: string | undefined;
  readonly at: number;
  readonly by: string;
}

/** Everything the API added to one zone. `version` grows by one with every change. */
export interface ZoneOverlay {
  /** The zone's apex, lowercase absolute. */
  readonly zone: string;
  readonly version: number;
  readonly pools: readonly OverlayPool[];
  readonly rrsets: readonly OverlayRRset[];
}

export function emptyOverlay(zone: string): ZoneOverlay {
  return { zone, version: 0, pools: [], rrsets: [] };
}

export function overlayIsEmpty(overlay: ZoneOverlay | undefined): boolean {
  return overlay === undefined || (overlay.pools.length === 0 && overlay.rrsets.length === 0);
}

/**
 * Where overlays are kept: Redis (health/membership-store.ts) or a local state file
 * (health/membership-file.ts). Both keep every zone's overlay with a version, and write with
 * compare-and-set so two writers never lose each other's change.
 */
export interface MembershipStore {
  /** `redis` or `file`, for logs and status. */
  readonly kind: 'redis' | 'file';
  /** Connects (Redis) or reads the file; resolves with every overlay it holds for these zones. */
  start(zones: readonly string[]): Promise<Map<string, ZoneOverlay>>;
  /** The stored overlay of one zone, read fresh (Redis: one GET). */
  read(zone: string): Promise<ZoneOverlay | undefined>;
  /**
   * Stores `next` if the stored version is still `expected` (0: none stored); resolves false on a
   * conflict (someone else wrote first: read again and retry). Announces the change (Redis).
   */
  write(next: ZoneOverlay, expected: number): Promise<boolean>;
  /** Overlays written by others (Redis announcements and resyncs). Returns an unsubscribe function. */
  subscribe(listener: (overlay: ZoneOverlay) => void): () => void;
  /** Tells the store which zones this process serves (after a zone appears or goes). */
  setZones?(zones: readonly string[]): void;
  stop(): Promise<void>;
}
