/**
 * The UDP fast path: answers the common question (one A or AAAA question for a name that holds a
 * pool or a static RRset of that type) straight from the packet bytes, with an answer encoded in
 * advance; everything else returns undefined and goes to the full path (query-handler.ts).
 *
 * Per query: check the header and question in place, lowercase and hash the name into a scratch
 * buffer, find the name's entry, let the policy pick a variant (PlannedSelector.pickVariant, the
 * same pick and rotation counter the full path uses), copy the query ID, RD/CD, the question as
 * asked (case kept) and the answer bytes into the response, plus our OPT record when the query
 * had one. No strings (except the client key of a sticky pool), promises or object graphs.
 *
 * Strict by design: a query takes the fast path only when the full path's answer is known to be
 * exactly these bytes (test/unit/dns/fast-path-equality.test.ts compares both over a corpus):
 * - the message has the common shape fast/scan.ts accepts (plain header, one uncompressed A or
 *   AAAA question of class IN, at most a plain OPT record (DO allowed, echoed; in a signed zone DO=1 answers with the signed variant: the same records and their RRSIG) without Client Subnet);
 * - the name exists in the zone that answers it, is not at or below a delegation, and has an
 *   RRset of the asked type (no CNAME, NODATA, NXDOMAIN, wildcard or referral here);
 * - a pool's plan is an answer (not the all-down NODATA/SERVFAIL), and its longest variant fits
 *   the requester's size (RFC 1035 §4.2.1 512 octets, or the EDNS size, RFC 6891 §6.2.5), so the
 *   full path would never truncate it.
 * Pools with `map=` stay on the fast path for queries without ECS: the source address goes through
 * the map's compiled prefix table (and GeoIP) once, then a per-address cache, to the route whose
 * site's variants are pre-encoded like any other (dns/site-router.ts). ECS queries take the full path.
 * Sticky pools stay on the fast path: their client key is the full path's (clientKeyFor from the
 * source address; without ECS there is nothing else it could depend on).
 *
 * Names are learnt lazily: on the first query for a (name, type) after a zone change, the fast
 * path looks the name up the way respond.ts does, remembers what it found and, if it is one of
 * its own, encodes the answers then (so a load encodes nothing). A zone change (a new ZoneSet
 * snapshot) forgets every name; encodings survive per Pool and RRset object in the AnswerCache.
 */
import type { Logger } from '../lib/logger.js';
import type { Pool, RRset } from '../model/zone.js';
import { AnswerCache, type EncodedAnswers } from './answer-cache.js';
import { clientKeyFor } from './client-key.js';
import { NameTable } from './fast/name-table.js';
import { QuestionScanner } from './fast/scan.js';
import type { PlannedSelector, PoolState } from './planned-selector.js';
import type { DnsStats } from './query-handler.js';
import { QueryCounters, type QueryCell } from './query-counters.js';
import { findCut } from './respond.js';
import { HEADER_SIZE, OUR_UDP_PAYLOAD, TYPE_OPT } from './wire/constants.js';
import { readQuestionName } from './wire/names.js';
import type { ZoneSet } from './zone-set.js';
import type { Signer } from './sign/signer.js';
import { SignedAnswers } from './sign/signed-answers.js';
import type { ZoneSigner } from './sign/zone-signer.js';

export interface FastPathOptions {
  /** The current zone snapshot, as the full path reads it. */
  readonly zones: () => ZoneSet;
  /** Pools are answered here only with a PlannedSelector (its plans are what gets pre-encoded). */
  readonly selector: PlannedSelector | undefined;
  /** The server's counters: answers here count as the full path's would. */
  readonly stats: DnsStats;
  readonly logger: Logger;
  /** Default: a private cache. */
  readonly cache?: AnswerCache;
  /** Query counts by zone/qtype/rcode, shared with the full path. Default: private. */
  readonly queries?: QueryCounters;
  /** DNSSEC: a DO=1 query for a name of a signed zone is answered from the signed variants. */
  readonly signer?: Signer;
}

export interface FastPathStats {
  /** Queries answered here. */
  answered: number;
  /** Names learnt (looked up after a miss). */
  learnt: number;
}

/** Stored when a name exists but is not answered here, so it is not looked up again. */
const FULL_PATH = 0;
/** Names that do not exist are remembered (as FULL_PATH) only up to this many. */
const MAX_MISSING_REMEMBERED = 50_000;
/** pino's numeric level for debug: at debug, every query goes through the full path and its log line. */
const DEBUG_LEVEL = 20;

