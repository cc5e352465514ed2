/**
 * DNSSEC signing without sockets: BIND key files (made by the real dnssec-keygen) read and
 * checked, DS as dnssec-dsfromkey prints it, RRSIGs that verify with the public key, key timing
 * (a ZSK pre-publish rollover), refresh before expiry, the fast path's signed variants equal to
 * the full path's bytes, and the EDNS/DO cases ISC's compliance tests (genreport) look at.
 */
import { execFile } from 'node:child_process';
import { verify as cryptoVerify, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../../../balance/plan.js';
import { FastPath } from '../../../../dns/fast-path.js';
import { PlannedSelector } from '../../../../dns/planned-selector.js';
import { newStats, QueryHandler } from '../../../../dns/query-handler.js';
import { canonicalName, canonicalRdata, sortedRdatas } from '../../../../dns/sign/canonical.js';
import { readKeyDir, readKeyPair, type DnssecKey } from '../../../../dns/sign/keys.js';
import { dsText, TYPE_DNSKEY, TYPE_NSEC, TYPE_RRSIG } from '../../../../dns/sign/records.js';
import { Signer } from '../../../../dns/sign/signer.js';
import { keyPlan } from '../../../../dns/sign/zone-signer.js';
import { decodeMessage, type DecodedMessage, type DecodedRecord } from '../../../../bench/lib/dns-decode.js';
import { ZoneSnapshot } from '../../../../dns/zone-set.js';
import { MemoryHealthStore } from '../../../../health/memory-store.js';
import { manualClock } from '../../../../lib/clock.js';
import { silentLogger } from '../../../../lib/logger.js';
import { seededRandom, type Random } from '../../../../lib/random.js';
import type { Zone } from '../../../../model/zone.js';
import { buildQuery, type QuerySpec } from '../../../helpers/dns-client.js';
import { zoneFromText } from '../../../helpers/dns-zones.js';

const run = promisify(execFile);
/** A whole second shortly after the keys made in these tests are published. */
const NOW = Math.floor(Date.now() / 1000) * 1000 + 60_000;

const ZONE = `$ORIGIN example.test.
$TTL 300
@    IN SOA ns1 hostmaster 1 7200 900 1209600 30
     IN NS  ns1
ns1  IN A   192.0.2.53
;@check web tcp port=80
;@pool www check=web
www  20 IN A 192.0.2.10
www  20 IN A 192.0.2.11
www  20 IN A 192.0.2.12
www  20 IN AAAA 2001:db8::10
;@pool w policy=weighted answers=1 check=web
w    20 IN A 192.0.2.20 ;@ weight=3
w    20 IN A 192.0.2.21 ;@ weight=5
;@pool fo policy=failover check=web all-down=nodata
fo   IN A 192.0.2.50 ;@ priority=1
fo   IN A 192.0.2.51 ;@ priority=2
static IN A 192.0.2.50
txt  IN TXT "text"
*.wild IN A 192.0.2.60
alias IN CNAME www
sub  IN NS ns.sub
ns.sub IN A 192.0.2.70
`;

let dir: string;

async function keygen(sub: string, zone: string, args: readonly string[]): Promise<string> {
  const kdir = path.join(dir, sub);
  await run('mkdir', ['-p', kdir]);
  const { stdout } = await run('dnssec-keygen', ['-q', '-K', kdir, ...args, zone]);
  return path.join(kdir, stdout.trim());
}

function ymd(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-sign-unit-'));
}, 20_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function verifies(key: DnssecKey, rrsig: Buffer, owner: string, type: number, ttl: number, rdatas: readonly Buffer[]): boolean {
  const signerEnd = 18 + canonicalName(key.zone).length;
  const fields = rrsig.subarray(0, signerEnd);
  const signature = rrsig.subarray(signerEnd);
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(ttl, 4);
  const parts: Buffer[] = [fields];
  for (const r of sortedRdatas(rdatas)) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(r.length);
    parts.push(canonicalName(owner), fixed, len, r);
  }
  const data = Buffer.concat(parts);
  const pub = createPublicKey(key.privateKey);
  return key.algorithm === 13 ? cryptoVerify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, signature) : cryptoVerify(null, data, pub, signature);
}

