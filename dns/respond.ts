/**
 * The authoritative answerer (pure): a parsed query, the zones and a pool selector in, a
 * response message out. Authoritative only: RA is never set and nothing is resolved outside the
 * loaded zones. Every failure inside becomes SERVFAIL; nothing is thrown to the socket.
 */
import { RRType, type Pool, type RRset, type Zone, type ZoneNode } from '../model/zone.js';
import { CLASS_IN, Rcode, TYPE_ANY, TYPE_AXFR, TYPE_IXFR, TYPE_MAILA, TYPE_MAILB } from './wire/constants.js';
import type { OutRecord, QueryMessage, ResponseMessage } from './wire/message.js';
import { isSubdomain, labelStartsOf, lowerName } from '../zones/names.js';
import type { ClientInfo, PoolSelector } from './pool-selector.js';
import type { ZoneSet } from './zone-set.js';

export type { ClientInfo, PoolSelector, Selection } from './pool-selector.js';
export type { ZoneSet } from './zone-set.js';

/** RFC 1034 §3.6.2 leaves the limit open; 8 CNAME hops is what most servers follow. */
export const MAX_CNAME_CHAIN = 8;

const EMPTY: readonly OutRecord[] = [];
/** RFC 4034 §5: the DS type. */
const TYPE_DS = 43;

function bare(rcode: number): ResponseMessage {
  return { rcode, authoritative: false, answer: EMPTY, authority: EMPTY, additional: EMPTY };
}

/** Names below the apex that hold NS records (delegations), per zone, computed once. */
const cutsByZone = new WeakMap<Zone, ReadonlySet<string>>();

function cutsOf(zone: Zone): ReadonlySet<string> {
  let cuts = cutsByZone.get(zone);
  if (!cuts) {
    const found = new Set<string>(zone.delegations ?? []);
    if (!zone.delegations) for (const node of zone.nodes.values()) {
      if (node.name !== zone.origin && node.rrsets.has(RRType.NS)) found.add(node.name);
    }
    cuts = found;
    cutsByZone.set(zone, cuts);
  }
  return cuts;
}

/** The topmost delegation point at or above `name` (below the apex), if any. */
export function findCut(zone: Zone, name: string): ZoneNode | undefined {
  const cuts = cutsOf(zone);
  if (cuts.size === 0) return undefined;
  const starts = labelStartsOf(name);
  for (let i = starts.length - 1; i >= 0; i--) {
    const suffix = name.slice(starts[i]);
    if (suffix.length <= zone.origin.length) continue;
    if (cuts.has(suffix)) return zone.nodes.get(suffix);
  }
  return undefined;
}

/** RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor of a missing name. */
function closestEncloser(zone: Zone, name: string): string {
  const starts = labelStartsOf(name);
  for (let i = 1; i < starts.length; i++) {
    const suffix = name.slice(starts[i]);
    if (suffix.length < zone.origin.length) break;
    if (zone.nodes.has(suffix)) return suffix;
  }
  return zone.origin;
}

/** Where a pool's `cname:` fallback continues the answer (as a zone CNAME would). */
interface CnameChase {
  readonly qtype: number;
  readonly step: number;
  readonly visited: Set<string>;
}

class Answerer {
  readonly answer: OutRecord[] = [];
  readonly authority: OutRecord[] = [];
  readonly additional: OutRecord[] = [];
  private readonly additionalSeen = new Set<string>();
  rcode: number = Rcode.NOERROR;
  authoritative = true;
  ecsScope: number | undefined;
  servfail = false;

  constructor(
    private readonly zones: ZoneSet,
    private readonly selector: PoolSelector,
    private readonly client: ClientInfo,
  ) {}

  /** Answers `name` (lowercase) in `zone`, showing it as `owner`; `step` counts CNAME hops. */
  resolve(zone: Zone, name: string, owner: string, qtype: number, step: number, visited: Set<string>): void {
    const cut = findCut(zone, name);
    // RFC 4035 §3.1.4.1: DS at a cut is the parent's data, answered here (DS or NODATA), not referred.
    if (cut && !(qtype === TYPE_DS && cut.name === name)) {
      // A CNAME into delegated space ends the chain here: the resolver follows the referral itself.
      if (step === 0) this.referral(zone, cut);
      return;
    }
    const node = zone.nodes.get(name);
    if (node) {
      this.answerNode(zone, node, owner, qtype, step, visited);
      return;
    }
    const encloser = closestEncloser(zone, name);
    const wildcard = zone.nodes.get(encloser === '.' ? '*.' : `*.${encloser}`);
    if (wildcard) {
      // RFC 4592 §3.3.1: synthesise from the source of synthesis, with the query name as owner.
      this.answerNode(zone, wildcard, owner, qtype, step, visited);
      return;
    }
    // RFC 2308 §2.1 / RFC 6604 §3: NXDOMAIN describes the last name of the chain; AA stays set.
    this.rcode = Rcode.NXDOMAIN;
    this.negative(zone);
  }

