/** Builds the typed error for a zone code: the class comes from the code's entry in codes.ts. */
import { ZoneSemanticError, ZoneSyntaxError, type SourcePosition } from '../lib/errors.js';
import { ZONE_CODES, type ZoneCode } from './codes.js';

export function zoneError(code: ZoneCode, detail: string, at: SourcePosition, token?: string): ZoneSyntaxError {
  return ZONE_CODES[code].class === 'ZoneSemanticError'
    ? new ZoneSemanticError(code, detail, at, token)
    : new ZoneSyntaxError(code, detail, at, token);
}

/** Warnings and errors sorted by file (in the order files were read), line and column. */
export function sortByPosition(errors: ZoneSyntaxError[], fileOrder: readonly string[]): ZoneSyntaxError[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i] as const));
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (rank.get(a.e.file) ?? 1e9) - (rank.get(b.e.file) ?? 1e9) || a.e.line - b.e.line || a.e.column - b.e.column || a.i - b.i)
    .map(({ e }) => e);
}
