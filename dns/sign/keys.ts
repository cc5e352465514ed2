/**
 * DNSSEC keys from BIND key files, as `dnssec-keygen` writes them: `K<zone>.+<alg>+<tag>.key`
 * (the DNSKEY record, with timing comments) and `.private` (Private-key-format v1.3: the private
 * key and the timing metadata Created/Publish/Activate/Inactive/Delete, YYYYMMDDHHMMSS UTC).
 * Algorithms 13 (ECDSAP256SHA256) and 15 (ED25519), through node:crypto.
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import { lowerName } from '../../zones/names.js';

export const ALG_ECDSAP256SHA256 = 13;
export const ALG_ED25519 = 15;
/** DNSKEY flags: Zone Key (bit 7) and Secure Entry Point (bit 15), RFC 4034 §2.1.1. */
export const FLAG_ZONE = 0x0100;
export const FLAG_SEP = 0x0001;
/** DNSKEY flags bit 8, RFC 5011 REVOKE. */
export const FLAG_REVOKE = 0x0080;

export interface KeyTiming {
  /** Milliseconds since the epoch; undefined when the file does not say. */
  readonly created?: number;
  readonly publish?: number;
  readonly activate?: number;
  readonly inactive?: number;
  readonly delete?: number;
}

export interface DnssecKey {
  /** Lowercase absolute zone name. */
  readonly zone: string;
  readonly algorithm: number;
  readonly flags: number;
  readonly tag: number;
  /** The DNSKEY rdata in wire form: flags, protocol 3, algorithm, public key. */
  readonly dnskey: Buffer;
  readonly publicKey: Buffer;
  readonly privateKey: KeyObject;
  readonly timing: KeyTiming;
  /** The .private file it came from. */
  readonly file: string;
}

export type KeyRole = 'ksk' | 'zsk';

export function roleOf(key: DnssecKey): KeyRole {
  return (key.flags & FLAG_SEP) !== 0 ? 'ksk' : 'zsk';
}

/** RFC 4034 Appendix B: the key tag of a DNSKEY rdata. */
export function keyTag(rdata: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += (i & 1) !== 0 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** `YYYYMMDDHHMMSS` (UTC) → epoch ms. */
export function parseKeyTime(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Published: in the DNSKEY RRset now (Publish passed or absent, Delete not passed). */
export function isPublished(key: DnssecKey, nowMs: number): boolean {
  const t = key.timing;
  if (t.publish !== undefined && t.publish > nowMs) return false;
  if (t.delete !== undefined && t.delete <= nowMs) return false;
  return true;
}

/** Active: signs now (published, Activate passed or absent, Inactive not passed). */
export function isActive(key: DnssecKey, nowMs: number): boolean {
  if (!isPublished(key, nowMs)) return false;
  const t = key.timing;
  if (t.activate !== undefined && t.activate > nowMs) return false;
  if (t.inactive !== undefined && t.inactive <= nowMs) return false;
  return true;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function bad(file: string, detail: string): ConfigError {
  return new ConfigError('DNSSEC_KEY_INVALID', `${file}: ${detail}`);
}

/** The DNSKEY line of a .key file: owner [ttl] [class] DNSKEY flags protocol algorithm key... */
function parseKeyFile(text: string, file: string): { owner: string; flags: number; protocol: number; algorithm: number; publicKey: Buffer } {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    const at = tokens.findIndex((t) => t.toUpperCase() === 'DNSKEY');
    if (at < 1 || tokens.length < at + 5) throw bad(file, 'no DNSKEY record');
    const owner = tokens[0]!;
    const flags = Number(tokens[at + 1]);
    const protocol = Number(tokens[at + 2]);
    const algorithm = Number(tokens[at + 3]);
    const publicKey = Buffer.from(tokens.slice(at + 4).join(''), 'base64');
    if (!Number.isInteger(flags) || !Number.isInteger(algorithm)) throw bad(file, 'bad DNSKEY fields');
    return { owner, flags, protocol, algorithm, publicKey };
  }
  throw bad(file, 'no DNSKEY record');
}

/**
 * The ECDSA private scalar as 32 octets. BIND writes it as a big-endian integer without leading
 * zero octets, so about one key in 256 has a shorter PrivateKey field.
 */
function scalar32(secret: Buffer): Buffer {
  if (secret.length === 0 || secret.length >= 32) return secret;
  const padded = Buffer.alloc(32);
  secret.copy(padded, 32 - secret.length);
  return padded;
}

function privateKeyObject(algorithm: number, encodedSecret: Buffer, publicKey: Buffer, file: string): KeyObject {
  if (algorithm === ALG_ECDSAP256SHA256) {
    const secret = scalar32(encodedSecret);
    if (secret.length !== 32 || publicKey.length !== 64) throw bad(file, 'an ECDSAP256SHA256 key has a 32-octet private and a 64-octet public key');
    return createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64url(secret), x: b64url(publicKey.subarray(0, 32)), y: b64url(publicKey.subarray(32)) }, format: 'jwk' });
  }
  if (algorithm === ALG_ED25519) {
    if (encodedSecret.length !== 32 || publicKey.length !== 32) throw bad(file, 'an ED25519 key has 32-octet private and public keys');
    return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(encodedSecret), x: b64url(publicKey) }, format: 'jwk' });
  }
  throw bad(file, `algorithm ${algorithm} is not supported (13 ECDSAP256SHA256 and 15 ED25519 are)`);
}

