/**
 * One signed zone: its keys and their roles now, the apex key RRsets (DNSKEY, CDS, CDNSKEY) added
 * to a copy of the zone, and every signature made for it, kept until refreshed or dropped.
 *
 * Signatures are kept three ways: per static RRset object (signed at load), per pool and member
 * set (a variant's RRset; its order does not matter to a signature, so rotations share one), and
 * a bounded map for what is made per query name (wildcard answers signed at the query name,
 * compact-denial NSECs, the negative SOA). refresh() re-signs the kept ones well before they
 * expire and drops the bounded map's; `generation` moves on every re-signing so encodings made
 * from older signatures (the fast path's) are rebuilt.
 */
import type { Random } from '../../lib/random.js';
import { RRType, type Pool, type RRset, type Zone, type ZoneNode } from '../../model/zone.js';
import { canonicalRdata } from './canonical.js';
import { FLAG_SEP, isActive, isPublished, roleOf, type DnssecKey } from './keys.js';
import { dsRdata, nsecRdata, signRRset, TYPE_CDNSKEY, TYPE_CDS, TYPE_DNSKEY, TYPE_NSEC, TYPE_NXNAME, TYPE_RRSIG } from './records.js';

export interface SigningTimes {
  /** Signature lifetime, seconds (default 14 days). */
  readonly validitySeconds: number;
  /** Re-sign when less than this is left, seconds (default 5 days). */
  readonly refreshSeconds: number;
  /** Up to this much is taken off each signature's expiry at random, so refreshes spread, seconds (default 1 day). */
  readonly jitterSeconds: number;
  /** RFC 4035 §2.3 leaves it open; 1 hour in the past covers validators with slow clocks. */
  readonly inceptionOffsetSeconds: number;
}

export const DEFAULT_TIMES: SigningTimes = { validitySeconds: 14 * 86400, refreshSeconds: 5 * 86400, jitterSeconds: 86400, inceptionOffsetSeconds: 3600 };

/** The TTL of the DNSKEY, CDS and CDNSKEY RRsets (BIND's dnskey-ttl default). */
export const DNSKEY_TTL = 3600;
/** How many per-name signatures (wildcard answers, NSECs) are kept per zone. */
const TRANSIENT_LIMIT = 50_000;

export interface SignerStats {
  signatures: number;
  /** Total time spent in signing, seconds. */
  signingSeconds: number;
}

export interface SigEntry {
  readonly owner: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdatas: readonly Buffer[];
  /** RRSIG rdatas, one per signing key. */
  sigs: readonly Buffer[];
  /** Earliest expiration among `sigs`, seconds since the epoch. */
  expiration: number;
}

export interface KeyStatus {
  readonly tag: number;
  readonly algorithm: number;
  readonly role: 'ksk' | 'zsk' | 'csk';
  readonly state: 'active' | 'published' | 'retired' | 'future';
  readonly file: string;
}

export interface ZoneSignerContext {
  readonly times: SigningTimes;
  readonly stats: SignerStats;
  readonly random: Random;
  readonly nowMs: () => number;
}

function generic(data: Uint8Array): { kind: 'generic'; data: Uint8Array } {
  return { kind: 'generic', data };
}

/** The keys' state at a time, and a fingerprint that changes when any key changes state. */
export function keyPlan(keys: readonly DnssecKey[], nowMs: number): { published: DnssecKey[]; ksk: DnssecKey[]; zsk: DnssecKey[]; fingerprint: string } {
  const published = keys.filter((k) => isPublished(k, nowMs));
  const active = keys.filter((k) => isActive(k, nowMs));
  const sep = active.filter((k) => (k.flags & FLAG_SEP) !== 0);
  const nonSep = active.filter((k) => (k.flags & FLAG_SEP) === 0);
  // A single SEP key is a CSK: it signs everything. Without a SEP key the ZSKs sign the keys too.
  const ksk = sep.length > 0 ? sep : nonSep;
  const zsk = nonSep.length > 0 ? nonSep : sep;
  const fingerprint = `${published.map((k) => k.tag).join(',')}|${ksk.map((k) => k.tag).join(',')}|${zsk.map((k) => k.tag).join(',')}`;
  return { published, ksk, zsk, fingerprint };
}