describe('BIND key files', () => {
  it('reads ECDSAP256SHA256 and ED25519 keys with their tags, and prints the DS dnssec-dsfromkey prints', async () => {
    const ksk = await keygen('read', 'example.test', ['-a', '13', '-f', 'KSK']);
    const zsk = await keygen('read', 'example.test', ['-a', '15']);
    const keys = (await readKeyDir(path.join(dir, 'read'))).get('example.test.') ?? [];
    expect(keys.map((k) => `${k.algorithm}/${k.tag}/${k.flags}`).sort()).toEqual(
      [ksk, zsk].map((b) => { const m = /\+(\d{3})\+(\d{5})$/.exec(b)!; return `${Number(m[1])}/${Number(m[2])}/${b === ksk ? 257 : 256}`; }).sort(),
    );
    const k = keys.find((x) => x.flags === 257)!;
    const { stdout } = await run('dnssec-dsfromkey', ['-2', `${ksk}.key`]);
    expect(dsText(k)).toBe(stdout.trim());
  });

  it('refuses a .private that does not belong to the .key, and algorithms other than 13 and 15', async () => {
    const a = await keygen('bad', 'example.test', ['-a', '13']);
    const b = await keygen('bad2', 'example.test', ['-a', '13']);
    await writeFile(`${a}.private`, await readFile(`${b}.private`));
    await expect(readKeyPair(a)).rejects.toMatchObject({ code: 'DNSSEC_KEY_INVALID' });
    const rsa = await keygen('rsa', 'example.test', ['-a', '8', '-b', '1024']);
    await expect(readKeyPair(rsa)).rejects.toMatchObject({ code: 'DNSSEC_KEY_INVALID' });
    await expect(readKeyDir(path.join(dir, 'none'))).rejects.toMatchObject({ code: 'DNSSEC_KEYS_UNREADABLE' });
  });

  it('reads an ECDSA key whose private scalar has a leading zero octet, which BIND writes shorter', async () => {
    // About one P-256 scalar in 256 starts with 0x00; BIND's PrivateKey field then has 31 octets.
    let jwk: JsonWebKey | undefined;
    for (let i = 0; i < 20_000 && jwk === undefined; i++) {
      const candidate = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      if (Buffer.from(candidate.d!, 'base64url')[0] === 0) jwk = candidate;
    }
    expect(jwk).toBeDefined();
    const d = Buffer.from(jwk!.d!, 'base64url');
    const publicKey = Buffer.concat([Buffer.from(jwk!.x!, 'base64url'), Buffer.from(jwk!.y!, 'base64url')]);
    const base = path.join(dir, 'Kexample.test.+013+00001');
    await writeFile(`${base}.key`, `example.test. IN DNSKEY 256 3 13 ${publicKey.toString('base64')}\n`);
    const trimmed = d.subarray(d.findIndex((octet) => octet !== 0));
    await writeFile(`${base}.private`, `Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: ${trimmed.toString('base64')}\n`);
    const key = await readKeyPair(base);
    expect(key.privateKey.export({ format: 'jwk' }).d).toBe(jwk!.d);
  });
});

