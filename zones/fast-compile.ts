/**
 * The fast lane of the zone compiler: zone text straight into the compact form (compact.ts),
 * with no object per record, for the shape large zones have: many names, each with A records
 * (plain or as a `;@pool`), and a few other records (SOA, NS, MX, TXT, a single AAAA ...).
 *
 * It only accepts what it is sure the full pipeline (parse.ts → validate.ts → compile.ts) would
 * compile to the same zone with no error and no warning. Anything else, and every error, makes it
 * decline (undefined), and the caller runs the full pipeline, which reports exactly as before
 * (`file:line:column`). Declined: $INCLUDE, CR bytes, escapes, `;@check`, member settings, CNAME,
 * NS below the apex, AAAA pools, names outside the apex, duplicates, TTL disagreements, TTLs with
 * units. Entries other than A records go through the full parser one at a time (parseZone on
 * that entry, with the origin, owner and TTL in force), so their rdata is the parser's own.
 * test/unit/zones/fast-compile.test.ts holds both lanes to the same zone.
 */
import { DEFAULT_POOL_CONFIG, RRType, type PoolConfig, type Rdata } from '../model/zone.js';
import { MAX_TTL } from './ttl.js';
import { isSubdomain, originOf, parentName, parseName, type NameOrigin } from './names.js';
import { parsePoolAnnotation, splitAnnotation, type AnnotationContext } from './annotations.js';
import { parseZone } from './parse.js';
import { hashString, IntRows as Ints, MEMBER_W, NODE_W, POOL_W, RECORD_W, RRSET_W, TRANSFERABLE_ARRAYS, type ArrayMaker, type CompactZoneData } from './compact.js';

interface Node {
  readonly name: string;
  readonly display: string;
  /** Types in order of first appearance. */
  readonly types: number[];
  /** Records per type (same order). */
  readonly counts: number[];
  /** The node's first RRset index (set in finish). */
  first: number;
}