  private answerNode(zone: Zone, node: ZoneNode, owner: string, qtype: number, step: number, visited: Set<string>): void {
    if (qtype === TYPE_ANY) {
      this.answerAny(zone, node, owner);
      return;
    }
    const rrset = node.rrsets.get(qtype);
    if (rrset) {
      if (this.addRRset(zone, rrset, owner, { qtype, step, visited })) this.addAdditional(zone, rrset);
      return;
    }
    const cname = node.rrsets.get(RRType.CNAME);
    if (cname && qtype !== RRType.CNAME) {
      this.addRecords(cname, owner, cname.ttl);
      const first = cname.records[0]?.rdata;
      if (!first || first.kind !== 'CNAME') return;
      const targetDisplay = first.target;
      const target = lowerName(targetDisplay);
      // Stop on loops and long chains; what was found so far is the answer (RFC 1034 §3.6.2).
      if (visited.has(target) || step + 1 >= MAX_CNAME_CHAIN) return;
      visited.add(target);
      const targetZone = this.zones.find(target);
      // Outside our zones: the resolver follows the CNAME itself.
      if (!targetZone) return;
      this.resolve(targetZone, target, targetDisplay, qtype, step + 1, visited);
      return;
    }
    // NODATA (RFC 2308 §2.2), empty non-terminals included.
    this.negative(zone);
  }

  /**
   * RFC 8482 §4.1: answer ANY with one RRset over UDP: the lowest type that is not a pool (as
   * Knot picks the lowest type; a pool would spend a rotation step on a diagnostic query). Over
   * TCP, where size is no lever for amplification, with all of them.
   */
  private answerAny(zone: Zone, node: ZoneNode, owner: string): void {
    const rrsets = [...node.rrsets.values()].sort((a, b) => a.type - b.type);
    if (rrsets.length === 0) {
      this.negative(zone);
      return;
    }
    const chosen = this.client.transport === 'tcp' ? rrsets : [rrsets.find((r) => !r.pool) ?? rrsets[0]];
    for (const rrset of chosen) {
      if (!rrset) continue;
      if (!this.addRRset(zone, rrset, owner)) return;
      this.addAdditional(zone, rrset);
    }
  }

  /** Adds an RRset to the answer; false when a pool selection turned it into NODATA or SERVFAIL. */
  private addRRset(zone: Zone, rrset: RRset, owner: string, chase?: CnameChase): boolean {
    if (rrset.pool && (rrset.type === RRType.A || rrset.type === RRType.AAAA)) return this.addPool(zone, rrset.pool, owner, chase);
    this.addRecords(rrset, owner, rrset.ttl);
    return true;
  }

  private addRecords(rrset: RRset, owner: string, ttl: number): void {
    for (const rr of rrset.records) this.answer.push({ owner, type: rr.type, ttl, rdata: rr.rdata });
  }

  private addPool(zone: Zone, pool: Pool, owner: string, chase?: CnameChase): boolean {
    const selection = this.selector.select(pool, this.client);
    if (selection.kind === 'servfail') {
      this.servfail = true;
      return false;
    }
    if (selection.ecsScope !== undefined) this.ecsScope = Math.max(this.ecsScope ?? 0, selection.ecsScope);
    if (selection.kind === 'cname') {
      // `all-down=cname:TARGET` (issue 12): the fallback host, followed like a zone CNAME when it is ours.
      this.answer.push({ owner, type: RRType.CNAME, ttl: pool.ttl, rdata: { kind: 'CNAME', target: selection.target } });
      const target = lowerName(selection.target);
      if (!chase || chase.visited.has(target) || chase.step + 1 >= MAX_CNAME_CHAIN) return false;
      chase.visited.add(target);
      const targetZone = this.zones.find(target);
      if (targetZone) this.resolve(targetZone, target, selection.target, chase.qtype, chase.step + 1, chase.visited);
      return false;
    }
    if (selection.kind === 'nodata' || selection.members.length === 0) {
      this.negative(zone);
      return false;
    }
    const ttl = selection.ttl ?? pool.ttl;
    for (const member of selection.members) this.answer.push({ owner, type: pool.type, ttl, rdata: member.record.rdata });
    if (selection.ecsScope !== undefined) this.ecsScope = Math.max(this.ecsScope ?? 0, selection.ecsScope);
    return true;
  }

