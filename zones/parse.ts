/**
 * Master-file syntax (RFC 1035 §5, $TTL from RFC 2308 §4, unknown types from RFC 3597) into
 * records and Rondo's `;@` annotations. The parser never stops at the first error: it drops the
 * bad entry, resumes at the next line (after the closing parenthesis for a multi-line entry),
 * and collects every error so `zone-check` can print them all.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ZoneSyntaxError } from '../lib/errors.js';
import { RondoError } from '../lib/errors.js';
import { RRType, type Rdata, type ResourceRecord } from '../model/zone.js';
import type { ZoneCode } from './codes.js';
import { zoneError } from './diagnostics.js';
import { Lexer, WORD, QUOTED, ANNOTATION, EOL, EOF } from './lexer.js';
import { originOf, parseName, type NameOrigin } from './names.js';
import { KNOWN_TYPES, parseRdata, typeFromText, type RdataFields } from './rdata.js';
import { parseIPv4 } from '../lib/ip.js';
import { parseTtl, MAX_TTL } from './ttl.js';
import {
  splitAnnotation,
  parseCheckAnnotation,
  parsePoolAnnotation,
  parseMemberAnnotation,
  type AnnotationContext,
  type ParsedCheck,
  type ParsedPool,
  type ParsedMember,
} from './annotations.js';

/** RFC 1035 does not bound $INCLUDE nesting; we do. */
export const MAX_INCLUDE_DEPTH = 16;

export interface ParseOptions {
  /** The initial $ORIGIN (absolute; a missing trailing dot is added). Default: from the file name. */
  readonly origin?: string;
  /** Let $INCLUDE reach files outside the top zone file's directory. */
  readonly allowIncludeOutside?: boolean;
  /** Reads an $INCLUDE file (absolute path); default readFileSync. Throw to report it unreadable. */
  readonly readInclude?: (file: string) => string;
}

export interface ParsedZone {
  readonly file: string;
  /** The origin the zone was parsed for: options.origin or the one derived from the file name (lowercase). */
  readonly initialOrigin: string | undefined;
  /** True when the origin came from the caller, so the SOA must sit there. */
  readonly originGiven: boolean;
  /** In file order, $INCLUDEd records in place. */
  readonly records: ResourceRecord[];
  readonly members: Map<ResourceRecord, ParsedMember>;
  readonly checks: ParsedCheck[];
  readonly pools: ParsedPool[];
  readonly errors: ZoneSyntaxError[];
  readonly warnings: ZoneSyntaxError[];
  /** `${name}/${type}` of records dropped for errors, so semantic checks do not pile on. */
  readonly failedRecords: Set<string>;
  readonly failedTypes: Set<number>;
  readonly failedChecks: Set<string>;
  /** Every file read or asked for, as error messages name them; the top file first. */
  readonly files: string[];
  /** Absolute paths of the same files (for watching). */
  readonly resolvedFiles: string[];
  /** For each $INCLUDEd file, the line of the top file's $INCLUDE that brought it in (to order errors). */
  readonly includeAnchors: Map<string, number>;
}

interface SharedState {
  readonly zone: ParsedZone;
  readonly rootDir: string;
  readonly stack: string[];
  readonly options: ParseOptions;
}

/** Where a file's parse starts: what an $INCLUDE inherits from the including file. */
interface FileContext {
  origin: NameOrigin | undefined;
  owner: { name: string; display: string } | undefined;
  defaultTtl: number | undefined;
  lastTtl: number | undefined;
}

/** `example.test.zone` → `example.test.`; undefined when the file name is not a usable name. */
export function originFromFileName(file: string): string | undefined {
  let base = path.basename(file);
  if (base.endsWith('.zone')) base = base.slice(0, -'.zone'.length);
  if (base === '') return undefined;
  const parsed = parseName(base.endsWith('.') ? base : base + '.', undefined);
  return parsed.ok ? parsed.display : undefined;
}

export function parseZone(text: string, file: string, options: ParseOptions = {}): ParsedZone {
  let origin: NameOrigin | undefined;
  if (options.origin !== undefined) {
    const o = options.origin.endsWith('.') ? options.origin : options.origin + '.';
    const parsed = parseName(o, undefined);
    if (parsed.ok) origin = originOf(parsed.display);
  } else {
    const derived = originFromFileName(file);
    if (derived) origin = originOf(derived);
  }
  const resolved = path.resolve(file);
  const zone: ParsedZone = {
    file,
    initialOrigin: origin?.display.toLowerCase(),
    originGiven: options.origin !== undefined,
    records: [],
    members: new Map(),
    checks: [],
    pools: [],
    errors: [],
    warnings: [],
    failedRecords: new Set(),
    failedTypes: new Set(),
    failedChecks: new Set(),
    files: [file],
    resolvedFiles: [resolved],
    includeAnchors: new Map(),
  };
  if (options.origin !== undefined && !origin) {
    zone.errors.push(zoneError('ZONE_BAD_NAME', `bad origin "${options.origin}"`, { file, line: 1, column: 1 }));
  }
  const state: SharedState = { zone, rootDir: path.dirname(resolved), stack: [resolved], options };
  new FileParser(text, file, state, { origin, owner: undefined, defaultTtl: undefined, lastTtl: undefined }).run();
  return zone;
}

