/**
 * The fast path's query parser: checks a UDP query in place and, for the common shape only,
 * leaves the lowercase wire name, its hash and the question's facts in the scanner's fields.
 * Strict: anything it does not recognise makes scan() return false, and the query goes to the
 * full parser (wire/parse-query.ts), which answers the odd cases properly.
 *
 * Accepted: QR=0, opcode QUERY, AA=TC=Z=RA=0, RCODE 0 (RD, AD and CD may be set), QDCOUNT=1,
 * ANCOUNT=NSCOUNT=0, ARCOUNT 0 or 1; an uncompressed question name of at least one label, class
 * IN, type A or AAAA; the message ends right after the question or after one OPT record with a
 * root owner, extended RCODE 0, VERSION 0, no flag but DO, well-formed options and no
 * Client Subnet option (RFC 7871) among them.
 */
import { RRType } from '../../model/zone.js';
import { EDNS_OPTION_ECS, HEADER_SIZE, MAX_UDP_PAYLOAD, MIN_UDP_PAYLOAD, TYPE_OPT } from '../wire/constants.js';
import { HASH_SEED, hashStep, keyHash } from './name-table.js';

/** Header flag bits a fast-path query may carry: RD, AD, CD. */
const ALLOWED_FLAGS = 0x0100 | 0x0020 | 0x0010;
/** RFC 1035 §2.3.4: 255 octets of name, root byte included. */
const MAX_NAME = 255;

export class QuestionScanner {
  /** The question name lowercased (A-Z only, RFC 4343), in wire form with the root byte. */
  readonly key = new Uint8Array(256);
  keyLength = 0;
  /** keyHash() of the name and qtype, for NameTable. */
  hash = 0;
  qtype = 0;
  /** Offset just past the question (the message's own bytes up to here are echoed). */
  questionEnd = 0;
  /** The query carried an OPT record, so the response carries ours. */
  edns = false;
  /** The query's DO bit, echoed in our OPT. */
  dnssecOk = false;
  /** Largest response the requester takes over UDP. */
  limit = MIN_UDP_PAYLOAD;

  /** True when `message` has the common shape; the fields then describe it. */
  scan(message: Buffer): boolean {
    const length = message.length;
    if (length < HEADER_SIZE + 6) return false;
    const flags = (message[2]! << 8) | message[3]!;
    if ((flags & ~ALLOWED_FLAGS) !== 0) return false;
    if (message[4] !== 0 || message[5] !== 1 || (message[6]! | message[7]! | message[8]! | message[9]! | message[10]!) !== 0) return false;
    const arcount = message[11]!;
    if (arcount > 1) return false;

    // The name: lowercase copy and hash in one pass.
    const key = this.key;
    let pos = HEADER_SIZE;
    let n = 0;
    let hash = HASH_SEED;
    for (;;) {
      if (pos >= length) return false;
      const labelLength = message[pos]!;
      if (labelLength === 0) break;
      // Compression pointers and the obsolete label types (> 63) are the full path's.
      if (labelLength > 63 || pos + labelLength + 1 >= length || n + labelLength + 2 > MAX_NAME) return false;
      key[n++] = labelLength;
      hash = hashStep(hash, labelLength);
      const end = pos + labelLength;
      for (let i = pos + 1; i <= end; i++) {
        let c = message[i]!;
        if (c >= 0x41 && c <= 0x5a) c |= 0x20;
        key[n++] = c;
        hash = hashStep(hash, c);
      }
      pos = end + 1;
    }
    if (n === 0) return false; // the root: not worth a special case
    key[n++] = 0;
    const questionEnd = pos + 5;
    if (questionEnd > length) return false;
    const qtype = (message[pos + 1]! << 8) | message[pos + 2]!;
    if ((qtype !== RRType.A && qtype !== RRType.AAAA) || message[pos + 3] !== 0 || message[pos + 4] !== 1) return false;

    let limit = MIN_UDP_PAYLOAD;
    let dnssecOk = false;
    if (arcount === 1) {
      const opt = questionEnd;
      if (opt + 11 > length) return false;
      if (message[opt] !== 0 || message[opt + 1] !== 0 || message[opt + 2] !== TYPE_OPT) return false;
      // TTL: extended RCODE, VERSION, DO|Z, Z.
      // Only the DO bit may be set (RFC 3225): echoed in our OPT; for a signed zone it selects the
      // signed variants (sign/signed-answers.ts). Resolvers that validate set it on nearly every query.
      if ((message[opt + 5]! | message[opt + 6]! | (message[opt + 7]! & 0x7f) | message[opt + 8]!) !== 0) return false;
      dnssecOk = (message[opt + 7]! & 0x80) !== 0;
      const rdataEnd = opt + 11 + ((message[opt + 9]! << 8) | message[opt + 10]!);
      if (rdataEnd !== length) return false;
      for (let o = opt + 11; o < rdataEnd; ) {
        if (o + 4 > rdataEnd) return false;
        if (((message[o]! << 8) | message[o + 1]!) === EDNS_OPTION_ECS) return false;
        o += 4 + ((message[o + 2]! << 8) | message[o + 3]!);
        if (o > rdataEnd) return false;
      }
      // RFC 6891 §6.2.5: a size below 512 counts as 512; we never send more than MAX_UDP_PAYLOAD.
      const advertised = (message[opt + 3]! << 8) | message[opt + 4]!;
      limit = advertised < MIN_UDP_PAYLOAD ? MIN_UDP_PAYLOAD : advertised > MAX_UDP_PAYLOAD ? MAX_UDP_PAYLOAD : advertised;
    } else if (questionEnd !== length) {
      return false;
    }
    this.keyLength = n;
    this.hash = keyHash(hash, qtype);
    this.qtype = qtype;
    this.questionEnd = questionEnd;
    this.edns = arcount === 1;
    this.dnssecOk = dnssecOk;
    this.limit = limit;
    return true;
  }
}
