/**
 * DNSSEC online signing for every signed zone: the zones with keys in `--dnssec-keys DIR`.
 *
 * - prepare(zone) at each load: the zone as served (apex DNSKEY, CDS, CDNSKEY added) and a new
 *   ZoneSigner; presign() then signs every static RRset and every pool's current plan, in slices
 *   that yield to the event loop.
 * - onPlan(state), told by the PlannedSelector whenever it builds a pool's plan (first use, or a
 *   health change that touched the pool): signs that plan's variants, so only touched pools are
 *   re-signed and the query path finds their signatures made.
 * - signResponse() on the full path, for DO=1 queries: adds RRSIGs, and the denial of existence
 *   (compact denial, RFC 9824), DS or the NSEC proving its absence in referrals.
 * - A timer re-signs what expires within the refresh window, and notices key timing changes
 *   (Publish/Activate/Inactive/Delete), after which the zone is prepared again.
 */
import type { Logger } from '../../lib/logger.js';
import { systemRandom, type Random } from '../../lib/random.js';
import { RRType, type Pool, type Zone, type ZoneNode } from '../../model/zone.js';
import type { OutRecord, Question, ResponseMessage } from '../wire/message.js';
import { Rcode } from '../wire/constants.js';
import { labelStartsOf, lowerName } from '../../zones/names.js';
import type { ZoneSet } from '../zone-set.js';
import type { PoolState } from '../planned-selector.js';
import { canonicalRdata } from './canonical.js';
import type { DnssecKey } from './keys.js';
import { TYPE_DS, TYPE_NSEC, TYPE_NXNAME, TYPE_RRSIG } from './records.js';
import { DEFAULT_TIMES, keyPlan, ZoneSigner, type KeyStatus, type SigEntry, type SignerStats, type SigningTimes } from './zone-signer.js';

export type { SigningTimes } from './zone-signer.js';

export interface SignerOptions {
  /** Keys by zone (lowercase absolute), as readKeyDir() returns them. */
  readonly keys: ReadonlyMap<string, readonly DnssecKey[]>;
  readonly logger: Logger;
  readonly times?: Partial<SigningTimes>;
  readonly random?: Random;
  readonly nowMs?: () => number;
  /** How often the refresh timer runs, ms (default 60 s). */
  readonly checkIntervalMs?: number;
  /** Told when a zone's key states changed (a key published, activated, retired): prepare it again. */
  readonly onKeysChanged?: (origin: string) => void;
}

export interface SignedZoneStatus {
  readonly zone: string;
  readonly keys: readonly KeyStatus[];
  readonly signatures: number;
  /** Earliest expiry of the zone's kept signatures, ISO time. */
  readonly earliestExpiry: string | undefined;
}

/**
 * Signatures re-made per zone per refresh run at most (a run blocks the event loop for about
 * budget × 40 µs); the rest wait for the next run. Expiries are spread over a day by the jitter,
 * so a run a minute keeps up with ~2.9 million signatures a day.
 */
const REFRESH_BUDGET = 2_000;
/** Pools signed per presign slice before yielding to the event loop. */
const PRESIGN_SLICE = 200;

const EMPTY_TYPES: ReadonlyMap<number, unknown> = new Map();

