/**
 * Typed errors with stable codes. Every code is listed in docs/errors.md; a test keeps the two in sync.
 */
export class RondoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad command-line or configuration input. */
export class ConfigError extends RondoError {}

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A zone file that does not follow the master-file syntax (RFC 1035 §5) or the `;@` grammar. */
export class ZoneSyntaxError extends RondoError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly token: string | undefined;
  readonly detail: string;
  constructor(code: string, detail: string, at: SourcePosition, token?: string, options?: { cause?: unknown }) {
    super(code, `${at.file}:${at.line}:${at.column}: ${detail}`, options);
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
    this.token = token;
    this.detail = detail;
  }
}

/** A zone file that parses but does not make sense (two SOAs, CNAME beside data, ...). */
export class ZoneSemanticError extends ZoneSyntaxError {}

/** A health probe that could not be set up (not a failed probe: that is a result, not an error). */
export class CheckError extends RondoError {}

/** The shared state store (Redis) failed. */
export class StateStoreError extends RondoError {}

/** A list of zone errors, thrown when a zone file is refused as a whole. */
export class ZoneLoadError extends RondoError {
  readonly errors: readonly ZoneSyntaxError[];
  constructor(file: string, errors: readonly ZoneSyntaxError[]) {
    super('ZONE_REFUSED', `${file}: zone refused with ${errors.length} error(s)\n${errors.map((e) => e.message).join('\n')}`);
    this.errors = errors;
  }
}
