/** Builds the typed error for a zone code: the class comes from the code's entry in codes.ts. */
import { ZoneSemanticError, ZoneSyntaxError, type SourcePosition } from '../lib/errors.js';
import { ZONE_CODES, type ZoneCode } from './codes.js';

export function zoneError(code: ZoneCode, detail: string, at: SourcePosition, token?: string): ZoneSyntaxError {
  return ZONE_CODES[code].class === 'ZoneSemanticError'
    ? new ZoneSemanticError(code, detail, at, token)
    : new ZoneSyntaxError(code, detail, at, token);
}

/**
 * Errors in reading order: by the line of the top file they occur under (an $INCLUDEd file's
 * errors sit at its $INCLUDE line, `anchors`), then by file, line and column.
 */
export function sortByPosition(errors: readonly ZoneSyntaxError[], files: readonly string[], anchors: ReadonlyMap<string, number>): ZoneSyntaxError[] {
  const top = files[0];
  const rank = new Map(files.map((f, i) => [f, i] as const));
  const key = (e: ZoneSyntaxError) => (e.file === top ? e.line : (anchors.get(e.file) ?? Number.MAX_SAFE_INTEGER));
  return errors
    .map((e, i) => ({ e, i }))
    .sort(
      (a, b) =>
        key(a.e) - key(b.e) ||
        (rank.get(a.e.file) ?? files.length) - (rank.get(b.e.file) ?? files.length) ||
        a.e.line - b.e.line ||
        a.e.column - b.e.column ||
        a.i - b.i,
    )
    .map(({ e }) => e);
}