  /** RFC 2308 §3: the SOA goes in authority with TTL min(SOA TTL, SOA MINIMUM). */
  private negative(zone: Zone): void {
    const soa = zone.soa.records[0];
    if (!soa || soa.rdata.kind !== 'SOA') return;
    this.authority.push({ owner: zone.soa.display, type: RRType.SOA, ttl: Math.min(zone.soa.ttl, soa.rdata.minimum), rdata: soa.rdata });
  }

  /** RFC 1034 §4.3.2 step 3b: not authoritative below a cut; NS in authority, glue in additional. */
  private referral(zone: Zone, cut: ZoneNode): void {
    const ns = cut.rrsets.get(RRType.NS);
    if (!ns) return;
    this.authoritative = false;
    for (const rr of ns.records) this.authority.push({ owner: ns.display, type: RRType.NS, ttl: ns.ttl, rdata: rr.rdata });
    for (const rr of ns.records) {
      if (rr.rdata.kind !== 'NS') continue;
      const host = lowerName(rr.rdata.host);
      // Glue below the cut is the only way to reach those servers: dropping it must set TC (RFC 2181 §9).
      this.addAddresses(zone, host, isSubdomain(host, cut.name));
    }
  }

  /** RFC 1035 §3.3: A/AAAA of in-zone NS, MX and SRV targets go in additional (plain records, no pools). */
  private addAdditional(zone: Zone, rrset: RRset): void {
    for (const rr of rrset.records) {
      const rd = rr.rdata;
      const target = rd.kind === 'NS' ? rd.host : rd.kind === 'MX' ? rd.exchange : rd.kind === 'SRV' ? rd.target : undefined;
      if (target === undefined) continue;
      this.addAddresses(zone, lowerName(target), false);
    }
  }

  private addAddresses(zone: Zone, host: string, requiredGlue: boolean): void {
    if (this.additionalSeen.has(host) || !isSubdomain(host, zone.origin)) return;
    this.additionalSeen.add(host);
    const node = zone.nodes.get(host);
    if (!node) return;
    for (const type of [RRType.A, RRType.AAAA]) {
      const rrset = node.rrsets.get(type);
      if (!rrset) continue;
      for (const rr of rrset.records) {
        this.additional.push(requiredGlue ? { owner: rrset.display, type, ttl: rrset.ttl, rdata: rr.rdata, requiredGlue } : { owner: rrset.display, type, ttl: rrset.ttl, rdata: rr.rdata });
      }
    }
  }

  result(): ResponseMessage {
    if (this.servfail) return bare(Rcode.SERVFAIL);
    const base = { rcode: this.rcode, authoritative: this.authoritative, answer: this.answer, authority: this.authority, additional: this.additional };
    return this.ecsScope === undefined ? base : { ...base, ecsScope: this.ecsScope };
  }
}

/**
 * Answers one query. Policy for what is not answered from zone data:
 * - class other than IN (CH, HS, NONE, ANY): REFUSED, we hold no data in them;
 * - AXFR/IXFR: REFUSED (no zone transfers); MAILA/MAILB: NOTIMP (RFC 1035 obsolete types);
 * - a name in no loaded zone: REFUSED without AA (we are not a resolver).
 */
export function respond(
  query: QueryMessage,
  zones: ZoneSet,
  selector: PoolSelector,
  client: ClientInfo,
  onError?: (err: unknown) => void,
): ResponseMessage {
  try {
    const q = query.question;
    if (q.class !== CLASS_IN) return bare(Rcode.REFUSED);
    if (q.type === TYPE_AXFR || q.type === TYPE_IXFR) return bare(Rcode.REFUSED);
    if (q.type === TYPE_MAILA || q.type === TYPE_MAILB) return bare(Rcode.NOTIMP);
    const zone = zones.find(q.name);
    if (!zone) return bare(Rcode.REFUSED);
    const answerer = new Answerer(zones, selector, client);
    answerer.resolve(zone, q.name, q.display, q.type, 0, new Set([q.name]));
    return answerer.result();
  } catch (err) {
    onError?.(err);
    return bare(Rcode.SERVFAIL);
  }
}

/** The response to a query that could not be answered from zones (FORMERR, NOTIMP, BADVERS). */
export function errorResponse(rcode: number): ResponseMessage {
  return bare(rcode);
}