/** Our OPT record (RFC 6891 §6.1.2): root, OPT, our payload size, RCODE 0, VERSION 0, DO 0, no options. */
const OPT_RECORD = Buffer.from([0, 0, TYPE_OPT, OUR_UDP_PAYLOAD >> 8, OUR_UDP_PAYLOAD & 0xff, 0, 0, 0, 0, 0, 0]);

interface StaticEntry {
  readonly kind: 'static';
  readonly answers: EncodedAnswers;
  readonly rrset: RRset;
  /** The zone's signer when it is signed. */
  readonly signer: ZoneSigner | undefined;
  /** This name's (zone, qtype, NOERROR) query counter. */
  readonly counter: QueryCell;
}

interface PoolEntry {
  readonly kind: 'pool';
  readonly pool: Pool;
  state: PoolState;
  /** Encodings of `encodedFor.plan` (undefined: a member the fast path cannot write). */
  answers: EncodedAnswers | undefined;
  /** The state `answers` were made for; another state (a rebuilt plan) means: ask the cache again. */
  encodedFor: PoolState | undefined;
  readonly counter: QueryCell;
  readonly signer: ZoneSigner | undefined;
}

type Entry = StaticEntry | PoolEntry | typeof FULL_PATH;

export class FastPath {
  readonly stats: FastPathStats = { answered: 0, learnt: 0 };
  readonly cache: AnswerCache;
  private readonly table = new NameTable<Entry>();
  private readonly scanner = new QuestionScanner();
  private readonly queries: QueryCounters;
  private readonly signed = new SignedAnswers();
  private snapshot: ZoneSet | undefined;
  private missing = 0;

  constructor(private readonly options: FastPathOptions) {
    this.cache = options.cache ?? new AnswerCache();
    this.queries = options.queries ?? new QueryCounters();
  }

  /**
   * The response to `message` if the fast path can give it (already counted in the stats), else
   * undefined: the caller passes the message to the full path.
   */
  answer(message: Buffer, clientAddress: string, clientFamily: 4 | 6): Buffer | undefined {
    const q = this.scanner;
    if (!q.scan(message)) return undefined;
    if (this.options.logger.levelVal <= DEBUG_LEVEL) return undefined;
    // --- lookup ---
    const zones = this.options.zones();
    if (zones !== this.snapshot) this.forget(zones);
    const questionEnd = q.questionEnd;
    const optLength = q.edns ? OPT_RECORD.length : 0;
    let entry = this.table.find(q.key, q.keyLength, q.hash, q.qtype);
    if (entry === undefined) entry = this.learn(message, zones);
    if (entry === FULL_PATH) return undefined;
    // --- pick ---
    let answers: EncodedAnswers;
    let variant = 0;
    if (entry.kind === 'static') {
      answers = entry.answers;
      if (q.dnssecOk && entry.signer !== undefined) {
        const signed = this.signed.forRRset(entry.rrset, entry.signer);
        if (signed === undefined) return undefined;
        answers = signed;
      }
      if (questionEnd + answers.maxLength + optLength > q.limit) return undefined;
    } else {
      const selector = this.options.selector!;
      let state = entry.state;
      if (state.replaced) {
        state = selector.stateOf(entry.pool);
        entry.state = state;
      }
      const plan = state.plan;
      if (plan.kind !== 'answer') return undefined; // all down with nodata/servfail: the full path says so
      if (entry.encodedFor !== state) {
        entry.answers = this.cache.forPool(entry.pool, plan);
        entry.encodedFor = state;
      }
      if (entry.answers === undefined) return undefined; // a member the fast path cannot write
      answers = entry.answers;
      if (q.dnssecOk && entry.signer !== undefined) {
        // Skew correction's per-variant TTLs are signed per answer on the full path.
        if (plan.ttls !== undefined) return undefined;
        // DO=1: the signed variants (the RRSIGs were made when the plan was built).
        const signed = this.signed.forPool(entry.pool, plan, entry.signer);
        if (signed === undefined) return undefined;
        answers = signed;
      }
      // Checked before the pick: a variant that does not fit goes to the full path unpicked.
      if (questionEnd + answers.maxLength + optLength > q.limit) return undefined;
      const pool = entry.pool;
      // A pool with `map=`: the source address's rule (one Map lookup after the first query) picks the route.
      let route = 0;
      const routing = plan.routing;
      if (routing !== undefined) {
        route = routing.ruleRoute[selector.routerFor(routing.map).ruleOfSource(clientAddress, clientFamily)] ?? 0;
        if (routing.routes[route]?.kind === 'down') return undefined; // the all-down NODATA/SERVFAIL/CNAME: the full path's
      }
      const clientKey = plan.clientDependent
        ? clientKeyFor({ address: clientAddress, family: clientFamily, transport: 'udp' }, pool.config.stickyV4Prefix, pool.config.stickyV6Prefix).key
        : '';
      variant = selector.pickVariant(state, clientKey, clientAddress, undefined, route);
    }
    const sectionStart = answers.starts[variant];
    const sectionEnd = answers.starts[variant + 1];
    if (sectionStart === undefined || sectionEnd === undefined) return undefined;
    const section = answers.bytes;
    // --- response: header, the question as asked, the answer, our OPT ---
    const sectionLength = sectionEnd - sectionStart;
    const out = Buffer.allocUnsafe(questionEnd + sectionLength + optLength);
    out[0] = message[0]!;
    out[1] = message[1]!;
    out[2] = 0x84 | (message[2]! & 0x01); // QR, AA, RD as asked; opcode 0
    out[3] = message[3]! & 0x10; // CD copied (RFC 4035 §3.1.6), RA 0, RCODE NOERROR
    out[4] = 0;
    out[5] = 1;
    const ancount = answers.counts[variant]!;
    out[6] = ancount >> 8;
    out[7] = ancount & 0xff;
    out[8] = 0;
    out[9] = 0;
    out[10] = 0;
    out[11] = q.edns ? 1 : 0;
    for (let i = HEADER_SIZE; i < questionEnd; i++) out[i] = message[i]!;
    for (let i = sectionStart, o = questionEnd; i < sectionEnd; i++, o++) out[o] = section[i]!;
    for (let i = 0, o = questionEnd + sectionLength; i < optLength; i++, o++) out[o] = OPT_RECORD[i]!;
    if (q.dnssecOk) out[questionEnd + sectionLength + 7] = 0x80; // DO echoed (RFC 3225 §3)
    const stats = this.options.stats;
    stats.received++;
    stats.udp++;
    stats.rcodes.NOERROR = (stats.rcodes.NOERROR ?? 0) + 1;
    entry.counter.count++;
    this.stats.answered++;
    return out;
  }

