/** The shapes that flow between the query parser, the answerer and the response encoder. */
import type { Rdata } from '../../model/zone.js';

export interface Question {
  /** The name's uncompressed wire form as asked (case kept), echoed byte for byte. */
  readonly wire: Buffer;
  /** Offset of each label in `wire`. */
  readonly wireStarts: readonly number[];
  /** Lowercase absolute presentation name, the lookup key. */
  readonly name: string;
  /** Presentation name as asked (case kept). */
  readonly display: string;
  /** Where each label starts in `name`/`display`, so suffixes are `name.slice(labelStarts[i])`. */
  readonly labelStarts: readonly number[];
  readonly type: number;
  readonly class: number;
}

/** RFC 7871 EDNS Client Subnet, as received. */
export interface ClientSubnet {
  /** 1 = IPv4, 2 = IPv6 (IANA address family numbers). */
  readonly family: 1 | 2;
  readonly sourcePrefix: number;
  readonly scopePrefix: number;
  /** ceil(sourcePrefix / 8) octets, bits past the prefix zero. */
  readonly address: Buffer;
}

export interface EdnsInfo {
  /** Requester's UDP payload size, raised to 512 if it advertised less (RFC 6891 §6.2.5). */
  readonly udpSize: number;
  readonly version: number;
  /** The DO bit (RFC 3225). */
  readonly dnssecOk: boolean;
  readonly ecs?: ClientSubnet;
}

export interface QueryMessage {
  readonly id: number;
  readonly opcode: number;
  readonly recursionDesired: boolean;
  readonly checkingDisabled: boolean;
  readonly question: Question;
  readonly edns?: EdnsInfo;
}

/**
 * Result of parsing a datagram or TCP frame. `drop`: never answered (too short to echo an ID,
 * or a response). `reject`: answered with `rcode` and whatever of the query could be read.
 */
export type ParsedQuery =
  | { readonly kind: 'query'; readonly query: QueryMessage }
  | {
      readonly kind: 'reject';
      readonly rcode: number;
      readonly reason: string;
      readonly id: number;
      readonly opcode: number;
      readonly recursionDesired: boolean;
      readonly checkingDisabled: boolean;
      readonly question?: Question;
      /** Present when the query carried a valid OPT record, so the response carries one. */
      readonly edns?: EdnsInfo;
    }
  | { readonly kind: 'drop'; readonly reason: string };

/** The fields of the query a response echoes. */
export type ResponseContext = Pick<QueryMessage, 'id' | 'opcode' | 'recursionDesired' | 'checkingDisabled' | 'edns'> & {
  readonly question?: Question;
};

/** A record to encode. `owner` is an absolute presentation name in the case to show. */
export interface OutRecord {
  readonly owner: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: Rdata;
  /** Glue the referral cannot do without: dropping it for size sets TC (RFC 2181 §9). */
  readonly requiredGlue?: boolean;
}

export interface ResponseMessage {
  /** Full 12-bit RCODE; values above 15 need the query's OPT record. */
  readonly rcode: number;
  readonly authoritative: boolean;
  readonly answer: readonly OutRecord[];
  readonly authority: readonly OutRecord[];
  readonly additional: readonly OutRecord[];
  /** RFC 7871 §7.2.1 SCOPE PREFIX-LENGTH for the ECS option echoed in the response. */
  readonly ecsScope?: number;
}