describe('key timing: a ZSK pre-publish rollover', () => {
  it('publishes the new ZSK first, signs with it from its Activate time, and drops the old one at its Delete time', async () => {
    const h = 3600_000;
    await keygen('roll', 'example.test', ['-a', '13', '-f', 'KSK', '-P', ymd(NOW - 10 * h), '-A', ymd(NOW - 10 * h)]);
    const oldZsk = await keygen('roll', 'example.test', ['-a', '13', '-P', ymd(NOW - 10 * h), '-A', ymd(NOW - 10 * h), '-I', ymd(NOW + 2 * h), '-D', ymd(NOW + 4 * h)]);
    const newZsk = await keygen('roll', 'example.test', ['-a', '13', '-P', ymd(NOW + 1 * h), '-A', ymd(NOW + 2 * h)]);
    const keys = (await readKeyDir(path.join(dir, 'roll'))).get('example.test.') ?? [];
    const tag = (base: string): number => Number(/\+(\d{5})$/.exec(base)![1]);
    const at = (ms: number): { dnskey: number[]; zsk: number[] } => {
      const p = keyPlan(keys, ms);
      return { dnskey: p.published.filter((k) => k.flags === 256).map((k) => k.tag).sort(), zsk: p.zsk.map((k) => k.tag) };
    };
    expect(at(NOW)).toEqual({ dnskey: [tag(oldZsk)], zsk: [tag(oldZsk)] });
    expect(at(NOW + 1.5 * h)).toEqual({ dnskey: [tag(oldZsk), tag(newZsk)].sort(), zsk: [tag(oldZsk)] });
    expect(at(NOW + 3 * h)).toEqual({ dnskey: [tag(oldZsk), tag(newZsk)].sort(), zsk: [tag(newZsk)] });
    expect(at(NOW + 5 * h)).toEqual({ dnskey: [tag(newZsk)], zsk: [tag(newZsk)] });

    // The signer notices each step on its timer and has the zone prepared again.
    let now = NOW;
    const changed: string[] = [];
    const signer = new Signer({ keys: new Map([['example.test.', keys]]), logger: silentLogger(), nowMs: () => now, onKeysChanged: (o) => changed.push(o) });
    const zone = signer.prepare(zoneFromText(ZONE));
    const dnskeys = (z: Zone): number => z.nodes.get('example.test.')?.rrsets.get(TYPE_DNSKEY)?.records.length ?? 0;
    expect(dnskeys(zone)).toBe(2); // KSK + old ZSK
    signer.tick();
    expect(changed).toEqual([]);
    now = NOW + 1.5 * h;
    signer.tick();
    expect(changed).toEqual(['example.test.']);
    expect(dnskeys(signer.prepare(zoneFromText(ZONE)))).toBe(3);
  });
});

describe('signatures', () => {
  it('verify with the public key, start an hour back, are refreshed before they expire', async () => {
    const base = await keygen('sig', 'example.test', ['-a', '13', '-f', 'KSK']);
    const keys = await readKeyDir(path.dirname(base));
    let now = NOW;
    const signer = new Signer({ keys, logger: silentLogger(), nowMs: () => now, times: { validitySeconds: 1000, refreshSeconds: 400, jitterSeconds: 100 } });
    const zone = signer.prepare(zoneFromText(ZONE));
    await signer.presign(zone);
    const zs = signer.forZone(zone)!;
    const rrset = zone.nodes.get('static.example.test.')!.rrsets.get(1)!;
    const entry = zs.forRRset(rrset);
    const key = keys.get('example.test.')![0]!;
    const sig = entry.sigs[0]!;
    expect(verifies(key, sig, 'static.example.test.', 1, 300, rrset.records.map((r) => canonicalRdata(r.rdata)))).toBe(true);
    const inception = sig.readUInt32BE(12);
    const expiration = sig.readUInt32BE(8);
    expect(inception).toBe(NOW / 1000 - 3600);
    expect(expiration).toBeGreaterThan(NOW / 1000 + 1000 - 100 - 1);
    expect(expiration).toBeLessThanOrEqual(NOW / 1000 + 1000);
    const made = signer.stats.signatures;
    const generation = zs.generation;
    signer.tick(); // nothing due yet
    expect(signer.stats.signatures).toBe(made);
    now = NOW + 700_000; // less than 400 s left
    signer.tick();
    expect(signer.stats.signatures).toBeGreaterThanOrEqual(made + zs.keptCount);
    expect(zs.generation).toBe(generation + 1);
    expect(entry.expiration).toBeGreaterThan(expiration);
    expect(signer.earliestExpiry()).toBeGreaterThan(now / 1000 + 400);
  });
});

/** Two answerers alike (one with the fast path), signing with the same ED25519 key (deterministic signatures). */
class SignedWorld {
  readonly clock = manualClock(NOW);
  readonly store = new MemoryHealthStore({ sweepIntervalMs: 0, clock: this.clock });
  readonly selector: PlannedSelector;
  readonly signer: Signer;
  readonly handler: QueryHandler;
  readonly fast: FastPath | undefined;
  readonly stats = newStats();
  zones: ZoneSnapshot;

  constructor(raw: Zone, keys: Map<string, DnssecKey[]>, fast: boolean) {
    this.selector = new PlannedSelector({ health: this.store, buildPlan, logger: silentLogger(), random: seededRandom(5) });
    this.signer = new Signer({ keys, logger: silentLogger(), nowMs: () => NOW, times: { jitterSeconds: 0 } });
    this.selector.setPlanListener((s) => this.signer.onPlan(s));
    this.selector.setPools(raw.pools);
    this.zones = new ZoneSnapshot([this.signer.prepare(raw)]);
    this.handler = new QueryHandler(() => this.zones, this.selector, silentLogger(), this.stats, undefined, this.signer);
    this.fast = fast ? new FastPath({ zones: () => this.zones, selector: this.selector, stats: this.stats, logger: silentLogger(), signer: this.signer }) : undefined;
  }