export class ZoneSigner {
  /** The zone as served: the loaded zone with the apex key RRsets added. */
  readonly zone: Zone;
  readonly fingerprint: string;
  /** Moves on when any kept signature is re-made. */
  generation = 0;
  private readonly ksk: readonly DnssecKey[];
  private readonly zsk: readonly DnssecKey[];
  private readonly kept = new Set<SigEntry>();
  private readonly byRRset = new WeakMap<RRset, SigEntry>();
  private readonly byPool = new WeakMap<Pool, Map<string, SigEntry>>();
  private readonly transient = new Map<string, SigEntry>();
  /** NSEC TTL: RFC 9077, min(SOA TTL, SOA MINIMUM). */
  readonly negativeTtl: number;

  constructor(
    raw: Zone,
    readonly keys: readonly DnssecKey[],
    private readonly ctx: ZoneSignerContext,
  ) {
    const plan = keyPlan(keys, ctx.nowMs());
    this.ksk = plan.ksk;
    this.zsk = plan.zsk;
    this.fingerprint = plan.fingerprint;
    const soa = raw.soa.records[0]?.rdata;
    this.negativeTtl = soa?.kind === 'SOA' ? Math.min(raw.soa.ttl, soa.minimum) : raw.soa.ttl;
    this.zone = withKeyRRsets(raw, plan.published, plan.ksk);
  }

  get signing(): boolean {
    return this.zsk.length > 0;
  }

  keyStatus(): KeyStatus[] {
    const now = this.ctx.nowMs();
    const sepCount = this.keys.filter((k) => (k.flags & FLAG_SEP) !== 0).length;
    return this.keys.map((k) => {
      const state = isActive(k, now) ? 'active' : isPublished(k, now) ? 'published' : k.timing.publish !== undefined && k.timing.publish > now ? 'future' : 'retired';
      const role = roleOf(k) === 'ksk' ? (this.keys.length === sepCount || this.zsk.includes(k) ? 'csk' : 'ksk') : 'zsk';
      return { tag: k.tag, algorithm: k.algorithm, role, state, file: k.file };
    });
  }

  /** Signatures of a static RRset of this zone, made once (at load) and kept. */
  forRRset(rrset: RRset): SigEntry {
    let entry = this.byRRset.get(rrset);
    if (!entry) {
      entry = this.make(rrset.name, rrset.type, rrset.ttl, rrset.records.map((r) => canonicalRdata(r.rdata)));
      this.byRRset.set(rrset, entry);
      this.kept.add(entry);
    }
    return entry;
  }

  /** Signatures of a pool variant's RRset: the members at `indices` (any order), kept. */
  forPoolMembers(pool: Pool, indices: readonly number[]): SigEntry {
    let map = this.byPool.get(pool);
    if (!map) {
      map = new Map();
      this.byPool.set(pool, map);
    }
    const key = indices.length === 1 ? String(indices[0]) : [...indices].sort((a, b) => a - b).join(',');
    let entry = map.get(key);
    if (!entry) {
      const rdatas: Buffer[] = [];
      for (const i of indices) {
        const member = pool.members[i];
        if (member) rdatas.push(canonicalRdata(member.record.rdata));
      }
      entry = this.make(pool.name, pool.type, pool.ttl, rdatas);
      map.set(key, entry);
      this.kept.add(entry);
    }
    return entry;
  }

  /** Signatures of anything else (per query name); kept in a bounded map. */
  forRecords(owner: string, type: number, ttl: number, rdatas: readonly Buffer[]): SigEntry {
    const key = `${owner}/${type}/${ttl}/${rdatas.map((r) => r.toString('hex')).join(',')}`;
    let entry = this.transient.get(key);
    if (entry) return entry;
    entry = this.make(owner, type, ttl, rdatas);
    if (this.transient.size >= TRANSIENT_LIMIT) {
      const oldest = this.transient.keys().next();
      if (!oldest.done) this.transient.delete(oldest.value);
    }
    this.transient.set(key, entry);
    return entry;
  }

  /**
   * Compact denial (RFC 9824): the NSEC at `owner` whose next name is its immediate successor
   * `\000.owner`, with `types` (RRSIG and NSEC added), and its signatures.
   */
  nsec(owner: string, types: Iterable<number>): { rdata: Buffer; entry: SigEntry } {
    const all = new Set(types);
    all.add(TYPE_RRSIG);
    all.add(TYPE_NSEC);
    const rdata = nsecRdata(successor(owner), [...all]);
    return { rdata, entry: this.forRecords(owner, TYPE_NSEC, this.negativeTtl, [rdata]) };
  }

