/**
 * The fast lane of the zone compiler: zone text straight into the compact form (compact.ts),
 * with no object per record, for the shape large zones have: many names, each with A or AAAA
 * records (plain or as a `;@pool`), and a few other records (SOA, NS, MX, TXT ...).
 *
 * It only accepts what it is sure the full pipeline (parse.ts → validate.ts → compile.ts) would
 * compile to the same zone with no error and no warning. Anything else, and every error, makes it
 * decline (undefined), and the caller runs the full pipeline, which reports exactly as before
 * (`file:line:column`). Declined: $INCLUDE, CR bytes, escapes, checks no pool uses or that need a
 * member's port, member settings other than weight, priority and backup (check, probe, port,
 * site), `;@map`, CNAME,
 * NS below the apex, names outside the apex, duplicates, TTL disagreements, TTLs with units.
 * Entries other than A and AAAA records go through the full parser one at a time (parseZone on
 * that entry, with the origin, owner and TTL in force), so their rdata is the parser's own.
 * test/unit/zones/fast-compile.test.ts holds both lanes to the same zone. */
import { DEFAULT_POOL_CONFIG, RRType, type CheckSpec, type PoolConfig, type Rdata } from '../model/zone.js';
import { MAX_TTL } from './ttl.js';
import { isSubdomain, originOf, parentName, parseName, type NameOrigin } from './names.js';
import { parseCheckAnnotation, parseMemberAnnotation, parsePoolAnnotation, splitAnnotation, type AnnotationContext } from './annotations.js';
import { TargetRowsBuilder } from './target-table.js';
import { parseZone } from './parse.js';
import { formatIPv6, parseIPv6Into } from '../lib/ip.js';
import { hashString, IntRows as Ints, MEMBER_W, NODE_W, POOL_W, RECORD_W, RRSET_W, TRANSFERABLE_ARRAYS, type ArrayMaker, type CompactZoneData } from './compact.js';

class Decline extends Error {}

/**
 * A record's member settings packed in one integer: weight (1-1000) in the low 10 bits, priority
 * (1-65535) in the next 16, backup, and a bit that says the record had settings (0: none).
 */
const MEMBER_PRIORITY_SHIFT = 10;
const MEMBER_BACKUP = 1 << 26;
const MEMBER_SET = 1 << 27;

const decline = (): never => {
  throw new Decline();
};

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** A plain decimal number (at most 10 digits) in text[start, end), or -1. */
function plainNumber(text: string, start: number, end: number): number {
  if (end - start > 10 || end === start) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** A dotted quad without leading zeros (parseIPv4's rules) as a uint32, or -1. */
function ipv4At(text: string, start: number, end: number): number {
  let parts = 0;
  let value = 0;
  let digits = 0;
  let out = 0;
  if (end - start < 7 || end - start > 15) return -1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return -1;
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return -1;
    } else if (c === 46) {
      if (digits === 0) return -1;
      out = out * 256 + value;
      parts++;
      value = 0;
      digits = 0;
    } else return -1;
  }
  if (digits === 0 || parts !== 3) return -1;
  return out * 256 + value;
}

