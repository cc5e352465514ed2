/**
 * One zone, from its files to the compact compiled form: read the top file and its $INCLUDEs,
 * hash them (an unchanged zone stops here), parse, validate, compile, encode. The zone worker
 * (compile-worker.ts) runs this for `rondo serve` (first load and every reload) and for
 * `rondo zone check`; ZoneCompiler runs it in-thread when asked to. Its result is plain data
 * (errors as plain objects, the zone as transferable buffers) so it crosses a thread cheaply.
 */
import { readFileSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { realpath } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { ZoneSyntaxError } from '../lib/errors.js';
import { includeReader, parseZoneText, type LoadOptions } from './load.js';
import { zoneError } from './diagnostics.js';
import { copyArrays, encodeZone, SHARED_ARRAYS, TRANSFERABLE_ARRAYS, type CompactZoneData } from './compact.js';
import type { ZoneCode } from './codes.js';
import { fastCompile } from './fast-compile.js';

export interface CompileJob {
  /** The top zone file, as messages name it. */
  readonly file: string;
  /** Absolute paths the zone was read from last time (top file first); default: the top file. */
  readonly deps?: readonly string[];
  /** The hash of the content last compiled: the same content again answers `unchanged`. */
  readonly previousHash?: string;
  readonly options?: LoadOptions;
  /**
   * The compiled zone's arrays in SharedArrayBuffers rather than transferable ones (compact.ts
   * SHARED_ARRAYS): for a zone's first version, which has no previous one to let go.
   */
  readonly shared?: boolean;
}

/** A zone error as plain data (Error objects lose their fields crossing a thread). */
export interface PlainZoneError {
  readonly code: string;
  readonly detail: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly token: string | undefined;
}

export type CompileOutcome =
  | { readonly status: 'unchanged'; readonly hash: string; readonly deps: readonly string[] }
  | {
      readonly status: 'loaded';
      readonly hash: string;
      readonly deps: readonly string[];
      readonly files: readonly string[];
      readonly zone: CompactZoneData;
      readonly warnings: readonly PlainZoneError[];
      /** Time spent reading, parsing, compiling and encoding. */
      readonly durationMs: number;
    }
  | {
      readonly status: 'failed';
      readonly hash: string | undefined;
      readonly deps: readonly string[];
      readonly files: readonly string[];
      readonly errors: readonly PlainZoneError[];
      readonly durationMs: number;
    };

export function toPlain(e: ZoneSyntaxError): PlainZoneError {
  return { code: e.code, detail: e.detail, file: e.file, line: e.line, column: e.column, token: e.token };
}

export function fromPlain(e: PlainZoneError): ZoneSyntaxError {
  return zoneError(e.code as ZoneCode, e.detail, { file: e.file, line: e.line, column: e.column }, e.token);
}

export async function compileZoneFiles(job: CompileJob): Promise<CompileOutcome> {
  const started = performance.now();
  const top = path.resolve(job.file);
  /** Each file's bytes (what the hash covers) and, once needed, its text. */
  const bytes = new Map<string, Buffer>();
  const texts = new Map<string, string>();
  const deps0 = job.deps && job.deps.length > 0 ? job.deps : [top];
  for (const dep of deps0) {
    try {
      bytes.set(dep, await readFile(dep));
    } catch {
      // Missing: the hash records it; the parser reports it.
    }
  }
  const hashed = hashOf(deps0, bytes);
  if (job.previousHash !== undefined && hashed === job.previousHash) return { status: 'unchanged', hash: job.previousHash, deps: deps0 };
  for (const [dep, b] of bytes) texts.set(dep, decode(b));
  /** The hash of these files (the first read's when they are the same list). */
  const hashFor = (files: readonly string[]): string => (sameList(files, deps0) ? hashed : hashOf(files, bytes));

  const topText = texts.get(top);
  if (topText === undefined) {
    const error = zoneError('ZONE_UNREADABLE', 'cannot read zone file', { file: job.file, line: 1, column: 1 });
    return { status: 'failed', hash: hashFor([top]), deps: [top], files: [job.file], errors: [toPlain(error)], durationMs: performance.now() - started };
  }
  let rootReal: string;
  try {
    rootReal = path.dirname(await realpath(top));
  } catch {
    rootReal = path.dirname(top);
  }
  const read = (f: string): string => {
    const cached = texts.get(f);
    if (cached !== undefined) return cached;
    const read = readFileSync(f);
    bytes.set(f, read);
    const text = decode(read);
    texts.set(f, text);
    return text;
  };
  // The fast lane (no object per record) when it is sure to compile what the full pipeline would.
  if (job.options?.origin === undefined && !/\$include/i.test(topText)) {
    const fast = fastCompile(topText, job.file, job.shared === true ? SHARED_ARRAYS : TRANSFERABLE_ARRAYS);
    if (fast) return { status: 'loaded', hash: hashFor([top]), deps: [top], files: [job.file], zone: fast, warnings: [], durationMs: performance.now() - started };
  }
  const allowOutside = job.options?.allowIncludeOutside === true;
  const result = parseZoneText(topText, job.file, { ...job.options, readInclude: includeReader(rootReal, allowOutside, read) });
  const files = result.files ?? [job.file];
  const deps = files.map((f) => path.resolve(f));
  const hash = hashFor(deps);
  if (!result.ok) return { status: 'failed', hash, deps, files, errors: result.errors.map(toPlain), durationMs: performance.now() - started };
  const zone = job.shared === true ? copyArrays(encodeZone(result.zone), SHARED_ARRAYS) : encodeZone(result.zone);
  return { status: 'loaded', hash, deps, files, zone, warnings: result.warnings.map(toPlain), durationMs: performance.now() - started };
}

/** UTF-8 text; pure ASCII (the usual zone file) is decoded as Latin-1, the same string, faster. */
function decode(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * The files' paths and bytes, hashed. Bytes, not decoded text: hashing a string first encodes it
 * to UTF-8 (a copy), 100 ms for a 23 MB zone against 15 ms for its bytes.
 */
export function hashOf(deps: readonly string[], bytes: ReadonlyMap<string, Uint8Array>): string {
  const h = createHash('sha256');
  for (const dep of deps) {
    h.update(dep);
    h.update('\0');
    const content = bytes.get(dep);
    h.update(content === undefined ? '\u0001missing' : content);
    h.update('\0');
  }
  return h.digest('hex');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