  ask(message: Buffer): Buffer | undefined {
    return this.fast?.answer(message, '198.51.100.7', 4) ?? this.handler.handle(message, { address: '198.51.100.7', family: 4, transport: 'udp' });
  }

  setHealth(targetId: string, state: 'up' | 'down'): void {
    this.store.publish({ targetId, checker: 't', state, latencyMs: undefined, load: undefined, reason: state, at: this.clock.now(), ttlMs: 3_600_000 });
  }
}

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[Math.floor(rng.next() * items.length)] as T;
}

describe('fast path = full path for DO=1', () => {
  it('answers a mixed DO=0/DO=1 stream identically, with health changes', async () => {
    const base = await keygen('eq', 'example.test', ['-a', '15', '-f', 'KSK']);
    const keys = await readKeyDir(path.dirname(base));
    const raw = zoneFromText(ZONE);
    const fast = new SignedWorld(raw, keys, true);
    const full = new SignedWorld(raw, keys, false);
    const rng = seededRandom(99);
    const names = ['www', 'w', 'fo', 'static', 'txt', 'x.wild', 'alias', 'nope', 'a.sub', 'ns1', 'WwW'];
    const mismatches: string[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 300 === 150) {
        const target = pick(rng, raw.targets);
        const state = pick(rng, ['up', 'down'] as const);
        fast.setHealth(target.id, state);
        full.setHealth(target.id, state);
      }
      const spec: QuerySpec = { id: i, name: `${pick(rng, names)}.example.test.`, type: pick(rng, [1, 1, 28, 16]), edns: rng.next() < 0.9 ? { udpSize: pick(rng, [512, 1232, 4096]), dnssecOk: rng.next() < 0.7 } : undefined };
      const message = buildQuery(spec);
      const a = fast.ask(message);
      const b = full.ask(message);
      if (!(a && b && a.equals(b)) && mismatches.length < 3) mismatches.push(`#${i} ${spec.name} ${spec.type}\n fast ${a?.toString('hex')}\n full ${b?.toString('hex')}`);
    }
    expect(mismatches).toEqual([]);
    expect(fast.fast?.stats.answered ?? 0).toBeGreaterThan(800);
  });

  it('sets TC=1 when the signed answer does not fit the requester\'s size (full path), and the fast path leaves it there', async () => {
    const base = await keygen('tc', 'example.test', ['-a', '13', '-f', 'KSK']);
    const keys = await readKeyDir(path.dirname(base));
    const big = `${ZONE}\n${Array.from({ length: 25 }, (_, i) => `many IN A 192.0.2.${100 + i}`).join('\n')}\n`;
    const world = new SignedWorld(zoneFromText(big), keys, true);
    const plain = decode(world.ask(buildQuery({ name: 'many.example.test.', type: 1, edns: { udpSize: 512, dnssecOk: false } })));
    expect(plain.flags.tc).toBe(false);
    const signed = decode(world.ask(buildQuery({ name: 'many.example.test.', type: 1, edns: { udpSize: 512, dnssecOk: true } })));
    expect(signed.flags.tc).toBe(true);
    const roomy = decode(world.ask(buildQuery({ name: 'many.example.test.', type: 1, edns: { udpSize: 1232, dnssecOk: true } })));
    expect(roomy.answer.filter((r) => r.type === TYPE_RRSIG)).toHaveLength(1);
  });
});

function decode(message: Buffer | undefined): DecodedMessage {
  if (!message) throw new Error('no response');
  const d = decodeMessage(message);
  if (!d.ok) throw new Error(d.reason);
  return d.message;
}

function types(records: readonly DecodedRecord[]): number[] {
  return records.map((r) => r.type);
}

/**
 * ISC's DNS compliance tests (genreport) are not available offline; these are the DNSSEC-related
 * cases they check, asked of a signed zone: plain DNS, EDNS, DO, unknown EDNS flags, unknown
 * options, EDNS version 1, and the header flags a response must (not) carry.
 */