  /** The types present at a name (for a NODATA NSEC), the NXNAME set when there is none. */
  static nxnameTypes(): number[] {
    return [TYPE_NXNAME];
  }

  /** Earliest expiry among the kept signatures, seconds since the epoch. */
  earliestExpiry(): number | undefined {
    let min: number | undefined;
    for (const e of this.kept) if (min === undefined || e.expiration < min) min = e.expiration;
    return min;
  }

  get keptCount(): number {
    return this.kept.size;
  }

  /**
   * Re-signs kept signatures that expire within the refresh window (at most `budget` of them,
   * the rest next time) and forgets per-name ones that do. Returns how many were re-signed.
   */
  refresh(budget: number): number {
    const nowS = Math.floor(this.ctx.nowMs() / 1000);
    const due = nowS + this.ctx.times.refreshSeconds;
    let done = 0;
    for (const e of this.kept) {
      if (e.expiration > due) continue;
      if (done >= budget) break;
      this.resign(e);
      done++;
    }
    for (const [k, e] of this.transient) if (e.expiration <= due) this.transient.delete(k);
    if (done > 0) this.generation++;
    return done;
  }

  private keysFor(type: number): readonly DnssecKey[] {
    return type === TYPE_DNSKEY || type === TYPE_CDS || type === TYPE_CDNSKEY ? this.ksk : this.zsk;
  }

  private make(owner: string, type: number, ttl: number, rdatas: readonly Buffer[]): SigEntry {
    const entry: SigEntry = { owner, type, ttl, rdatas, sigs: [], expiration: 0 };
    this.resign(entry);
    return entry;
  }

  private resign(entry: SigEntry): void {
    const started = process.hrtime.bigint();
    const times = this.ctx.times;
    const nowS = Math.floor(this.ctx.nowMs() / 1000);
    const inception = nowS - times.inceptionOffsetSeconds;
    const expiration = nowS + times.validitySeconds - Math.floor(this.ctx.random.next() * times.jitterSeconds);
    const sigs: Buffer[] = [];
    for (const key of this.keysFor(entry.type)) {
      sigs.push(signRRset({ owner: entry.owner, type: entry.type, ttl: entry.ttl, rdatas: entry.rdatas, key, inception, expiration }));
    }
    entry.sigs = sigs;
    entry.expiration = expiration;
    this.ctx.stats.signatures += sigs.length;
    this.ctx.stats.signingSeconds += Number(process.hrtime.bigint() - started) / 1e9;
  }
}

/** RFC 9824 §2 / RFC 4470: the immediate successor of a name in canonical order. */
export function successor(owner: string): string {
  return owner === '.' ? '\\000.' : `\\000.${owner}`;
}

function rrsetOf(zone: Zone, type: number, ttl: number, datas: readonly Buffer[]): RRset {
  const apex = zone.nodes.get(zone.origin);
  const display = apex?.display ?? zone.display;
  const source = zone.soa.records[0]?.source ?? { file: zone.file, line: 0, column: 0 };
  return {
    name: zone.origin,
    display,
    type,
    ttl,
    records: datas.map((data) => ({ name: zone.origin, display, type, ttl, rdata: generic(data), source })),
  };
}

/** A copy of `zone` whose apex also holds DNSKEY (published keys), CDS and CDNSKEY (the SEP keys that sign). */
function withKeyRRsets(zone: Zone, published: readonly DnssecKey[], ksk: readonly DnssecKey[]): Zone {
  const apex = zone.nodes.get(zone.origin);
  if (!apex) return zone;
  const rrsets = new Map(apex.rrsets);
  if (published.length > 0) rrsets.set(TYPE_DNSKEY, rrsetOf(zone, TYPE_DNSKEY, DNSKEY_TTL, published.map((k) => k.dnskey)));
  const sep = ksk.filter((k) => (k.flags & FLAG_SEP) !== 0);
  if (sep.length > 0) {
    rrsets.set(TYPE_CDS, rrsetOf(zone, TYPE_CDS, DNSKEY_TTL, sep.map((k) => dsRdata(k))));
    rrsets.set(TYPE_CDNSKEY, rrsetOf(zone, TYPE_CDNSKEY, DNSKEY_TTL, sep.map((k) => k.dnskey)));
  }
  const node: ZoneNode = { name: apex.name, display: apex.display, rrsets };
  const nodes = new Map(zone.nodes);
  nodes.set(zone.origin, node);
  const soa = rrsets.get(RRType.SOA) ?? zone.soa;
  return { ...zone, nodes, soa };
}