/** Lines in the text: at most one record each. */
function lineCount(text: string): number {
  let lines = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

/**
 * The compact zone, or undefined when the text needs the full pipeline. `file` names the source
 * in positions (as the parser would); `arrays` makes the zone's arrays (compact.ts).
 */
export function fastCompile(text: string, file: string, arrays: ArrayMaker = TRANSFERABLE_ARRAYS): CompactZoneData | undefined {
  try {
    return new FastCompiler(text, file, arrays).run();
  } catch (err) {
    if (err instanceof Decline) return undefined;
    throw err;
  }
}

class FastCompiler {
  private origin: NameOrigin | undefined;
  private defaultTtl: number | undefined;
  private lastTtl: number | undefined;
  private owner: { name: string; display: string } | undefined;
  private ownerToken = '';
  private ownerOrigin: NameOrigin | undefined;
  /**
   * Nodes (owner names) and their RRsets as parallel arrays, not an object per node: a
   * million-record zone has 100,000 nodes, and an object with two arrays each was a fifth of the
   * compile's garbage collection. A node's RRsets ("slots", numbered over the whole zone in order
   * of first appearance) are a list through slotNext, in order of first appearance.
   */
  private readonly nodeName: string[] = [];
  private readonly nodeDisplay: string[] = [];
  private readonly nodeHead = new Ints();
  private readonly nodeTail = new Ints();
  private readonly slotType = new Ints();
  private readonly slotCount = new Ints();
  private readonly slotNext = new Ints();
  private readonly byName = new Map<string, number>();
  /** Per node, its `;@pool` settings (finish). */
  private nodePool: (PoolConfig | undefined)[] = [];
  /** Per slot, its RRset's number in the compiled order (finish). */
  private rrsetOfSlot = new Int32Array(0);
  /**
   * Records in file order, already as the compact form's record rows (ttl, rdata ref, file, line,
   * column) and IPv4 column: sized for one record a line (constructor), so they never grow. When
   * the file lists each owner's records together, one RRset after another (the usual zone), file
   * order is the compiled order, and these arrays become the zone's own with no copy (encode).
   */
  private readonly recRows: Int32Array;
  private readonly recIpv4: Uint32Array;
  /** Whether file order is still the compiled order (see recRows). */
  private inOrder = true;
  /** The slot of the last record, to tell whether the next one keeps the order. */
  private lastSlot = -1;
  /** Each record's slot: only once out of order (outOfOrder). */
  private recSlot: Ints | undefined;
  private hasQuotes = false;
  /** The next double quote at or after the current entry (quoteBefore), -1: none left. */
  private nextQuote = -2;
  /**
   * What came between the owner and the address of the last A or AAAA record (TTL, class and type
   * with their blanks, `\t20\tIN\tA\t`), its TTL (-1: inherited) and its type: the next address
   * record written the same way skips those tokens.
   */
  private aPrefix = '';
  private aPrefixTtl = -1;
  private aPrefixType: number = RRType.A;
  /** AAAA addresses, 16 bytes each in order (the compact form's ipv6 column), and how many. */
  private v6 = new Uint8Array(16 * 64);
  private v6Count = 0;
  private readonly v6Scratch = new Uint8Array(16);
  /** Each record's member settings (MEMBER_SET), once one record has some. */
  private recMember: Int32Array | undefined;
  private readonly memberCache = new Map<string, number>();
  private hasParens = false;
  /** Records ordered by RRset (finish): order[i] is the record number at row i, undefined in file order; rrset rows start at rowStart[rrset]. */
  private order: Int32Array | undefined;
  private rowStart = new Int32Array(0);
  private readonly lineCapacity: number;
  private readonly others: Rdata[] = [];
  /** Other-rdata keys per (record), to find duplicates. */
  private readonly otherKeys = new Map<number, string>();
  private readonly pools = new Map<string, PoolConfig>();
  /** The `;@check`s, in the order they are defined. */
  private readonly checks = new Map<string, CheckSpec>();
  private readonly poolConfigCache = new Map<string, PoolConfig>();
  /** The owner of the last `;@pool` line, parsed: usually the next record's (ownerAt). */
  private poolOwner: { token: string; origin: NameOrigin | undefined; owner: { name: string; display: string } } | undefined;
  private lastPool: { origin: NameOrigin | undefined; rest: string; config: PoolConfig } | undefined;
  private soa: { node: number; display: string } | undefined;
  private recordCount = 0;
  /** The node of the last record's owner (records of one owner come together). */
  private lastOwner: { name: string; display: string } | undefined;
  private lastNode = -1;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly arrays: ArrayMaker,
  ) {
    // Doubling from a small guess copied and zeroed twice the final size (0.2 s at a million records).
    const rows = lineCount(text);
    this.lineCapacity = rows;
    this.recRows = arrays.i32(rows * RECORD_W);
    this.recIpv4 = arrays.u32(rows);
  }

  run(): CompactZoneData {
    const text = this.text;
    if (text.includes('\r') || text.includes('\\')) decline();
    this.hasQuotes = text.includes('"');
    this.hasParens = text.includes('(') || text.includes(')');
    let pos = 0;
    let line = 1;
    const length = text.length;
    while (pos < length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = length;
      const startLine = line;
      // An entry with parentheses runs to the line that closes them (quotes decline there).
      let entryEnd = end;
      let lines = 1;
      const open = this.hasParens ? this.parenDepth(pos, end) : 0;
      if (open !== 0) {
        if (open < 0) decline();
        let depth = open;
        while (depth > 0) {
          if (entryEnd >= length) decline();
          const next = text.indexOf('\n', entryEnd + 1);
          const stop = next < 0 ? length : next;
          depth += this.parenDepth(entryEnd + 1, stop);
          if (depth < 0) decline();
          entryEnd = stop;
          lines++;
        }
      }
      this.entry(pos, entryEnd, startLine, lines > 1);
      line += lines;
      pos = entryEnd + 1;
    }
    return this.finish();
  }

  /** Net parentheses in text[start, end) before any comment; quotes with parentheses decline. */
  private parenDepth(start: number, end: number): number {
    const text = this.text;
    let depth = 0;
    let quote = false;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) quote = !quote;
      else if (quote) continue;
      else if (c === 59) break;
      else if (c === 40) depth++;
      else if (c === 41) depth--;
    }
    if (quote || (depth !== 0 && text.slice(start, end).includes('"'))) decline();
    return depth;
  }

  private entry(start: number, end: number, line: number, multiLine: boolean): void {
    const text = this.text;
    let i = start;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    if (i === end) return; // blank
    const c = text.charCodeAt(i);
    if (c === 59) {
      // A comment line: `;@` is an annotation on a line of its own.
      if (text.charCodeAt(i + 1) === 64) {
        if (text.startsWith('check', this.skip(i + 2, end))) this.checkLine(i + 2, end, line, i - start + 1);
        else this.poolLine(i + 2, end, line, i - start + 1);
      }
      return;
    }
    if (c === 36 /* $ */) {
      if (i !== start || multiLine) decline();
      return this.directive(start, end);
    }
    if (multiLine || (this.hasQuotes && this.quoteBefore(start, end))) return this.other(start, end, line);
    // Tokens: [owner] [ttl] [class] type rdata [; comment]
    let owner = this.owner;
    let p = start;
    if (!isSpace(text.charCodeAt(start))) {
      const ownerEnd = this.tokenEnd(start, end);
      owner = this.ownerAt(start, ownerEnd);
      p = ownerEnd;
    } else if (!owner) decline();
    const firstColumn = i - start + 1;
    let ttl = -1;
    let a0: number;
    let type: number;
    const prefix = this.aPrefix;
    if (prefix !== '' && text.startsWith(prefix, p)) {
      // TTL, class and type written as the last address record's were: the same tokens.
      ttl = this.aPrefixTtl;
      type = this.aPrefixType;
      a0 = this.skip(p + prefix.length, end);
    } else {
      let sawClass = false;
      let t0 = this.skip(p, end);
      let t1 = this.tokenEnd(t0, end);
      for (let k = 0; k < 2 && t0 < end; k++) {
        const ch = text.charCodeAt(t0);
        if (ch >= 48 && ch <= 57) {
          if (ttl >= 0) break;
          ttl = plainNumber(text, t0, t1);
          if (ttl < 0 || ttl > MAX_TTL) decline();
        } else if (!sawClass && t1 - t0 === 2 && (ch | 0x20) === 105 && (text.charCodeAt(t0 + 1) | 0x20) === 110) {
          sawClass = true;
        } else break;
        t0 = this.skip(t1, end);
        t1 = this.tokenEnd(t0, end);
      }
      if (t1 - t0 === 1 && (text.charCodeAt(t0) | 0x20) === 97) type = RRType.A;
      else if (t1 - t0 === 4 && text.slice(t0, t1).toUpperCase() === 'AAAA') type = RRType.AAAA;
      else return this.other(start, end, line);
      a0 = this.skip(t1, end);
      if (a0 > t1 && a0 < end) {
        this.aPrefix = text.slice(p, a0);
        this.aPrefixTtl = ttl;
        this.aPrefixType = type;
      }
    }
    const a1 = this.tokenEnd(a0, end);
    const rest = this.skip(a1, end);
    if (rest < end && text.charCodeAt(rest) !== 59) decline(); // more rdata than an address
    const member = rest < end && text.charCodeAt(rest + 1) === 64 ? this.memberSettings(rest + 2, end, line) : 0;
    let address = 0;
    let ref = 0;
    if (type === RRType.A) {
      address = ipv4At(text, a0, a1);
      if (address < 0) decline();
    } else {
      // The parser's own reading of IPv6 text (lib/ip.ts), so the same addresses are accepted.
      if (!parseIPv6Into(text.slice(a0, a1), this.v6Scratch)) decline();
      ref = this.addV6(this.v6Scratch);
    }
    if (ttl < 0) {
      const inherited = this.defaultTtl ?? this.lastTtl;
      if (inherited === undefined) decline();
      ttl = inherited as number;
    }
    if (!owner) return decline();
    this.owner = owner;
    this.lastTtl = ttl;
    this.addRecord(owner, type, ttl, address, ref, line, isSpace(text.charCodeAt(start)) ? firstColumn : 1, member);
  }

  /**
   * The member settings after an address (`;@ weight=2 backup`, from after the `;@` to `end`),
   * read by the parser's own functions and packed (MEMBER_SET); the same text again is not read
   * again. Settings that need more than a member row (check, probe, port, site), another `;`,
   * and every error decline.
   */
  private memberSettings(from: number, end: number, line: number): number {
    const body = this.text.slice(from, end);
    const known = this.memberCache.get(body);
    if (known !== undefined) return known;
    if (body.includes(';')) return decline();
    const ctx = this.annotationContext(line);
    const words = splitAnnotation(body, 1, ctx);
    const head = words?.[0];
    if (!words || (head && head.value === undefined && (head.key === 'check' || head.key === 'pool' || head.key === 'map'))) return decline();
    const m = parseMemberAnnotation(words, ctx, 1);
    if (!m || m.check !== undefined || m.probe !== undefined || m.port !== undefined || m.site !== undefined) return decline();
    const packed = MEMBER_SET | m.weight | (m.priority << MEMBER_PRIORITY_SHIFT) | (m.backup ? MEMBER_BACKUP : 0);
    this.memberCache.set(body, packed);
    return packed;
  }

  /** Appends an AAAA address to the ipv6 column: its rdata ref (1-based). */
  private addV6(bytes: Uint8Array): number {
    if ((this.v6Count + 1) * 16 > this.v6.length) {
      const grown = new Uint8Array(this.v6.length * 2);
      grown.set(this.v6);
      this.v6 = grown;
    }
    this.v6.set(bytes, this.v6Count * 16);
    return ++this.v6Count;
  }

  /** Whether text[start, end) has a double quote (the next one's position is kept: one pass in all). */
  private quoteBefore(start: number, end: number): boolean {
    if (this.nextQuote === -1) return false;
    if (this.nextQuote < start) this.nextQuote = this.text.indexOf('"', start);
    return this.nextQuote >= 0 && this.nextQuote < end;
  }

  private skip(p: number, end: number): number {
    while (p < end && isSpace(this.text.charCodeAt(p))) p++;
    return p;
  }

  private tokenEnd(p: number, end: number): number {
    const text = this.text;
    while (p < end) {
      const c = text.charCodeAt(p);
      if (isSpace(c) || c === 59) break;
      if (c === 40 || c === 41 || c === 34) decline();
      p++;
    }
    return p;
  }

  private ownerAt(start: number, end: number): { name: string; display: string } {
    const text = this.text;
    const length = end - start;
    // Compared in place: most owners repeat the last one or the last `;@pool` line's.
    if (this.owner && this.ownerOrigin === this.origin && length === this.ownerToken.length && text.startsWith(this.ownerToken, start)) return this.owner;
    const announced = this.poolOwner;
    if (announced && announced.origin === this.origin && length === announced.token.length && text.startsWith(announced.token, start)) {
      this.ownerToken = announced.token;
      this.ownerOrigin = this.origin;
      return announced.owner;
    }
    const token = text.slice(start, end);
    const parsed = parseName(token, this.origin);
    if (!parsed.ok) return decline();
    this.ownerToken = token;
    this.ownerOrigin = this.origin;
    return { name: parsed.name, display: parsed.display };
  }

  private directive(start: number, end: number): void {
    const text = this.text;
    const nameEnd = this.tokenEnd(start, end);
    const name = text.slice(start, nameEnd).toUpperCase();
    const a0 = this.skip(nameEnd, end);
    const a1 = this.tokenEnd(a0, end);
    const rest = this.skip(a1, end);
    if (a0 === a1 || (rest < end && text.charCodeAt(rest) !== 59)) decline();
    if (name === '$ORIGIN') {
      const parsed = parseName(text.slice(a0, a1), this.origin);
      if (!parsed.ok) decline();
      else this.origin = originOf(parsed.display);
    } else if (name === '$TTL') {
      const ttl = plainNumber(text, a0, a1);
      if (ttl < 0 || ttl > MAX_TTL) decline();
      this.defaultTtl = ttl;
    } else decline();
  }

  /** For the parser's annotation functions: the first error they report declines the whole zone. */
  private annotationContext(line: number): AnnotationContext {
    return { file: this.file, line, origin: this.origin, fail: decline };
  }

  /** `;@check NAME KIND key=value...` (after `;@`), read by the parser's own function. */
  private checkLine(start: number, end: number, line: number, column: number): void {
    const ctx = this.annotationContext(line);
    const words = splitAnnotation(this.text.slice(start, end), column + 2, ctx);
    const parsed = words && words[0]?.key === 'check' && words[0].value === undefined ? parseCheckAnnotation(words.slice(1), ctx, column) : undefined;
    if (!parsed || this.checks.has(parsed.spec.name)) return decline();
    this.checks.set(parsed.spec.name, parsed.spec);
  }

  /** `;@pool OWNER key=value...` (after `;@`); anything else declines. */
  private poolLine(start: number, end: number, line: number, column: number): void {
    const text = this.text;
    let p = this.skip(start, end);
    const headEnd = this.wordEnd(p, end);
    if (headEnd - p !== 4 || !text.startsWith('pool', p)) decline();
    p = this.skip(headEnd, end);
    const ownerEnd = this.wordEnd(p, end);
    const ownerToken = text.slice(p, ownerEnd);
    const owner = parseName(ownerToken, this.origin);
    if (!owner.ok) return decline();
    this.poolOwner = { token: ownerToken, origin: this.origin, owner: { name: owner.name, display: owner.display } };
    // Pool lines of a large zone mostly repeat their settings: the last ones are reused unsliced.
    let config: PoolConfig | undefined;
    const last = this.lastPool;
    if (last && last.origin === this.origin && end - ownerEnd === last.rest.length && text.startsWith(last.rest, ownerEnd)) config = last.config;
    const rest = config ? '' : text.slice(ownerEnd, end);
    const key = config ? '' : `${this.origin?.display ?? ''}\u0000${rest}`;
    if (!config) config = this.poolConfigCache.get(key);
    if (!config) {
      const ctx = this.annotationContext(line);
      const words = splitAnnotation(text.slice(start, end), column + 2, ctx);
      const parsed = words && words[0]?.key === 'pool' && words[0].value === undefined ? parsePoolAnnotation(words.slice(1), ctx, column) : undefined;
      if (!parsed) return decline();
      config = parsed.config;
      this.poolConfigCache.set(key, config);
    }
    if (rest !== '') this.lastPool = { origin: this.origin, rest, config };
    if (config.map !== undefined) decline();
    if (this.pools.has(owner.name)) decline();
    this.pools.set(owner.name, config);
  }

  private wordEnd(p: number, end: number): number {
    const text = this.text;
    while (p < end && !isSpace(text.charCodeAt(p))) p++;
    return p;
  }

  /** An entry that is not an A record: the full parser reads it, with the context in force. */
  private other(start: number, end: number, line: number): void {
    const text = this.text;
    const entry = text.slice(start, end);
    const blankOwner = isSpace(text.charCodeAt(start));
    if (blankOwner && !this.owner) decline();
    const origin = this.origin;
    if (!origin) return decline();
    const inherited = this.defaultTtl ?? this.lastTtl;
    const head = [`$ORIGIN ${origin.display}`];
    if (inherited !== undefined) head.push(`$TTL ${inherited}`);
    const body = blankOwner ? `${this.owner?.display ?? ''}${entry}` : entry;
    const parsed = parseZone(`${head.join('\n')}\n${body}\n`, this.file);
    const rr = parsed.records[0];
    if (!rr || parsed.records.length !== 1 || parsed.errors.length > 0 || parsed.warnings.length > 0 || parsed.pools.length > 0 || parsed.checks.length > 0 || parsed.members.size > 0) return decline();
    if (rr.type === RRType.CNAME || rr.type === RRType.A) decline();
    const owner = blankOwner && this.owner ? this.owner : { name: rr.name, display: rr.display };
    if (!blankOwner) {
      this.ownerToken = '';
      this.owner = owner;
    }
    this.lastTtl = rr.ttl;
    let column = 1;
    if (blankOwner) {
      column = this.skip(start, end) - start + 1;
    }
    let ref: number;
    if (rr.rdata.kind === 'AAAA') {
      if (!parseIPv6Into(rr.rdata.address, this.v6Scratch)) return decline();
      ref = this.addV6(this.v6Scratch);
    } else ref = -this.others.push(rr.rdata);
    this.addRecord(owner, rr.type, rr.ttl, 0, ref, line, column);
  }

  /** `ref`: the rdata's (compact.ts RECORD_W): 0 for an IPv4 address (`ipv4`), > 0 an AAAA address, < 0 another rdata. */
  private addRecord(owner: { name: string; display: string }, type: number, ttl: number, ipv4: number, ref: number, line: number, column: number, member = 0): void {
    let n = owner === this.lastOwner ? this.lastNode : this.byName.get(owner.name);
    if (n === undefined) n = this.addNode(owner.name, owner.display);
    this.lastOwner = owner;
    let slot = this.lastSlot;
    if (n !== this.lastNode || this.slotType.data[slot] !== type) {
      slot = this.slotOf(n, type);
      const newSlot = slot < 0;
      if (newSlot) slot = this.addSlot(n, type);
      // File order stays the compiled order while each record continues the last one's RRset or
      // starts its node's next one (a new node's first RRset included).
      if (this.inOrder && !(newSlot && (n === this.lastNode || this.nodeHead.data[n] === slot))) this.outOfOrder();
    }
    this.slotCount.data[slot] = (this.slotCount.data[slot] ?? 0) + 1;
    this.lastNode = n;
    this.lastSlot = slot;
    const rec = this.recordCount++;
    this.recSlot?.push(slot);
    const base = rec * RECORD_W;
    this.recRows[base] = ttl;
    this.recRows[base + 1] = ref;
    this.recRows[base + 3] = line;
    this.recRows[base + 4] = column;
    this.recIpv4[rec] = ref === 0 ? ipv4 >>> 0 : 0;
    if (member !== 0) (this.recMember ??= new Int32Array(this.lineCapacity))[rec] = member;
    if (type === RRType.SOA) {
      if (this.soa) decline();
      this.soa = { node: n, display: owner.display };
    }
  }

  private addNode(name: string, display: string): number {
    const n = this.nodeName.length;
    this.nodeName.push(name);
    this.nodeDisplay.push(display);
    this.nodeHead.push(-1);
    this.nodeTail.push(-1);
    this.byName.set(name, n);
    return n;
  }

  /** The node's slot of this type, or -1. */
  private slotOf(n: number, type: number): number {
    for (let s = this.nodeHead.data[n] ?? -1; s >= 0; s = this.slotNext.data[s] ?? -1) if (this.slotType.data[s] === type) return s;
    return -1;
  }

  private addSlot(n: number, type: number): number {
    const slot = this.slotType.length;
    this.slotType.push(type);
    this.slotCount.push(0);
    this.slotNext.push(-1);
    const tail = this.nodeTail.data[n] ?? -1;
    if (tail < 0) this.nodeHead.data[n] = slot;
    else this.slotNext.data[tail] = slot;
    this.nodeTail.data[n] = slot;
    return slot;
  }

  /**
   * The first record out of file order: from now on each record's slot is kept, for finish() to
   * sort by. Those of the records so far follow from the slots' counts, since until now the
   * records came slot by slot, in the order the slots were made.
   */
  private outOfOrder(): void {
    this.inOrder = false;
    const recSlot = new Ints(this.lineCapacity);
    for (let slot = 0; slot < this.slotType.length; slot++) for (let k = 0; k < (this.slotCount.data[slot] ?? 0); k++) recSlot.push(slot);
    this.recSlot = recSlot;
  }

  private finish(): CompactZoneData {
    const soa = this.soa;
    if (!soa) return decline();
    const apex = this.nodeName[soa.node] as string;
    if (this.slotOf(soa.node, RRType.NS) < 0) decline();
    // RRsets numbered node by node, each node's in order of first appearance; records placed by
    // RRset, in file order.
    const nodeCount = this.nodeName.length;
    const slots = this.slotType.length;
    const rrsetOfSlot = new Int32Array(slots);
    const rowStart = new Int32Array(slots + 1);
    let rrset = 0;
    for (let n = 0; n < nodeCount; n++) {
      for (let slot = this.nodeHead.data[n] ?? -1; slot >= 0; slot = this.slotNext.data[slot] ?? -1) {
        rrsetOfSlot[slot] = rrset;
        rowStart[rrset + 1] = this.slotCount.data[slot] ?? 0;
        rrset++;
      }
    }
    for (let r = 0; r < slots; r++) rowStart[r + 1] = (rowStart[r + 1] ?? 0) + (rowStart[r] ?? 0);
    if (this.recSlot) {
      const fill = rowStart.slice(0, slots);
      const order = new Int32Array(this.recordCount);
      const recSlot = this.recSlot.data;
      for (let rec = 0; rec < this.recordCount; rec++) {
        const rr = rrsetOfSlot[recSlot[rec] ?? 0] ?? 0;
        order[fill[rr] ?? 0] = rec;
        fill[rr] = (fill[rr] ?? 0) + 1;
      }
      this.order = order;
    }
    this.rowStart = rowStart;
    this.rrsetOfSlot = rrsetOfSlot;
    const nodePool = new Array<PoolConfig | undefined>(nodeCount).fill(undefined);
    for (const [name, config] of this.pools) {
      const n = this.byName.get(name);
      if (n === undefined || (this.slotOf(n, RRType.A) < 0 && this.slotOf(n, RRType.AAAA) < 0)) decline();
      else nodePool[n] = config;
    }
    this.nodePool = nodePool;
    // What validate.ts reports about checks: an unknown check (an error), one no pool uses (a
    // warning), a tcp check without a port, which members here cannot give (an error).
    const used = new Set<string>();
    for (const config of this.pools.values()) {
      if (config.check === undefined) continue;
      const spec = this.checks.get(config.check);
      if (!spec || (spec.kind === 'tcp' && spec.port === undefined)) decline();
      used.add(config.check);
    }
    for (const name of this.checks.keys()) if (!used.has(name)) decline();
    // Semantic checks the full pipeline would report: decline, and let it.
    for (let n = 0; n < nodeCount; n++) {
      const name = this.nodeName[n] as string;
      if (!isSubdomain(name, apex)) decline();
      for (let slot = this.nodeHead.data[n] ?? -1; slot >= 0; slot = this.slotNext.data[slot] ?? -1) {
        const type = this.slotType.data[slot];
        const count = this.slotCount.data[slot] ?? 0;
        if (type === RRType.NS && name !== apex) decline();
        if (type === RRType.SOA && name !== apex) decline();
        this.checkRRset(rowStart[rrsetOfSlot[slot] ?? 0] ?? 0, count);
      }
    }

    // Empty non-terminals, after the owners (as compile.ts adds them).
    for (let n = 0; n < nodeCount; n++) {
      let name = parentName(this.nodeName[n] as string);
      let display = parentName(this.nodeDisplay[n] as string);
      while (name !== undefined && display !== undefined && name.length >= apex.length && !this.byName.has(name)) {
        this.addNode(name, display);
        if (name === apex) break;
        name = parentName(name);
        display = parentName(display);
      }
    }
    return this.encode(apex, soa);
  }

  /** Duplicates and TTL disagreements in the RRset at rows [from, from + count). */
  private checkRRset(from: number, count: number): void {
    if (count < 2) return;
    const rows = this.recRows;
    const at = (row: number): number => this.fileRecord(row);
    const ttl = rows[at(from) * RECORD_W];
    for (let i = from; i < from + count; i++) if (rows[at(i) * RECORD_W] !== ttl) decline();
    // Small RRsets (the usual pool) compare pairwise; a set only pays off for large ones.
    if (count <= 16) {
      for (let i = from + 1; i < from + count; i++) for (let j = from; j < i; j++) if (this.sameRdata(at(i), at(j))) decline();
      return;
    }
    const seen = new Set<number | string>();
    for (let i = from; i < from + count; i++) {
      const key = this.rdataKey(at(i));
      if (seen.has(key)) decline();
      seen.add(key);
    }
  }

  /** The record (in file order) at compiled row `row` (finish sorts them; in file order they are the same). */
  private fileRecord(row: number): number {
    return this.order ? (this.order[row] ?? 0) : row;
  }

  private sameRdata(r: number, q: number): boolean {
    const a = this.recRows[r * RECORD_W + 1] ?? 0;
    const b = this.recRows[q * RECORD_W + 1] ?? 0;
    if (a === 0 || b === 0) return a === b && this.recIpv4[r] === this.recIpv4[q];
    if (a > 0 && b > 0) {
      for (let k = 0; k < 16; k++) if (this.v6[(a - 1) * 16 + k] !== this.v6[(b - 1) * 16 + k]) return false;
      return true;
    }
    return a < 0 && b < 0 && this.otherKey(-a - 1) === this.otherKey(-b - 1);
  }

  /** Record `r`'s rdata as a key equal for equal rdata: the IPv4 address, its AAAA bytes, or the other rdata's text. */
  private rdataKey(r: number): number | string {
    const ref = this.recRows[r * RECORD_W + 1] ?? 0;
    if (ref === 0) return this.recIpv4[r] ?? 0;
    if (ref > 0) return String.fromCharCode(...this.v6.subarray((ref - 1) * 16, ref * 16));
    return this.otherKey(-ref - 1);
  }

  private otherKey(i: number): string {
    let key = this.otherKeys.get(i);
    if (key === undefined) {
      key = JSON.stringify(this.others[i], (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : typeof v === 'string' ? v.toLowerCase() : v));
      this.otherKeys.set(i, key);
    }
    return key;
  }

  /**
   * The zone's record rows and IPv4 column, in compiled order: the file-order arrays themselves
   * when the file was in that order (trimmed by a copy only when comments and blank lines left
   * more than a quarter of them unused), else sorted into new ones.
   */
  private recordRows(): { records: Int32Array; ipv4: Uint32Array } {
    const count = this.recordCount;
    const order = this.order;
    if (!order) {
      const records = this.recRows.subarray(0, count * RECORD_W);
      const ipv4 = this.recIpv4.subarray(0, count);
      if (count * 4 >= this.lineCapacity * 3) return { records, ipv4 };
      const tight = { records: this.arrays.i32(records.length), ipv4: this.arrays.u32(count) };
      tight.records.set(records);
      tight.ipv4.set(ipv4);
      return tight;
    }
    const records = this.arrays.i32(count * RECORD_W);
    const ipv4 = this.arrays.u32(count);
    const rows = this.recRows;
    for (let row = 0; row < count; row++) {
      const rec = order[row] ?? 0;
      for (let k = 0; k < RECORD_W; k++) records[row * RECORD_W + k] = rows[rec * RECORD_W + k] ?? 0;
      ipv4[row] = this.recIpv4[rec] ?? 0;
    }
    return { records, ipv4 };
  }

  private ipv6Column(): Uint8Array {
    const column = this.arrays.u8(this.v6Count * 16);
    column.set(this.v6.subarray(0, this.v6Count * 16));
    return column;
  }

  /**
   * The index of the probe target of the member at compiled row `row`, made on first use, as
   * compile.ts makes it: the member's address, the check's port (0 for icmp).
   */
  private targetOf(check: CheckSpec, records: Int32Array, ipv4: Uint32Array, row: number, targets: TargetRowsBuilder): number {
    const ref = records[row * RECORD_W + 1] ?? 0;
    const port = check.kind === 'icmp' ? 0 : (check.port ?? 0);
    return ref > 0 ? targets.add(check, formatIPv6(this.v6.subarray((ref - 1) * 16, ref * 16)), port) : targets.addIPv4(check, ipv4[row] ?? 0, port);
  }

  /** Whether node n's RRset in this slot is a pool: A records, several or annotated. */
  private pooled(n: number, slot: number): boolean {
    const count = this.slotCount.data[slot] ?? 0;
    const type = this.slotType.data[slot];
    return (type === RRType.A || type === RRType.AAAA) && (count >= 2 || (count >= 1 && this.nodePool[n] !== undefined));
  }

  private encode(apex: string, soa: { node: number; display: string }): CompactZoneData {
    const nodeCount = this.nodeName.length;
    const rrsetCount = this.slotType.length;
    let charCount = 0;
    for (let n = 0; n < nodeCount; n++) {
      const name = this.nodeName[n] as string;
      const display = this.nodeDisplay[n] as string;
      charCount += name.length + (display === name ? 0 : display.length);
    }
    const make = this.arrays;
    const chars = make.u16(charCount);
    const nodes = make.i32(nodeCount * NODE_W);
    const rrsets = make.i32(rrsetCount * RRSET_W);
    const { records, ipv4 } = this.recordRows();
    // Pools and their members counted first: their rows are written in place, not grown and copied.
    let poolCount = 0;
    let memberCount = 0;
    for (let n = 0; n < nodeCount; n++) {
      for (let slot = this.nodeHead.data[n] ?? -1; slot >= 0; slot = this.slotNext.data[slot] ?? -1) {
        if (!this.pooled(n, slot)) continue;
        poolCount++;
        memberCount += this.slotCount.data[slot] ?? 0;
      }
    }
    const poolRows = make.i32(poolCount * POOL_W);
    // Without member settings or checks every member has the defaults: no rows (compact.ts MEMBER_DEFAULTS).
    const recMember = this.recMember;
    const memberRows = make.i32(recMember || this.checks.size > 0 ? memberCount * MEMBER_W : 0);
    const targets = new TargetRowsBuilder(apex, make, this.checks.size > 0 ? memberCount : 0);
    let memberAt = 0;
    let poolAt = 0;
    const configs: PoolConfig[] = [];
    const configIndex = new Map<PoolConfig, number>();
    const capacity = 1 << Math.max(4, Math.ceil(Math.log2(nodeCount * 2 + 1)));
    const hash = make.i32(capacity);
    let charAt = 0;
    const put = (s: string): number => {
      const at = charAt;
      for (let i = 0; i < s.length; i++) chars[charAt++] = s.charCodeAt(i);
      return at;
    };
    let r = 0;
    let row = 0;
    for (let n = 0; n < nodeCount; n++) {
      const name = this.nodeName[n] as string;
      const display = this.nodeDisplay[n] as string;
      const lowerOff = put(name);
      const displayOff = display === name ? lowerOff : put(display);
      nodes[n * NODE_W] = lowerOff;
      nodes[n * NODE_W + 1] = name.length;
      nodes[n * NODE_W + 2] = displayOff;
      nodes[n * NODE_W + 3] = r;
      let h = hashString(name) & (capacity - 1);
      while (hash[h] !== 0) h = (h + 1) & (capacity - 1);
      hash[h] = n + 1;
      const annotated = this.nodePool[n];
      const firstRRset = r;
      for (let slot = this.nodeHead.data[n] ?? -1; slot >= 0; slot = this.slotNext.data[slot] ?? -1) {
        const type = this.slotType.data[slot] ?? 0;
        const from = this.rowStart[this.rrsetOfSlot[slot] ?? 0] ?? 0;
        const count = this.slotCount.data[slot] ?? 0;
        const ttl = records[from * RECORD_W] ?? 0;
        let pool = -1;
        if (this.pooled(n, slot)) {
          const config = annotated ?? DEFAULT_POOL_CONFIG;
          let c = configIndex.get(config);
          if (c === undefined) {
            c = configs.length;
            configs.push(config);
            configIndex.set(config, c);
          }
          pool = poolAt;
          const p = poolAt * POOL_W;
          poolRows[p] = r;
          poolRows[p + 1] = c;
          poolRows[p + 2] = config.ttl ?? ttl;
          poolRows[p + 3] = n;
          poolAt++;
          const check = config.check === undefined ? undefined : this.checks.get(config.check);
          if (memberRows.length > 0) {
            for (let k = 0; k < count; k++) {
              const bits = recMember?.[this.fileRecord(from + k)] ?? 0;
              const m = memberAt * MEMBER_W;
              memberRows[m] = bits === 0 ? 1 : bits & ((1 << MEMBER_PRIORITY_SHIFT) - 1);
              memberRows[m + 1] = bits === 0 ? 1 : (bits >>> MEMBER_PRIORITY_SHIFT) & 0xffff;
              memberRows[m + 2] = (bits & MEMBER_BACKUP) !== 0 ? 1 : 0;
              memberRows[m + 3] = check ? this.targetOf(check, records, ipv4, from + k, targets) : -1;
              memberRows[m + 4] = -1;
              memberAt++;
            }
          }
        } else if (recMember) {
          // Settings on a record that is not a pool member: the full pipeline warns (ZONE_ANNOTATION_UNUSED).
          for (let k = 0; k < count; k++) if ((recMember[this.fileRecord(from + k)] ?? 0) !== 0) decline();
        }
        rrsets[r * RRSET_W] = type;
        rrsets[r * RRSET_W + 1] = ttl;
        rrsets[r * RRSET_W + 2] = row;
        rrsets[r * RRSET_W + 3] = count;
        rrsets[r * RRSET_W + 4] = pool;
        row += count;
        r++;
      }
      nodes[n * NODE_W + 4] = r - firstRRset;
    }
    const memberStart = make.i32(poolCount + 1);
    for (let p = 0; p < poolCount; p++) memberStart[p + 1] = (memberStart[p] ?? 0) + (rrsets[(poolRows[p * POOL_W] ?? 0) * RRSET_W + 3] ?? 0);
    return {
      memberStart,
      version: 1,
      origin: apex,
      display: soa.display,
      file: this.file,
      size: this.recordCount,
      files: [this.file],
      checks: [...this.checks.values()],
      targets: targets.finish(memberRows, MEMBER_W, 3, memberStart),
      sites: [],
      maps: [],
      configs,
      others: this.others,
      chars,
      nodes,
      rrsets,
      records,
      ipv4,
      ipv6: this.ipv6Column(),
      pools: poolRows,
      members: memberRows,
      hash,
      cuts: make.i32(0),
      apex: this.byName.get(apex) ?? 0,
    };
  }
}