describe('EDNS and DO handling (the genreport cases)', () => {
  let world: SignedWorld;
  beforeAll(async () => {
    const base = await keygen('compliance', 'example.test', ['-a', '13', '-f', 'KSK']);
    world = new SignedWorld(zoneFromText(ZONE), await readKeyDir(path.dirname(base)), true);
  });
  const ask = (spec: QuerySpec): DecodedMessage => decode(world.ask(buildQuery({ name: 'static.example.test.', type: 1, ...spec })));

  it('dns: no EDNS, no signatures', () => {
    const r = ask({});
    expect(r.edns).toBeUndefined();
    expect(types(r.answer)).toEqual([1]);
  });

  it('edns: EDNS without DO, no signatures and DO clear; NXDOMAIN stays NXDOMAIN', () => {
    const r = ask({ edns: { udpSize: 4096 } });
    expect(r.edns?.dnssecOk).toBe(false);
    expect(types(r.answer)).toEqual([1]);
    const nx = ask({ name: 'nope.example.test.', edns: { udpSize: 4096 } });
    expect(nx.rcode).toBe(3);
    expect(types(nx.authority)).toEqual([6]);
  });

  it('do: DO echoed, RRSIGs in answer; denial with NSEC and RRSIG; AD never set by the authority', () => {
    const r = ask({ edns: { udpSize: 4096, dnssecOk: true } });
    expect(r.edns?.dnssecOk).toBe(true);
    expect(types(r.answer)).toEqual([1, TYPE_RRSIG]);
    expect(r.flags.aa).toBe(true);
    expect(r.flags.ad).toBe(false);
    const nodata = ask({ type: 28, edns: { udpSize: 4096, dnssecOk: true } });
    expect(types(nodata.authority)).toEqual([6, TYPE_RRSIG, TYPE_NSEC, TYPE_RRSIG]);
    const dnskey = ask({ name: 'example.test.', type: TYPE_DNSKEY, edns: { udpSize: 4096, dnssecOk: true } });
    expect(types(dnskey.answer)).toEqual([TYPE_DNSKEY, TYPE_RRSIG]);
  });

  it('ednsflags: an unknown EDNS flag is ignored and not echoed; DO still honoured', () => {
    const q = buildQuery({ name: 'static.example.test.', type: 1, edns: { udpSize: 4096, dnssecOk: true } });
    q[q.length - 4] = (q[q.length - 4] ?? 0) | 0x40; // an unknown flag next to DO
    const r = decode(world.ask(q));
    expect(r.rcode).toBe(0);
    expect(r.edns?.dnssecOk).toBe(true);
    expect(message(world.ask(q)).readUInt16BE(message(world.ask(q)).length - 4) & 0x7fff).toBe(0);
    expect(types(r.answer)).toEqual([1, TYPE_RRSIG]);
  });

  it('ednsopt: an unknown option is ignored', () => {
    const r = ask({ edns: { udpSize: 4096, dnssecOk: true, options: [{ code: 100, data: Buffer.from('abcd', 'hex') }] } });
    expect(r.rcode).toBe(0);
    expect(types(r.answer)).toEqual([1, TYPE_RRSIG]);
  });

  it('edns1: EDNS version 1 is BADVERS, unsigned, with version 0 in our OPT', () => {
    const r = ask({ edns: { udpSize: 4096, dnssecOk: true, version: 1 } });
    expect(r.rcode).toBe(16);
    expect(r.edns?.version).toBe(0);
    expect(r.answer).toEqual([]);
  });

  it('zflag / cd: the header Z bit is not echoed; CD is copied and the answer still signed', () => {
    const q = buildQuery({ name: 'static.example.test.', type: 1, edns: { udpSize: 4096, dnssecOk: true } });
    q[3] = (q[3] ?? 0) | 0x10; // CD
    const r = decode(world.ask(q));
    expect(r.flags.cd).toBe(true);
    expect(types(r.answer)).toEqual([1, TYPE_RRSIG]);
    const z = buildQuery({ name: 'static.example.test.', type: 1, edns: { udpSize: 4096, dnssecOk: true } });
    z[3] = (z[3] ?? 0) | 0x40;
    expect((message(world.ask(z))[3] ?? 0) & 0x40).toBe(0);
  });
});

function message(m: Buffer | undefined): Buffer {
  if (!m) throw new Error('no response');
  return m;
}