class FileParser implements RdataFields {
  private readonly lexer: Lexer;
  private readonly errors: ZoneSyntaxError[];
  // The current entry's tokens, in reused parallel arrays (no object per token).
  private n = 0;
  private readonly kinds: number[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly lines: number[] = [];
  private readonly columns: number[] = [];
  private readonly escapes: boolean[] = [];
  private annotationCount = 0;
  private readonly annotations: { start: number; end: number; line: number; column: number }[] = [];
  // The record being parsed: rdata fields are tokens rdOffset .. rdOffset+count-1.
  private rdOffset = 0;
  count = 0;
  private recordFailed = false;
  // Owner-name cache: consecutive records usually share the owner token.
  private cachedOwnerToken = '';
  private cachedOwnerOrigin: NameOrigin | undefined;
  private cachedOwner: { name: string; display: string } | undefined;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly state: SharedState,
    private readonly ctx: FileContext,
  ) {
    this.errors = state.zone.errors;
    this.lexer = new Lexer(src, (code, detail, line, column, token) => this.errorAt(code, detail, line, column, token));
  }

  get origin(): NameOrigin | undefined {
    return this.ctx.origin;
  }

  run(): void {
    const lx = this.lexer;
    for (;;) {
      const kind = lx.next();
      if (kind === EOF) break;
      if (kind === EOL) {
        if (!lx.entryFailed) this.entry();
        lx.entryFailed = false;
        this.n = 0;
        this.annotationCount = 0;
        continue;
      }
      if (lx.entryFailed) continue;
      if (kind === ANNOTATION) {
        const a = this.annotations[this.annotationCount];
        if (a) {
          a.start = lx.start;
          a.end = lx.end;
          a.line = lx.line;
          a.column = lx.column;
        } else {
          this.annotations.push({ start: lx.start, end: lx.end, line: lx.line, column: lx.column });
        }
        this.annotationCount++;
        continue;
      }
      const i = this.n++;
      this.kinds[i] = kind;
      this.starts[i] = lx.start;
      this.ends[i] = lx.end;
      this.lines[i] = lx.line;
      this.columns[i] = lx.column;
      this.escapes[i] = lx.escaped;
    }
  }

  // ---- errors

  private errorAt(code: ZoneCode, detail: string, line: number, column: number, token?: string): void {
    this.errors.push(zoneError(code, detail, { file: this.file, line, column }, token));
  }

  private tokenError(i: number, code: ZoneCode, detail: string): void {
    const k = Math.min(Math.max(i, 0), this.n - 1);
    this.errorAt(code, detail, this.lines[k] ?? 1, this.columns[k] ?? 1, k >= 0 ? this.token(k) : undefined);
  }

  private token(i: number): string {
    return this.src.slice(this.starts[i], this.ends[i]);
  }

  // ---- RdataFields (the current record's rdata)

  text(i: number): string {
    return this.token(this.rdOffset + i);
  }
  quoted(i: number): boolean {
    return this.kinds[this.rdOffset + i] === QUOTED;
  }
  escaped(i: number): boolean {
    return this.escapes[this.rdOffset + i] === true;
  }
  fail(i: number, code: ZoneCode, detail: string): void {
    this.recordFailed = true;
    this.tokenError(i < this.count ? this.rdOffset + i : this.rdOffset + this.count - 1, code, detail);
  }

  // ---- entries

  private entry(): void {
    if (this.n === 0) {
      for (let a = 0; a < this.annotationCount; a++) this.standaloneAnnotation(a);
      return;
    }
    if (this.kinds[0] === WORD && this.src.charCodeAt(this.starts[0] ?? 0) === 36 /* $ */) {
      this.directive();
      if (this.annotationCount > 0) {
        const a = this.annotations[0];
        if (a) this.errorAt('ZONE_UNKNOWN_ANNOTATION', 'a ;@ annotation cannot follow a directive', a.line, a.column, ';@');
      }
      return;
    }
    this.record();
  }