/** True when the private key signs what the .key file's public key verifies (a .key/.private mismatch is refused). */
function pairMatches(algorithm: number, priv: KeyObject, publicKey: Buffer): boolean {
  const probe = Buffer.from('rondo key pair check');
  const pub =
    algorithm === ALG_ECDSAP256SHA256
      ? createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(publicKey.subarray(0, 32)), y: b64url(publicKey.subarray(32)) }, format: 'jwk' })
      : createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' });
  if (algorithm === ALG_ECDSAP256SHA256) {
    const sig = cryptoSign('sha256', probe, { key: priv, dsaEncoding: 'ieee-p1363' });
    return cryptoVerify('sha256', probe, { key: pub, dsaEncoding: 'ieee-p1363' }, sig);
  }
  return cryptoVerify(null, probe, pub, cryptoSign(null, probe, priv));
}

/** Reads one key pair; `base` is the path without `.key`/`.private`. */
export async function readKeyPair(base: string): Promise<DnssecKey> {
  const keyFile = `${base}.key`;
  const privateFile = `${base}.private`;
  let keyText: string;
  let privText: string;
  try {
    [keyText, privText] = await Promise.all([readFile(keyFile, 'utf8'), readFile(privateFile, 'utf8')]);
  } catch (err) {
    throw new ConfigError('DNSSEC_KEYS_UNREADABLE', `${base}: cannot read the key pair: ${(err as Error).message}`, { cause: err });
  }
  const pub = parseKeyFile(keyText, keyFile);
  const fields = new Map<string, string>();
  for (const line of privText.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const format = fields.get('private-key-format');
  if (!format?.startsWith('v1.')) throw bad(privateFile, 'not a BIND Private-key-format v1.x file');
  const algorithm = Number((fields.get('algorithm') ?? '').split(/\s/)[0]);
  if (algorithm !== pub.algorithm) throw bad(privateFile, `algorithm ${algorithm} differs from the .key file's ${pub.algorithm}`);
  const secret = Buffer.from(fields.get('privatekey') ?? '', 'base64');
  const privateKey = privateKeyObject(algorithm, secret, pub.publicKey, privateFile);
  if (!pairMatches(algorithm, privateKey, pub.publicKey)) throw bad(privateFile, 'the private key does not belong to the public key in the .key file');
  if (pub.protocol !== 3) throw bad(keyFile, 'DNSKEY protocol must be 3');
  if ((pub.flags & FLAG_ZONE) === 0) throw bad(keyFile, 'not a zone key (flags bit 7 clear)');
  const dnskey = Buffer.alloc(4 + pub.publicKey.length);
  dnskey.writeUInt16BE(pub.flags, 0);
  dnskey[2] = 3;
  dnskey[3] = algorithm;
  pub.publicKey.copy(dnskey, 4);
  const time = (name: string): number | undefined => {
    const text = fields.get(name);
    return text === undefined ? undefined : parseKeyTime(text);
  };
  const timing: KeyTiming = { created: time('created'), publish: time('publish'), activate: time('activate'), inactive: time('inactive'), delete: time('delete') };
  const owner = pub.owner.endsWith('.') ? pub.owner : `${pub.owner}.`;
  return { zone: lowerName(owner), algorithm, flags: pub.flags, tag: keyTag(dnskey), dnskey, publicKey: pub.publicKey, privateKey, timing, file: privateFile };
}

const KEY_FILE = /^K(.+)\.\+(\d{3})\+(\d{5})\.private$/;

/** Every key pair in `dir`, by zone (lowercase absolute). Unsupported or broken pairs are errors. */
export async function readKeyDir(dir: string): Promise<Map<string, DnssecKey[]>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new ConfigError('DNSSEC_KEYS_UNREADABLE', `--dnssec-keys ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const byZone = new Map<string, DnssecKey[]>();
  for (const name of names.sort()) {
    if (!KEY_FILE.test(name)) continue;
    const key = await readKeyPair(join(dir, name.slice(0, -'.private'.length)));
    const list = byZone.get(key.zone);
    if (list) list.push(key);
    else byZone.set(key.zone, [key]);
  }
  return byZone;
}
