/**
 * The DNSSEC record types Rondo writes: RRSIG (RFC 4034 §3), NSEC with its type bitmap (§4),
 * DNSKEY, DS (§5), CDS and CDNSKEY (RFC 7344). Rdata in wire form, carried as `generic` rdata.
 */
import { createHash, sign as cryptoSign } from 'node:crypto';
import { canonicalName, labelCount, sortedRdatas } from './canonical.js';
import { ALG_ECDSAP256SHA256, type DnssecKey } from './keys.js';

export const TYPE_DS = 43;
export const TYPE_RRSIG = 46;
export const TYPE_NSEC = 47;
export const TYPE_DNSKEY = 48;
export const TYPE_CDS = 59;
export const TYPE_CDNSKEY = 60;
/** RFC 9824 §2: the NXNAME meta-type, set in the NSEC bitmap of a name that does not exist. */
export const TYPE_NXNAME = 128;
const CLASS_IN = 1;
/** DS digest type 2: SHA-256 (RFC 4509). */
export const DIGEST_SHA256 = 2;

export interface SignatureInput {
  /** Owner, lowercase absolute (a wildcard-synthesised answer is signed at the query name). */
  readonly owner: string;
  readonly type: number;
  /** The RRSIG's Original TTL and the TTL of every record in the signed form. */
  readonly ttl: number;
  /** Canonical rdatas, any order. */
  readonly rdatas: readonly Buffer[];
  readonly key: DnssecKey;
  /** Seconds since the epoch (serial arithmetic, RFC 4034 §3.1.5). */
  readonly inception: number;
  readonly expiration: number;
}

/** The RRSIG rdata for an RRset: its fields, then the signature over fields + canonical RRset. */
export function signRRset(input: SignatureInput): Buffer {
  const { key } = input;
  const signer = canonicalName(key.zone);
  const head = Buffer.allocUnsafe(18);
  head.writeUInt16BE(input.type, 0);
  head[2] = key.algorithm;
  head[3] = labelCount(input.owner);
  head.writeUInt32BE(input.ttl >>> 0, 4);
  head.writeUInt32BE(input.expiration >>> 0, 8);
  head.writeUInt32BE(input.inception >>> 0, 12);
  head.writeUInt16BE(key.tag, 16);
  const owner = canonicalName(input.owner);
  const parts: Buffer[] = [head, signer];
  const fixed = Buffer.allocUnsafe(8);
  fixed.writeUInt16BE(input.type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(input.ttl >>> 0, 4);
  for (const rdata of sortedRdatas(input.rdatas)) {
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(rdata.length, 0);
    parts.push(owner, fixed, len, rdata);
  }
  const data = Buffer.concat(parts);
  const signature =
    key.algorithm === ALG_ECDSAP256SHA256
      ? cryptoSign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : cryptoSign(null, data, key.privateKey);
  return Buffer.concat([head, signer, signature]);
}

/** RFC 4034 §4.1.2: the type bitmap of a set of types. */
export function typeBitmap(types: Iterable<number>): Buffer {
  const windows = new Map<number, Uint8Array>();
  for (const type of types) {
    const win = type >> 8;
    let bits = windows.get(win);
    if (!bits) {
      bits = new Uint8Array(32);
      windows.set(win, bits);
    }
    const low = type & 0xff;
    bits[low >> 3]! |= 0x80 >> (low & 7);
  }
  const parts: Buffer[] = [];
  for (const win of [...windows.keys()].sort((a, b) => a - b)) {
    const bits = windows.get(win)!;
    let len = 32;
    while (len > 0 && bits[len - 1] === 0) len--;
    parts.push(Buffer.from([win, len]), Buffer.from(bits.subarray(0, len)));
  }
  return Buffer.concat(parts);
}

/** NSEC rdata: next owner name (canonical) and the type bitmap. */
export function nsecRdata(next: string, types: Iterable<number>): Buffer {
  return Buffer.concat([canonicalName(next), typeBitmap(types)]);
}

/** RFC 4509 / RFC 4034 §5.1.4: DS rdata of a DNSKEY. */
export function dsRdata(key: DnssecKey, digestType = DIGEST_SHA256): Buffer {
  const digest = createHash('sha256').update(canonicalName(key.zone)).update(key.dnskey).digest();
  const head = Buffer.allocUnsafe(4);
  head.writeUInt16BE(key.tag, 0);
  head[2] = key.algorithm;
  head[3] = digestType;
  return Buffer.concat([head, digest]);
}

/** `zone. IN DS tag alg 2 HEX`, as dnssec-dsfromkey prints it. */
export function dsText(key: DnssecKey, display = key.zone): string {
  const rdata = dsRdata(key);
  return `${display} IN DS ${key.tag} ${key.algorithm} ${rdata[3]} ${rdata.subarray(4).toString('hex').toUpperCase()}`;
}