export class Signer {
  readonly stats: SignerStats = { signatures: 0, signingSeconds: 0 };
  private readonly byZone = new WeakMap<Zone, ZoneSigner>();
  private readonly byPool = new WeakMap<Pool, ZoneSigner>();
  /** The current signer per origin (for refresh, status, metrics). */
  private readonly current = new Map<string, ZoneSigner>();
  /** Zones with keys of which none signs yet (all in the future): checked on every run. */
  private readonly waiting = new Map<string, readonly DnssecKey[]>();
  private readonly times: SigningTimes;
  private readonly random: Random;
  private readonly nowMs: () => number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SignerOptions) {
    this.times = { ...DEFAULT_TIMES, ...options.times };
    this.random = options.random ?? systemRandom;
    this.nowMs = options.nowMs ?? Date.now;
    this.log = options.logger.child({ component: 'dnssec' });
  }

  /** Zones with keys. */
  get zonesWithKeys(): string[] {
    return [...this.options.keys.keys()];
  }

  /** The zone to serve for a loaded zone: itself when it has no keys, else a signed copy. */
  prepare(raw: Zone): Zone {
    const keys = this.options.keys.get(raw.origin);
    this.waiting.delete(raw.origin);
    if (!keys || keys.length === 0) {
      this.current.delete(raw.origin);
      return raw;
    }
    const zs = new ZoneSigner(raw, keys, { times: this.times, stats: this.stats, random: this.random, nowMs: this.nowMs });
    if (!zs.signing) {
      this.log.warn({ zone: raw.origin }, 'no key of this zone is active now: served unsigned');
      this.current.delete(raw.origin);
      this.waiting.set(raw.origin, keys);
      return raw;
    }
    this.byZone.set(zs.zone, zs);
    for (const pool of raw.pools) this.byPool.set(pool, zs);
    this.current.set(raw.origin, zs);
    return zs.zone;
  }

  /** The signer of a served zone, if it is signed. */
  forZone(zone: Zone): ZoneSigner | undefined {
    return this.byZone.get(zone);
  }

  /**
   * Signs a prepared zone: every authoritative static RRset, and every pool's plan (built through
   * `stateOf`, which tells onPlan). Yields to the event loop between slices.
   */
  async presign(zone: Zone, stateOf?: (pool: Pool) => unknown): Promise<void> {
    const zs = this.byZone.get(zone);
    if (!zs) return;
    const started = process.hrtime.bigint();
    let n = 0;
    for (const node of zone.nodes.values()) {
      if (isBelowCut(zone, node.name)) continue;
      const cut = node.name !== zone.origin && node.rrsets.has(RRType.NS);
      for (const rrset of node.rrsets.values()) {
        if (rrset.pool) continue;
        if (cut && rrset.type !== TYPE_DS) continue; // the child's NS is not signed here (RFC 4035 §2.2)
        zs.forRRset(rrset);
        if (++n % PRESIGN_SLICE === 0) await yieldTurn();
      }
    }
    if (stateOf) {
      for (const pool of zone.pools) {
        stateOf(pool);
        if (++n % PRESIGN_SLICE === 0) await yieldTurn();
      }
    }
    this.log.info({ zone: zone.origin, signatures: zs.keptCount, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'zone signed');
  }

  /** The PlannedSelector's plan listener: signs the variants of a pool's new plan. */
  onPlan(state: PoolState): void {
    const zs = this.byPool.get(state.pool);
    if (!zs || state.plan.kind !== 'answer') return;
    for (const variant of state.plan.variants) zs.forPoolMembers(state.pool, variant);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.checkIntervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One refresh run (the timer's; tests call it directly). */
  tick(): void {
    for (const [origin, keys] of this.waiting) {
      if (keyPlan(keys, this.nowMs()).zsk.length === 0) continue;
      this.log.info({ zone: origin }, 'a key of this zone is active now, signing the zone');
      this.waiting.delete(origin);
      this.options.onKeysChanged?.(origin);
    }
    for (const [origin, zs] of this.current) {
      try {
        if (keyPlan(zs.keys, this.nowMs()).fingerprint !== zs.fingerprint) {
          this.log.info({ zone: origin }, 'key states changed, signing the zone again');
          this.options.onKeysChanged?.(origin);
          continue;
        }
        const done = zs.refresh(REFRESH_BUDGET);
        if (done > 0) this.log.info({ zone: origin, signatures: done }, 'signatures refreshed');
      } catch (err) {
        this.log.error({ err, zone: origin }, 'signature refresh failed');
      }
    }
  }

  /** Earliest expiry of any kept signature, seconds since the epoch. */
  earliestExpiry(): number | undefined {
    let min: number | undefined;
    for (const zs of this.current.values()) {
      const e = zs.earliestExpiry();
      if (e !== undefined && (min === undefined || e < min)) min = e;
    }
    return min;
  }

  status(): SignedZoneStatus[] {
    return [...this.current.entries()].map(([zone, zs]) => {
      const e = zs.earliestExpiry();
      return { zone, keys: zs.keyStatus(), signatures: zs.keptCount, earliestExpiry: e === undefined ? undefined : new Date(e * 1000).toISOString() };
    });
  }

  /**
   * The DO=1 form of a full-path response: RRSIGs beside each authoritative RRset, and the proof
   * a validator needs for negative answers and referrals. Responses from unsigned zones and
   * other RCODEs are returned as they are.
   */
  signResponse(question: Question, zones: ZoneSet, r: ResponseMessage): ResponseMessage {
    if (r.rcode !== Rcode.NOERROR && r.rcode !== Rcode.NXDOMAIN) return r;
    const first = zones.find(question.name);
    if (!first || !this.byZone.has(first)) return r;
    const answer: OutRecord[] = [];
    let name = question.name;
    let answered = false;
    for (const run of runs(r.answer)) {
      const head = run[0]!;
      answer.push(...run);
      const owner = lowerName(head.owner);
      const zone = zones.find(owner);
      const zs = zone && this.byZone.get(zone);
      if (zs && zone) pushSigs(answer, head.owner, head.ttl, zs, this.entryFor(zs, zone, owner, head.type, head.ttl, run));
      if (head.type === RRType.CNAME && owner === name && head.rdata.kind === 'CNAME') name = lowerName(head.rdata.target);
      else if (owner === name && (head.type === question.type || question.type === RRType.ANY)) answered = true;
    }
    const authority: OutRecord[] = [];
    let rcode = r.rcode;
    const ns = r.authority.find((rr) => rr.type === RRType.NS);
    const soa = r.authority.find((rr) => rr.type === RRType.SOA);
    if (!r.authoritative && ns) {
      authority.push(...r.authority);
      this.referralProof(zones, lowerName(ns.owner), ns.owner, authority);
    } else if (soa && !answered) {
      const zone = zones.find(lowerName(soa.owner));
      const zs = zone && this.byZone.get(zone);
      if (!zone || !zs) return { ...r, answer };
      const soaRecords = r.authority.filter((rr) => rr.type === RRType.SOA);
      authority.push(...soaRecords);
      pushSigs(authority, soa.owner, soa.ttl, zs, this.entryFor(zs, zone, zone.origin, RRType.SOA, soa.ttl, soaRecords));
      const display = name === question.name ? question.display : name;
      if (r.rcode === Rcode.NXDOMAIN) {
        // RFC 9824 §3: NOERROR with an NSEC at the name holding only RRSIG, NSEC and NXNAME.
        rcode = Rcode.NOERROR;
        this.pushNsec(authority, zs, display, name, [TYPE_NXNAME]);
      } else {
        const types = typesAt(zone, name);
        types.delete(question.type);
        this.pushNsec(authority, zs, display, name, types);
      }
    } else {
      authority.push(...r.authority);
    }
    return { ...r, rcode, answer, authority, additional: this.signAdditional(zones, r.additional) };
  }

  /** RFC 4035 §3.1.1: RRSIGs beside authoritative additional RRsets (not glue below a cut). */
  private signAdditional(zones: ZoneSet, records: readonly OutRecord[]): readonly OutRecord[] {
    if (records.length === 0) return records;
    const out: OutRecord[] = [];
    for (const run of runs(records)) {
      const head = run[0]!;
      out.push(...run);
      if (head.requiredGlue === true) continue;
      const owner = lowerName(head.owner);
      const zone = zones.find(owner);
      const zs = zone && this.byZone.get(zone);
      if (!zone || !zs || isBelowCut(zone, owner)) continue;
      pushSigs(out, head.owner, head.ttl, zs, this.entryFor(zs, zone, owner, head.type, head.ttl, run));
    }
    return out;
  }

  /** RFC 4035 §3.1.4: a referral carries the DS RRset and its RRSIG, or the NSEC proving there is none. */
  private referralProof(zones: ZoneSet, cutName: string, cutDisplay: string, out: OutRecord[]): void {
    const zone = zones.find(cutName);
    const zs = zone && this.byZone.get(zone);
    const cut = zone?.nodes.get(cutName);
    if (!zone || !zs || !cut) return;
    const ds = cut.rrsets.get(TYPE_DS);
    if (ds) {
      for (const rr of ds.records) out.push({ owner: cutDisplay, type: TYPE_DS, ttl: ds.ttl, rdata: rr.rdata });
      pushSigs(out, cutDisplay, ds.ttl, zs, zs.forRRset(ds));
      return;
    }
    this.pushNsec(out, zs, cutDisplay, cutName, new Set(cut.rrsets.keys()));
  }

  private pushNsec(out: OutRecord[], zs: ZoneSigner, display: string, name: string, types: Iterable<number>): void {
    const { rdata, entry } = zs.nsec(name, types);
    out.push({ owner: display, type: TYPE_NSEC, ttl: zs.negativeTtl, rdata: { kind: 'generic', data: rdata } });
    pushSigs(out, display, zs.negativeTtl, zs, entry);
  }

  /** The kept signatures of a zone RRset or pool variant when `run` is one, else per-name ones. */
  private entryFor(zs: ZoneSigner, zone: Zone, owner: string, type: number, ttl: number, run: readonly OutRecord[]): SigEntry {
    const rrset = zone.nodes.get(owner)?.rrsets.get(type);
    if (rrset && rrset.ttl === ttl) {
      const pool = rrset.pool;
      if (pool) {
        const indices: number[] = [];
        for (const rr of run) {
          const i = pool.members.findIndex((m) => m.record.rdata === rr.rdata);
          if (i < 0) break;
          indices.push(i);
        }
        if (indices.length === run.length) return zs.forPoolMembers(pool, indices);
      } else if (rrset.records.length === run.length && rrset.records.every((rec, i) => rec.rdata === run[i]?.rdata)) {
        return zs.forRRset(rrset);
      }
    } else if (rrset?.pool && rrset.pool.ttl === ttl) {
      const pool = rrset.pool;
      const indices = run.map((rr) => pool.members.findIndex((m) => m.record.rdata === rr.rdata));
      if (indices.every((i) => i >= 0)) return zs.forPoolMembers(pool, indices);
    }
    return zs.forRecords(owner, type, ttl, run.map((rr) => canonicalRdata(rr.rdata)));
  }
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function pushSigs(out: OutRecord[], owner: string, ttl: number, _zs: ZoneSigner, entry: SigEntry): void {
  for (const sig of entry.sigs) out.push({ owner, type: TYPE_RRSIG, ttl, rdata: { kind: 'generic', data: sig } });
}

/** Consecutive records with the same owner and type. */
function runs(records: readonly OutRecord[]): OutRecord[][] {
  const out: OutRecord[][] = [];
  let current: OutRecord[] = [];
  for (const rr of records) {
    const head = current[0];
    if (head && (head.type !== rr.type || lowerName(head.owner) !== lowerName(rr.owner))) {
      out.push(current);
      current = [];
    }
    current.push(rr);
  }
  if (current.length > 0) out.push(current);
  return out;
}

function isBelowCut(zone: Zone, name: string): boolean {
  const starts = labelStartsOf(name);
  for (let i = 1; i < starts.length; i++) {
    const suffix = name.slice(starts[i]);
    if (suffix.length <= zone.origin.length) break;
    if (zone.nodes.get(suffix)?.rrsets.has(RRType.NS)) return true;
  }
  return false;
}

/** The types at a name as answered: its node, or the wildcard that synthesises it (RFC 4592). */
function typesAt(zone: Zone, name: string): Set<number> {
  const node: ZoneNode | undefined = zone.nodes.get(name) ?? wildcardFor(zone, name);
  return new Set((node?.rrsets ?? EMPTY_TYPES).keys());
}

function wildcardFor(zone: Zone, name: string): ZoneNode | undefined {
  const starts = labelStartsOf(name);
  for (let i = 1; i < starts.length; i++) {
    const suffix = name.slice(starts[i]);
    if (suffix.length < zone.origin.length) break;
    if (zone.nodes.has(suffix)) return zone.nodes.get(`*.${suffix}`);
  }
  return undefined;
}