  /** Names known to the fast path now (answered here or known to go to the full path). */
  get knownNames(): number {
    return this.table.size;
  }

  private forget(zones: ZoneSet): void {
    this.table.clear();
    this.missing = 0;
    this.snapshot = zones;
  }

  /** Looks the question up as respond.ts does and remembers whether its answer is one of ours. */
  private learn(message: Buffer, zones: ZoneSet): Entry {
    const q = this.scanner;
    this.stats.learnt++;
    const name = readQuestionName(message, HEADER_SIZE);
    if (!name.ok) return FULL_PATH;
    const lower = name.lower;
    const zone = zones.find(lower);
    const node = zone && !findCut(zone, lower) ? zone.nodes.get(lower) : undefined;
    const keyCopy = q.key.slice(0, q.keyLength);
    if (!node) {
      // NXDOMAIN, wildcard, referral or not ours: the full path's, remembered up to a bound.
      if (this.missing < MAX_MISSING_REMEMBERED) {
        this.missing++;
        this.table.insert(keyCopy, q.hash, q.qtype, FULL_PATH);
      }
      return FULL_PATH;
    }
    const signer = zone ? this.options.signer?.forZone(zone) : undefined;
    const entry = this.entryFor(node.rrsets.get(q.qtype), this.queries.cell(zone?.origin ?? '-', q.qtype, 'NOERROR'), signer);
    this.table.insert(keyCopy, q.hash, q.qtype, entry);
    return entry;
  }

  private entryFor(rrset: RRset | undefined, counter: QueryCell, signer: ZoneSigner | undefined): Entry {
    // No RRset of this type: CNAME or NODATA, the full path's.
    if (!rrset) return FULL_PATH;
    if (rrset.pool) {
      const selector = this.options.selector;
      if (!selector) return FULL_PATH;
      return { kind: 'pool', pool: rrset.pool, state: selector.stateOf(rrset.pool), answers: undefined, encodedFor: undefined, counter, signer };
    }
    const answers = this.cache.forRRset(rrset);
    return answers ? { kind: 'static', answers, rrset, counter, signer } : FULL_PATH;
  }
}