class Decline extends Error {}

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
  private readonly nodes: Node[] = [];
  private readonly byName = new Map<string, number>();
  // Records, by number; sized for one record a line (constructor), so they never grow.
  private readonly recTtl: Ints;
  private readonly recIpv4: Ints;
  /** >= 0: IPv4 (in recIpv4); < 0: -(others index + 1). */
  private readonly recRef: Ints;
  private readonly recLine: Ints;
  /** Node of each record, and its type's slot in the node's types. */
  private readonly recNode: Ints;
  private readonly recSlot: Ints;
  private hasQuotes = false;
  private hasParens = false;
  /** Records ordered by RRset (finish): order[i] is the record number at row i; rrset rows start at rowStart[rrset]. */
  private order = new Int32Array(0);
  private rowStart = new Int32Array(0);
  private readonly recColumn: Ints;
  private readonly others: Rdata[] = [];
  /** Other-rdata keys per (record), to find duplicates. */
  private readonly otherKeys = new Map<number, string>();
  private readonly pools = new Map<string, PoolConfig>();
  private readonly poolConfigCache = new Map<string, PoolConfig>();
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
    this.recTtl = new Ints(rows);
    this.recIpv4 = new Ints(rows);
    this.recRef = new Ints(rows);
    this.recLine = new Ints(rows);
    this.recNode = new Ints(rows);
    this.recSlot = new Ints(rows);
    this.recColumn = new Ints(rows);
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
      if (text.charCodeAt(i + 1) === 64) this.poolLine(i + 2, end, line, i - start + 1);
      return;
    }
    if (c === 36 /* $ */) {
      if (i !== start || multiLine) decline();
      return this.directive(start, end);
    }
    if (multiLine || (this.hasQuotes && text.slice(start, end).includes('"'))) return this.other(start, end, line);
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
    const isA = t1 - t0 === 1 && (text.charCodeAt(t0) | 0x20) === 97;
    if (!isA) return this.other(start, end, line);
    const a0 = this.skip(t1, end);
    const a1 = this.tokenEnd(a0, end);
    const rest = this.skip(a1, end);
    if (rest < end && text.charCodeAt(rest) !== 59) decline(); // more rdata than an address
    if (rest < end && text.charCodeAt(rest + 1) === 64) decline(); // member settings: full pipeline
    const address = ipv4At(text, a0, a1);
    if (address < 0) decline();
    if (ttl < 0) {
      const inherited = this.defaultTtl ?? this.lastTtl;
      if (inherited === undefined) decline();
      ttl = inherited as number;
    }
    if (!owner) return decline();
    this.owner = owner;
    this.lastTtl = ttl;
    this.addRecord(owner, RRType.A, ttl, address, undefined, line, isSpace(text.charCodeAt(start)) ? firstColumn : 1);
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
    const token = this.text.slice(start, end);
    if (token === this.ownerToken && this.ownerOrigin === this.origin && this.owner) return this.owner;
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

  /** `;@pool OWNER key=value...` (after `;@`); anything else declines. */
  private poolLine(start: number, end: number, line: number, column: number): void {
    const text = this.text;
    let p = this.skip(start, end);
    const headEnd = this.wordEnd(p, end);
    if (text.slice(p, headEnd) !== 'pool') decline();
    p = this.skip(headEnd, end);
    const ownerEnd = this.wordEnd(p, end);
    const ownerToken = text.slice(p, ownerEnd);
    const owner = parseName(ownerToken, this.origin);
    if (!owner.ok) decline();
    // Pool lines of a large zone mostly repeat their settings: the last ones are reused unsliced.
    let config: PoolConfig | undefined;
    const last = this.lastPool;
    if (last && last.origin === this.origin && end - ownerEnd === last.rest.length && text.startsWith(last.rest, ownerEnd)) config = last.config;
    const rest = config ? '' : text.slice(ownerEnd, end);
    const key = config ? '' : `${this.origin?.display ?? ''}\u0000${rest}`;
    if (!config) config = this.poolConfigCache.get(key);
    if (!config) {
      let failed = false;
      const ctx: AnnotationContext = { file: this.file, line, origin: this.origin, fail: () => (failed = true) };
      const words = splitAnnotation(text.slice(start, end), column + 2, ctx);
      const parsed = words && words[0]?.key === 'pool' && words[0].value === undefined ? parsePoolAnnotation(words.slice(1), ctx, column) : undefined;
      if (!parsed || failed) return decline();
      config = parsed.config;
      this.poolConfigCache.set(key, config);
    }
    if (rest !== '') this.lastPool = { origin: this.origin, rest, config };
    if (config.check !== undefined || config.map !== undefined) decline();
    if (!owner.ok) return;
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
    this.others.push(rr.rdata);
    this.addRecord(owner, rr.type, rr.ttl, 0, this.others.length - 1, line, column);
  }

  private addRecord(owner: { name: string; display: string }, type: number, ttl: number, ipv4: number, other: number | undefined, line: number, column: number): void {
    let n = owner === this.lastOwner ? this.lastNode : this.byName.get(owner.name);
    if (n === undefined) {
      n = this.nodes.length;
      this.nodes.push({ name: owner.name, display: owner.display, types: [], counts: [], first: 0 });
      this.byName.set(owner.name, n);
    }
    this.lastOwner = owner;
    this.lastNode = n;
    const node = this.nodes[n] as Node;
    let t = node.types.indexOf(type);
    if (t < 0) {
      t = node.types.length;
      node.types.push(type);
      node.counts.push(0);
    }
    node.counts[t] = (node.counts[t] ?? 0) + 1;
    this.recordCount++;
    this.recNode.push(n);
    this.recSlot.push(t);
    this.recTtl.push(ttl);
    this.recIpv4.push(ipv4);
    this.recRef.push(other === undefined ? 0 : -(other + 1));
    this.recLine.push(line);
    this.recColumn.push(column);
    if (type === RRType.SOA) {
      if (this.soa) decline();
      this.soa = { node: n, display: owner.display };
    }
  }

  private finish(): CompactZoneData {
    const soa = this.soa;
    if (!soa) return decline();
    const apexNode = this.nodes[soa.node] as Node;
    const apex = apexNode.name;
    if (!apexNode.types.includes(RRType.NS)) decline();
    // RRsets numbered node by node, types in order of first appearance; records placed by RRset, in file order.
    let rrsetCount = 0;
    for (const node of this.nodes) {
      node.first = rrsetCount;
      rrsetCount += node.types.length;
    }
    const rowStart = new Int32Array(rrsetCount + 1);
    for (const node of this.nodes) for (let t = 0; t < node.types.length; t++) rowStart[node.first + t + 1] = node.counts[t] ?? 0;
    for (let r = 0; r < rrsetCount; r++) rowStart[r + 1] = (rowStart[r + 1] ?? 0) + (rowStart[r] ?? 0);
    const fill = rowStart.slice(0, rrsetCount);
    const order = new Int32Array(this.recordCount);
    const recNode = this.recNode.data;
    const recSlot = this.recSlot.data;
    for (let rec = 0; rec < this.recordCount; rec++) {
      const rr = (this.nodes[recNode[rec] ?? 0] as Node).first + (recSlot[rec] ?? 0);
      order[fill[rr] ?? 0] = rec;
      fill[rr] = (fill[rr] ?? 0) + 1;
    }
    this.order = order;
    this.rowStart = rowStart;
    // Semantic checks the full pipeline would report: decline, and let it.
    for (let n = 0; n < this.nodes.length; n++) {
      const node = this.nodes[n] as Node;
      if (!isSubdomain(node.name, apex)) decline();
      for (let t = 0; t < node.types.length; t++) {
        const type = node.types[t] as number;
        const count = node.counts[t] ?? 0;
        if (type === RRType.NS && node.name !== apex) decline();
        if (type === RRType.SOA && node.name !== apex) decline();
        if (type === RRType.AAAA && (count > 1 || this.pools.has(node.name))) decline();
        this.checkRRset(rowStart[node.first + t] ?? 0, count);
      }
    }
    for (const name of this.pools.keys()) {
      const n = this.byName.get(name);
      if (n === undefined || !(this.nodes[n] as Node).types.includes(RRType.A)) decline();
    }

    // Empty non-terminals, after the owners (as compile.ts adds them).
    const ownerCount = this.nodes.length;
    for (let n = 0; n < ownerCount; n++) {
      const node = this.nodes[n] as Node;
      let name = parentName(node.name);
      let display = parentName(node.display);
      while (name !== undefined && display !== undefined && name.length >= apex.length && !this.byName.has(name)) {
        this.byName.set(name, this.nodes.length);
        this.nodes.push({ name, display, types: [], counts: [], first: 0 });
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
    const order = this.order;
    const ttls = this.recTtl.data;
    const refs = this.recRef.data;
    const ips = this.recIpv4.data;
    const ttl = ttls[order[from] ?? 0];
    for (let i = from; i < from + count; i++) {
      const r = order[i] ?? 0;
      if (ttls[r] !== ttl) decline();
      const ref = refs[r] ?? 0;
      if (count <= 16 && ref >= 0) {
        for (let j = from; j < i; j++) {
          const q = order[j] ?? 0;
          if ((refs[q] ?? 0) >= 0 && ips[q] === ips[r]) decline();
        }
      }
    }
    if (count > 16 || (refs[order[from] ?? 0] ?? 0) < 0) {
      const seen = new Set<number | string>();
      for (let i = from; i < from + count; i++) {
        const r = order[i] ?? 0;
        const ref = refs[r] ?? 0;
        const key = ref < 0 ? this.otherKey(-ref - 1) : (ips[r] ?? 0);
        if (seen.has(key)) decline();
        seen.add(key);
      }
    }
  }

  private otherKey(i: number): string {
    let key = this.otherKeys.get(i);
    if (key === undefined) {
      key = JSON.stringify(this.others[i], (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : typeof v === 'string' ? v.toLowerCase() : v));
      this.otherKeys.set(i, key);
    }
    return key;
  }

  /** Whether the node's t-th RRset is a pool: A records, several or annotated. */
  private pooled(node: Node, t: number): boolean {
    const count = node.counts[t] ?? 0;
    return node.types[t] === RRType.A && (count >= 2 || (count >= 1 && this.pools.has(node.name)));
  }

  private encode(apex: string, soa: { node: number; display: string }): CompactZoneData {
    const nodeCount = this.nodes.length;
    let charCount = 0;
    let rrsetCount = 0;
    for (const node of this.nodes) {
      charCount += node.name.length + (node.display === node.name ? 0 : node.display.length);
      rrsetCount += node.types.length;
    }
    const make = this.arrays;
    const chars = make.u16(charCount);
    const nodes = make.i32(nodeCount * NODE_W);
    const rrsets = make.i32(rrsetCount * RRSET_W);
    const records = make.i32(this.recordCount * RECORD_W);
    const ipv4 = make.u32(this.recordCount);
    // Pools and members counted first: their rows are written in place, not grown and copied.
    let poolCount = 0;
    let memberCount = 0;
    for (const node of this.nodes) {
      for (let t = 0; t < node.types.length; t++) {
        const count = node.counts[t] ?? 0;
        if (this.pooled(node, t)) {
          poolCount++;
          memberCount += count;
        }
      }
    }
    const poolRows = make.i32(poolCount * POOL_W);
    const memberRows = make.i32(memberCount * MEMBER_W);
    let poolAt = 0;
    let memberAt = 0;
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
    const order = this.order;
    const recTtl = this.recTtl.data;
    const recRef = this.recRef.data;
    const recLine = this.recLine.data;
    const recColumn = this.recColumn.data;
    const recIpv4 = this.recIpv4.data;
    let r = 0;
    let row = 0;
    for (let n = 0; n < nodeCount; n++) {
      const node = this.nodes[n] as Node;
      const lowerOff = put(node.name);
      const displayOff = node.display === node.name ? lowerOff : put(node.display);
      nodes[n * NODE_W] = lowerOff;
      nodes[n * NODE_W + 1] = node.name.length;
      nodes[n * NODE_W + 2] = displayOff;
      nodes[n * NODE_W + 3] = r;
      nodes[n * NODE_W + 4] = node.types.length;
      let slot = hashString(node.name) & (capacity - 1);
      while (hash[slot] !== 0) slot = (slot + 1) & (capacity - 1);
      hash[slot] = n + 1;
      const annotated = this.pools.get(node.name);
      for (let t = 0; t < node.types.length; t++) {
        const type = node.types[t] as number;
        const from = this.rowStart[node.first + t] ?? 0;
        const count = node.counts[t] ?? 0;
        const ttl = this.recTtl.get(this.order[from] ?? 0);
        let pool = -1;
        if (this.pooled(node, t)) {
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
          for (let k = 0; k < count; k++) {
            // Weight 1, priority 1, not a backup, no target, no site.
            const m = memberAt * MEMBER_W;
            memberRows[m] = 1;
            memberRows[m + 1] = 1;
            memberRows[m + 3] = -1;
            memberRows[m + 4] = -1;
            memberAt++;
          }
        }
        rrsets[r * RRSET_W] = type;
        rrsets[r * RRSET_W + 1] = ttl;
        rrsets[r * RRSET_W + 2] = row;
        rrsets[r * RRSET_W + 3] = count;
        rrsets[r * RRSET_W + 4] = pool;
        for (let k = 0; k < count; k++) {
          const rec = order[from + k] ?? 0;
          const base = row * RECORD_W;
          const ref = recRef[rec] ?? 0;
          records[base] = recTtl[rec] ?? 0;
          records[base + 1] = ref;
          records[base + 3] = recLine[rec] ?? 0;
          records[base + 4] = recColumn[rec] ?? 0;
          ipv4[row] = ref < 0 ? 0 : (recIpv4[rec] ?? 0) >>> 0;
          row++;
        }
        r++;
      }
    }
    const memberStart = make.i32(poolCount + 1);
    for (let p = 0; p < poolCount; p++) memberStart[p + 1] = (memberStart[p] ?? 0) + (rrsets[(poolRows[p * POOL_W] ?? 0) * RRSET_W + 3] ?? 0);
    return {
      memberStart,
      checkedPools: make.i32(0),
      version: 1,
      origin: apex,
      display: soa.display,
      file: this.file,
      size: this.recordCount,
      files: [this.file],
      checks: [],
      targets: [],
      sites: [],
      maps: [],
      configs,
      others: this.others,
      chars,
      nodes,
      rrsets,
      records,
      ipv4,
      pools: poolRows,
      members: memberRows,
      hash,
      cuts: make.i32(0),
      apex: this.byName.get(apex) ?? 0,
    };
  }
}