  private directive(): void {
    const name = this.token(0).toUpperCase();
    const args = this.n - 1;
    if (name === '$ORIGIN') {
      if (args !== 1) return this.tokenError(args === 0 ? 0 : 2, 'ZONE_BAD_DIRECTIVE', '$ORIGIN takes one domain name');
      const parsed = this.kinds[1] === QUOTED ? undefined : parseName(this.token(1), this.ctx.origin);
      if (!parsed) return this.tokenError(1, 'ZONE_BAD_NAME', '$ORIGIN name cannot be quoted');
      if (!parsed.ok) return this.tokenError(1, parsed.code, parsed.detail);
      this.ctx.origin = originOf(parsed.display);
    } else if (name === '$TTL') {
      if (args !== 1) return this.tokenError(args === 0 ? 0 : 2, 'ZONE_BAD_DIRECTIVE', '$TTL takes one TTL');
      const ttl = this.ttlToken(1);
      if (ttl !== undefined) this.ctx.defaultTtl = ttl;
    } else if (name === '$INCLUDE') {
      if (args < 1 || args > 2) return this.tokenError(args === 0 ? 0 : 3, 'ZONE_BAD_DIRECTIVE', '$INCLUDE takes a file name and an optional origin');
      this.include();
    } else {
      this.tokenError(0, 'ZONE_UNKNOWN_DIRECTIVE', `unknown directive "${this.token(0)}" ($ORIGIN, $TTL and $INCLUDE are supported)`);
    }
  }

  private include(): void {
    const zone = this.state.zone;
    const arg = this.token(1);
    const shown = path.isAbsolute(arg) ? arg : path.join(path.dirname(this.file), arg);
    const resolved = path.resolve(path.dirname(path.resolve(this.file)), arg);
    let origin = this.ctx.origin;
    if (this.n === 3) {
      const parsed = this.kinds[2] === QUOTED ? undefined : parseName(this.token(2), this.ctx.origin);
      if (!parsed) return this.tokenError(2, 'ZONE_BAD_NAME', '$INCLUDE origin cannot be quoted');
      if (!parsed.ok) return this.tokenError(2, parsed.code, parsed.detail);
      origin = originOf(parsed.display);
    }
    const relative = path.relative(this.state.rootDir, resolved);
    if (!this.state.options.allowIncludeOutside && (relative.startsWith('..') || path.isAbsolute(relative))) {
      return this.tokenError(1, 'ZONE_INCLUDE_OUTSIDE', `$INCLUDE "${arg}" is outside the zone's directory ${this.state.rootDir} (set allowIncludeOutside to permit)`);
    }
    if (this.state.stack.includes(resolved)) {
      return this.tokenError(1, 'ZONE_INCLUDE_CYCLE', `$INCLUDE "${arg}" includes itself (cycle: ${[...this.state.stack, resolved].map((f) => path.basename(f)).join(' -> ')})`);
    }
    if (this.state.stack.length > MAX_INCLUDE_DEPTH) {
      return this.tokenError(1, 'ZONE_INCLUDE_DEPTH', `$INCLUDE nested deeper than ${MAX_INCLUDE_DEPTH} files`);
    }
    if (!zone.resolvedFiles.includes(resolved)) {
      zone.files.push(shown);
      zone.resolvedFiles.push(resolved);
    }
    if (!zone.includeAnchors.has(shown)) {
      zone.includeAnchors.set(shown, this.file === zone.file ? (this.lines[0] ?? 0) : (zone.includeAnchors.get(this.file) ?? 0));
    }
    let text: string;
    try {
      text = (this.state.options.readInclude ?? ((f: string) => readFileSync(f, 'utf8')))(resolved);
    } catch (err) {
      if (err instanceof RondoError && err.code === 'ZONE_INCLUDE_OUTSIDE') return this.tokenError(1, 'ZONE_INCLUDE_OUTSIDE', err.message);
      const why = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
      return this.tokenError(1, 'ZONE_INCLUDE_UNREADABLE', `cannot read $INCLUDE file "${arg}" (${why})`);
    }
    // RFC 1035 §5.1: the included file starts from this origin; nothing it changes leaks back.
    this.state.stack.push(resolved);
    new FileParser(text, shown, this.state, { ...this.ctx, origin }).run();
    this.state.stack.pop();
  }

