/**
 * One message in, one message (or nothing) out: parse, answer, encode, count. Shared by the
 * UDP and TCP listeners; synchronous, and it never throws.
 */
import type { Logger } from '../lib/logger.js';
import { errorResponse, respond } from './respond.js';
import type { ClientInfo, PoolSelector } from './pool-selector.js';
import type { ZoneSet } from './zone-set.js';
import { MAX_TCP_MESSAGE, MAX_UDP_PAYLOAD, MIN_UDP_PAYLOAD, Rcode } from './wire/constants.js';
import { rcodeName as rcodeMnemonic } from '../model/rcode.js';
import { encodeResponse } from './wire/encode.js';
import type { QueryMessage, ResponseContext, ResponseMessage } from './wire/message.js';
import { parseQuery } from './wire/parse-query.js';
import { NO_ZONE, QueryCounters } from './query-counters.js';
import type { Signer } from './sign/signer.js';

export interface DnsStats {
  /** Messages received, answered or not. */
  received: number;
  /** Messages dropped without an answer (too short, QR set, unencodable). */
  dropped: number;
  udp: number;
  tcp: number;
  /** Responses sent with TC=1. */
  truncated: number;
  /** Responses by RCODE name (NOERROR, NXDOMAIN, REFUSED, SERVFAIL, FORMERR, ...). */
  rcodes: Record<string, number>;
  /** TCP connections accepted since start. */
  tcpAccepted: number;
  /** TCP connections open now. */
  tcpOpen: number;
  /** TCP connections closed on accept (limit reached, or shutting down). */
  tcpRejected: number;
  /** TCP connections closed for sending no complete query within the idle timeout. */
  tcpIdleClosed: number;
}

export function newStats(): DnsStats {
  return { received: 0, dropped: 0, udp: 0, tcp: 0, truncated: 0, rcodes: {}, tcpAccepted: 0, tcpOpen: 0, tcpRejected: 0, tcpIdleClosed: 0 };
}

export interface Peer {
  readonly address: string;
  readonly family: 4 | 6;
  readonly transport: 'udp' | 'tcp';
}

export class QueryHandler {
  constructor(
    private readonly zones: () => ZoneSet,
    private readonly selector: PoolSelector,
    private readonly log: Logger,
    readonly stats: DnsStats,
    private readonly queries: QueryCounters = new QueryCounters(),
    /** DNSSEC: DO=1 responses for signed zones get their signatures and proofs here. */
    private readonly signer?: Signer,
  ) {}

  /** Checked per message so a runtime level change takes effect; cheap next to building the log object. */
  private get debug(): boolean {
    return this.log.isLevelEnabled('debug');
  }

  /** The response bytes for `message`, or undefined when it must not be answered. */
  handle(message: Buffer, peer: Peer): Buffer | undefined {
    this.stats.received++;
    this.stats[peer.transport]++;
    try {
      return this.handleUnsafe(message, peer);
    } catch (err) {
      // Not expected: respond() maps its own failures to SERVFAIL. Whatever this was, the socket survives it.
      this.stats.dropped++;
      this.log.debug({ err, client: peer.address }, 'query handling failed');
      return undefined;
    }
  }

  private signResponse(question: QueryMessage['question'], response: ResponseMessage): ResponseMessage {
    try {
      return this.signer?.signResponse(question, this.zones(), response) ?? response;
    } catch (err) {
      this.log.warn({ err, qname: question.name }, 'signing failed, SERVFAIL');
      return errorResponse(Rcode.SERVFAIL);
    }
  }

  private handleUnsafe(message: Buffer, peer: Peer): Buffer | undefined {
    const parsed = parseQuery(message);
    if (parsed.kind === 'drop') {
      this.stats.dropped++;
      if (this.debug) this.log.debug({ client: peer.address, transport: peer.transport, reason: parsed.reason }, 'query dropped');
      return undefined;
    }
    let ctx: ResponseContext;
    let response: ResponseMessage;
    if (parsed.kind === 'reject') {
      ctx = parsed;
      response = errorResponse(parsed.rcode);
      if (this.debug) this.log.debug({ client: peer.address, transport: peer.transport, reason: parsed.reason }, 'query rejected');
    } else {
      const query = parsed.query;
      ctx = query;
      const ecs = query.edns?.ecs;
      const client: ClientInfo = ecs
        ? { address: peer.address, family: peer.family, transport: peer.transport, ecs: { family: ecs.family, sourcePrefix: ecs.sourcePrefix, address: ecs.address } }
        : { address: peer.address, family: peer.family, transport: peer.transport };
      response = respond(query, this.zones(), this.selector, client, (err) => this.log.debug({ err, qname: query.question.name }, 'answer failed, SERVFAIL'));
      if (this.signer && query.edns?.dnssecOk === true) response = this.signResponse(query.question, response);
    }
    const limit = peer.transport === 'tcp' ? MAX_TCP_MESSAGE : udpLimit(ctx);
    let encoded;
    try {
      encoded = encodeResponse(ctx, response, limit);
    } catch (err) {
      // Zone data the encoder cannot write (should have been refused at load): SERVFAIL, not silence.
      this.log.debug({ err }, 'response encoding failed, SERVFAIL');
      response = errorResponse(Rcode.SERVFAIL);
      encoded = encodeResponse(ctx, response, limit);
    }
    const rcodeName = rcodeMnemonic(response.rcode) ?? String(response.rcode);
    this.stats.rcodes[rcodeName] = (this.stats.rcodes[rcodeName] ?? 0) + 1;
    const question = ctx.question;
    const zone = question ? this.zones().find(question.name)?.origin : undefined;
    this.queries.add(zone ?? NO_ZONE, question?.type, rcodeName);
    if (encoded.truncated) this.stats.truncated++;
    if (this.debug) {
      this.log.debug(
        { client: peer.address, transport: peer.transport, qname: ctx.question?.name, qtype: ctx.question?.type, rcode: rcodeName, tc: encoded.truncated },
        'query answered',
      );
    }
    return encoded.message;
  }
}

/** RFC 1035 §4.2.1: 512 octets without EDNS; RFC 6891 §6.2.5: the advertised size, at least 512. */
function udpLimit(ctx: ResponseContext): number {
  const advertised = ctx.edns?.udpSize ?? MIN_UDP_PAYLOAD;
  return Math.min(Math.max(advertised, MIN_UDP_PAYLOAD), MAX_UDP_PAYLOAD);
}
