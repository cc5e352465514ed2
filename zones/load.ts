/**
 * The zone loader other rooms call: text → parse → validate → compile, all or nothing. A zone
 * with any error is refused as a whole, so a caller keeps serving its last good version.
 */
import { readdir, stat } from 'node:fs/promises';
import { readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { RondoError, type ZoneSyntaxError } from '../lib/errors.js';
import type { Zone } from '../model/zone.js';
import { parseZone, type ParsedZone } from './parse.js';
import { groupRecords } from './group.js';
import { validateZone } from './validate.js';
import { compileZone } from './compile.js';
import { sortByPosition, zoneError } from './diagnostics.js';

export interface LoadOptions {
  /** The zone's origin; default: the file's `$ORIGIN`, else its name (`example.test.zone` → `example.test.`). */
  origin?: string;
  /** Let `$INCLUDE` read files outside the top zone file's directory. */
  allowIncludeOutside?: boolean;
}

/**
 * `files` lists every file the zone was read from (the top file first, then $INCLUDEs, as the
 * messages name them), so a watcher can follow them.
 */
export type LoadResult =
  | { ok: true; zone: Zone; warnings: ZoneSyntaxError[]; files?: readonly string[]; parsed?: ParsedZone }
  | { ok: false; errors: ZoneSyntaxError[]; files?: readonly string[] };

/** Reads, parses, validates and compiles one zone file (tests and tools; the server compiles in its zone worker). */
export async function loadZoneFile(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  return parseZoneFileSync(file, options);
}

/** Reads, parses, validates and compiles one zone file on the calling thread (the write API's overlay needs the parse). */
export function parseZoneFileSync(file: string, options: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, errors: [zoneError('ZONE_UNREADABLE', `cannot read zone file (${why})`, { file, line: 1, column: 1 })], files: [file] };
  }
  let root: string;
  try {
    root = path.dirname(realpathSync(file));
  } catch {
    root = path.dirname(path.resolve(file));
  }
  return parseZoneText(text, file, { ...options, readInclude: includeReader(root, options.allowIncludeOutside === true) });
}

/**
 * Reads $INCLUDE files, refusing (unless allowed) any whose real path, symlinks resolved, leaves
 * the top file's directory: the parser's check sees only the path as written.
 */
export function includeReader(rootRealDir: string, allowOutside: boolean, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): (file: string) => string {
  return (file) => {
    if (!allowOutside) {
      const real = realpathSync(file);
      const relative = path.relative(rootRealDir, real);
      if (relative.startsWith('..') || path.isAbsolute(relative)) {
        throw new RondoError('ZONE_INCLUDE_OUTSIDE', `$INCLUDE ${file} resolves to ${real}, outside the zone's directory ${rootRealDir}`);
      }
    }
    return read(file);
  };
}

/** Synchronous: parses, validates and compiles zone text (tests, tools, the watcher). */
export function parseZoneText(text: string, file: string, options: LoadOptions & { readInclude?: (path: string) => string } = {}): LoadResult {
  const parsed = parseZone(text, file, options);
  return compileParsed(parsed);
}

/** Validates and compiles a parse (the file's, or the file's with the API's overlay applied); `parsed` rides along when it loads. */
export function compileParsed(parsed: ParsedZone): LoadResult {
  const groups = groupRecords(parsed.records);
  const v = validateZone(parsed, groups);
  const errors = [...parsed.errors, ...v.errors];
  const files = parsed.files;
  if (errors.length > 0) return { ok: false, errors: sortByPosition(errors, files, parsed.includeAnchors), files };
  const zone = compileZone(parsed, groups, v);
  return { ok: true, zone, warnings: sortByPosition([...parsed.warnings, ...v.warnings], files, parsed.includeAnchors), files, parsed };
}

/** Directories become their `*.zone` files (sorted); files are kept; duplicates dropped. */
export async function findZoneFiles(pathsOrDirs: string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const key = path.resolve(f);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(f);
    }
  };
  for (const p of pathsOrDirs) {
    let isDir = false;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      isDir = false; // a missing file is kept, so loading it reports the error
    }
    if (!isDir) {
      add(p);
      continue;
    }
    const entries = await readdir(p, { withFileTypes: true });
    const names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.zone')).map((e) => e.name);
    names.sort();
    for (const name of names) add(path.join(p, name));
  }
  return out;
}