  /** A TTL token: seconds, or undefined after reporting. */
  private ttlToken(i: number): number | undefined {
    const text = this.token(i);
    const ttl = this.kinds[i] === QUOTED ? -1 : parseTtl(text);
    if (ttl < 0) {
      this.tokenError(i, 'ZONE_BAD_TTL', `bad TTL "${text}" (seconds, or units such as 1h30m, 2d, 1w)`);
      return undefined;
    }
    if (ttl > MAX_TTL) {
      this.tokenError(i, 'ZONE_TTL_RANGE', `TTL ${ttl} is above ${MAX_TTL} (RFC 2181 §8)`);
      return undefined;
    }
    return ttl;
  }

  private ownerToken(): { name: string; display: string } | undefined {
    if (this.kinds[0] === QUOTED) {
      this.tokenError(0, 'ZONE_BAD_NAME', 'an owner name cannot be quoted');
      return undefined;
    }
    const token = this.token(0);
    if (token === this.cachedOwnerToken && this.cachedOwnerOrigin === this.ctx.origin && this.cachedOwner) return this.cachedOwner;
    const parsed = parseName(token, this.ctx.origin);
    if (!parsed.ok) {
      this.tokenError(0, parsed.code, parsed.detail);
      return undefined;
    }
    const owner = { name: parsed.name, display: parsed.display };
    this.cachedOwnerToken = token;
    this.cachedOwnerOrigin = this.ctx.origin;
    this.cachedOwner = owner;
    return owner;
  }

  private record(): void {
    const n = this.n;
    let i = 0;
    let owner = this.ctx.owner;
    if (this.columns[0] === 1) {
      owner = this.ownerToken();
      if (!owner) return;
      i = 1;
    } else if (!owner) {
      return this.tokenError(0, 'ZONE_NO_OWNER', 'record with a blank owner, but no earlier record to take it from');
    }
    this.ctx.owner = owner;

    // [TTL] [class] or [class] [TTL] (RFC 1035 §5.1)
    let ttl = -1;
    let sawClass = false;
    for (let k = 0; k < 2 && i < n; k++) {
      const c = this.src.charCodeAt(this.starts[i] ?? 0);
      if (c >= 48 && c <= 57 && this.kinds[i] === WORD) {
        if (ttl >= 0) break;
        const t = this.plainNumber(i) ?? this.ttlToken(i);
        if (t === undefined) return;
        ttl = t;
        i++;
      } else if (!sawClass && this.isIN(i)) {
        sawClass = true;
        i++;
      } else if (!sawClass && this.kinds[i] === WORD && this.isClassToken(i)) {
        if (!this.checkClass(i)) return;
        sawClass = true;
        i++;
      } else {
        break;
      }
    }
    if (i >= n) return this.tokenError(n - 1, 'ZONE_UNKNOWN_TYPE', 'record has no type');
    const fastA = this.isSingleA(i);
    const typeText = fastA ? 'A' : this.token(i);
    let type: number | undefined = fastA ? RRType.A : KNOWN_TYPES.get(typeText);
    if (type === undefined) {
      const t = this.kinds[i] === QUOTED ? { code: 'ZONE_UNKNOWN_TYPE' as const, detail: `unknown record type "${typeText}"` } : typeFromText(typeText);
      if (typeof t !== 'number') {
        const classLike = /^(CH|HS|CS|NONE|ANY|CLASS\d+)$/i.test(typeText);
        return this.tokenError(i, classLike ? 'ZONE_BAD_CLASS' : t.code, classLike ? `class ${typeText} is not supported (only IN)` : t.detail);
      }
      type = t;
    }
    if (ttl < 0) {
      const inherited = this.ctx.defaultTtl ?? this.ctx.lastTtl;
      if (inherited === undefined) {
        this.markFailed(owner.name, type);
        return this.tokenError(i, 'ZONE_NO_TTL', 'record has no TTL, and there is no $TTL or earlier record to take it from');
      }
      ttl = inherited;
    }

    this.rdOffset = i + 1;
    this.count = n - i - 1;
    this.recordFailed = false;
    let rdata: Rdata | undefined;
    if (type === RRType.A && this.count === 1 && this.kinds[i + 1] === WORD) {
      // Fast path for the most common record in a large zone.
      const address = parseIPv4(this.token(i + 1));
      if (address !== undefined) rdata = { kind: 'A', address };
      else this.fail(0, 'ZONE_BAD_IPV4', `bad IPv4 address "${this.token(i + 1)}" in A record`);
    } else {
      rdata = parseRdata(type, this);
    }
    if (!rdata || this.recordFailed) return this.markFailed(owner.name, type);

    this.ctx.lastTtl = ttl;
    const rr: ResourceRecord = {
      name: owner.name,
      display: owner.display,
      type,
      ttl,
      rdata,
      source: { file: this.file, line: this.lines[0] ?? 1, column: this.columns[0] ?? 1 },
    };
    this.state.zone.records.push(rr);
    if (this.annotationCount > 0) this.memberAnnotation(rr);
  }

