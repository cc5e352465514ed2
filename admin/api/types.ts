/**
 * What the write API and the ExternalDNS webhook ask of the server. admin/ does the HTTP (routes,
 * auth, media types, bodies, audit); server/membership.ts does the work (validation with the
 * zone-file code, storage, announcement, applying the overlay).
 */
import type { ChangeOrigin } from '../../model/membership.js';

/** An HTTP answer: status and a JSON body (none for 204). */
export interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
}

/** The body of every 4xx/5xx: a stable code (zone codes for bad settings) and a message. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly key?: string | undefined };
}

export function apiError(status: number, code: string, message: string, key?: string): ApiResult {
  return { status, body: { error: key === undefined ? { code, message } : { code, message, key } } satisfies ApiErrorBody };
}

export type PoolType = 'A' | 'AAAA';

/** `/api/v1/zones/{zone}/pools...` */
export interface MembershipApi {
  listPools(zone: string): ApiResult;
  putMember(zone: string, owner: string, type: string, address: string, body: unknown, who: ChangeOrigin): Promise<ApiResult>;
  deleteMember(zone: string, owner: string, type: string, address: string, who: ChangeOrigin): Promise<ApiResult>;
  putPool(zone: string, owner: string, type: string, body: unknown, who: ChangeOrigin): Promise<ApiResult>;
  deletePool(zone: string, owner: string, type: string, who: ChangeOrigin): Promise<ApiResult>;
}

/** One ExternalDNS endpoint, with the webhook protocol's exact field names. */
export interface Endpoint {
  dnsName: string;
  targets: string[];
  recordType: string;
  setIdentifier?: string;
  recordTTL?: number;
  labels?: Record<string, string>;
  providerSpecific?: { name: string; value: string }[];
}

export interface EndpointChanges {
  readonly create: readonly Endpoint[];
  readonly updateOld: readonly Endpoint[];
  readonly updateNew: readonly Endpoint[];
  readonly delete: readonly Endpoint[];
}

/** The ExternalDNS webhook provider. */
export interface ExternalDnsApi {
  /** The zones served (the domain filter). */
  domains(): string[];
  records(): Endpoint[];
  apply(changes: EndpointChanges, who: ChangeOrigin): Promise<ApiResult>;
  adjust(endpoints: readonly Endpoint[]): Endpoint[];
}