  private markFailed(name: string, type: number): void {
    this.state.zone.failedRecords.add(`${name}/${type}`);
    this.state.zone.failedTypes.add(type);
  }

  // Allocation-free checks for the common tokens of a large zone ("300", "IN", "A").

  /** A plain decimal TTL up to 9 digits, read in place; undefined: let ttlToken decide. */
  private plainNumber(i: number): number | undefined {
    const start = this.starts[i] ?? 0;
    const end = this.ends[i] ?? 0;
    if (end - start > 9) return undefined;
    let value = 0;
    for (let k = start; k < end; k++) {
      const c = this.src.charCodeAt(k);
      if (c < 48 || c > 57) return undefined;
      value = value * 10 + (c - 48);
    }
    return value;
  }

  private isIN(i: number): boolean {
    const start = this.starts[i] ?? 0;
    return this.kinds[i] === WORD && this.ends[i] === start + 2 && (this.src.charCodeAt(start) | 0x20) === 105 && (this.src.charCodeAt(start + 1) | 0x20) === 110;
  }

  private isSingleA(i: number): boolean {
    const start = this.starts[i] ?? 0;
    return this.kinds[i] === WORD && this.ends[i] === start + 1 && (this.src.charCodeAt(start) | 0x20) === 97;
  }

  private isClassToken(i: number): boolean {
    const t = this.token(i);
    if (t.length === 2) return (t === 'IN' || t.toUpperCase() === 'IN' || /^(CH|HS|CS)$/i.test(t));
    return /^(CLASS\d+|NONE|ANY)$/i.test(t);
  }

  private checkClass(i: number): boolean {
    const t = this.token(i).toUpperCase();
    if (t === 'IN' || t === 'CLASS1') return true;
    this.tokenError(i, 'ZONE_BAD_CLASS', `class ${this.token(i)} is not supported (only IN)`);
    return false;
  }

  // ---- annotations

  private annotationContext(line: number): AnnotationContext {
    return {
      file: this.file,
      line,
      origin: this.ctx.origin,
      fail: (code, detail, column, token) => this.errorAt(code, detail, line, column, token),
    };
  }

  private standaloneAnnotation(index: number): void {
    const a = this.annotations[index];
    if (!a) return;
    const ctx = this.annotationContext(a.line);
    const words = splitAnnotation(this.src.slice(a.start, a.end), a.column + 2, ctx);
    if (!words) return;
    const head = words[0];
    if (head?.key === 'check' && head.value === undefined) {
      const before = this.errors.length;
      const check = parseCheckAnnotation(words.slice(1), ctx, a.column);
      if (check) this.state.zone.checks.push(check);
      else if (this.errors.length > before && words[1]) this.state.zone.failedChecks.add(words[1].key);
    } else if (head?.key === 'pool' && head.value === undefined) {
      const pool = parsePoolAnnotation(words.slice(1), ctx, a.column);
      if (pool) this.state.zone.pools.push(pool);
    } else {
      const what = head ? `"${head.key}"` : 'nothing';
      this.errorAt('ZONE_UNKNOWN_ANNOTATION', `unknown annotation ${what}: a ;@ line must be ;@check or ;@pool (member settings go at the end of an A/AAAA record)`, a.line, a.column, ';@');
    }
  }

  private memberAnnotation(rr: ResourceRecord): void {
    if (rr.type !== RRType.A && rr.type !== RRType.AAAA) {
      const a = this.annotations[0];
      if (a) this.errorAt('ZONE_MEMBER_NOT_ADDRESS', 'member settings (;@ ...) are only allowed on A and AAAA records', a.line, a.column, ';@');
      return;
    }
    const a = this.annotations[0];
    const extra = this.annotations[1];
    if (!a) return;
    if (this.annotationCount > 1 && extra) {
      this.errorAt('ZONE_UNKNOWN_ANNOTATION', 'a record takes one ;@ annotation; put all member settings in it', extra.line, extra.column, ';@');
      return;
    }
    const ctx = this.annotationContext(a.line);
    const words = splitAnnotation(this.src.slice(a.start, a.end), a.column + 2, ctx);
    const head = words?.[0];
    if (head && head.value === undefined && (head.key === 'check' || head.key === 'pool')) {
      this.errorAt('ZONE_UNKNOWN_ANNOTATION', `;@${head.key} goes on a line of its own, not after a record`, a.line, a.column, ';@');
      return;
    }
    const member = words && parseMemberAnnotation(words, ctx, a.column);
    if (member) this.state.zone.members.set(rr, member);
  }
}
