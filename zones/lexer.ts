/**
 * A hand-written master-file lexer (RFC 1035 §5.1) over one string. It is a pull lexer: next()
 * advances and leaves the token in public fields, so a million-record zone allocates no token
 * objects. Parentheses join physical lines into one logical entry; `;` comments are dropped,
 * except `;@` comments, which come back as ANNOTATION tokens (Rondo's settings).
 */
import type { ZoneCode } from './codes.js';

export const WORD = 1;
export const QUOTED = 2;
/** A `;@...` comment: start..end is the text after `;@`, up to the end of the line. */
export const ANNOTATION = 3;
/** End of a logical entry (a newline outside parentheses). */
export const EOL = 4;
export const EOF = 5;

/** Guards against absurd inputs: a clear error instead of a hang or a huge allocation. */
export const MAX_TOKEN_CHARS = 1 << 18;
export const MAX_ENTRY_CHARS = 1 << 20;

export type LexErrorSink = (code: ZoneCode, detail: string, line: number, column: number, token?: string) => void;

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const LPAREN = 40;
const RPAREN = 41;
const SEMICOLON = 59;
const AT = 64;
const BACKSLASH = 92;

export class Lexer {
  /** Kind of the current token (WORD, QUOTED, ANNOTATION, EOL, EOF). */
  kind = 0;
  /** Raw text of the current token is text.slice(start, end); quotes excluded, escapes kept. */
  start = 0;
  end = 0;
  /** 1-based position of the current token (of its opening quote for QUOTED). */
  line = 1;
  column = 1;
  /** The token contains a backslash escape. */
  escaped = false;
  /** Set when a lexical error happened in the current entry; the parser drops the entry and clears it. */
  entryFailed = false;

  private pos = 0;
  private curLine = 1;
  private lineStart = 0;
  private depth = 0;
  private parenLine = 0;
  private parenColumn = 0;
  private entryHasTokens = false;
  private entryStart = 0;
  private entryStartLine = 1;
  private readonly length: number;

  constructor(
    readonly text: string,
    private readonly onError: LexErrorSink,
  ) {
    this.length = text.length;
  }

  get value(): string {
    return this.text.slice(this.start, this.end);
  }

  /** Advances to the next token and returns its kind. */
  next(): number {
    const text = this.text;
    for (;;) {
      const pos = this.pos;
      if (pos >= this.length) {
        if (this.depth > 0) {
          this.fail('ZONE_UNBALANCED_PAREN', '"(" is never closed', this.parenLine, this.parenColumn, '(');
          this.depth = 0;
        }
        if (this.entryHasTokens) return this.endEntry(EOL);
        this.kind = EOF;
        this.line = this.curLine;
        this.column = pos - this.lineStart + 1;
        return EOF;
      }
      const c = text.charCodeAt(pos);
      if (c === SPACE || c === TAB || c === CR) {
        this.pos = pos + 1;
      } else if (c === LF) {
        this.pos = pos + 1;
        const newlineLine = this.curLine;
        const newlineColumn = pos - this.lineStart + 1;
        this.curLine++;
        this.lineStart = pos + 1;
        if (this.depth === 0 && this.entryHasTokens) {
          this.line = newlineLine;
          this.column = newlineColumn;
          return this.endEntry(EOL);
        }
      } else if (c === SEMICOLON) {
        let eol = text.indexOf('\n', pos);
        if (eol < 0) eol = this.length;
        if (text.charCodeAt(pos + 1) === AT) {
          this.beginToken(pos);
          this.start = pos + 2;
          this.end = eol > pos + 2 && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
          this.escaped = false;
          this.pos = eol;
          this.kind = ANNOTATION;
          return ANNOTATION;
        }
        this.pos = eol;
      } else if (c === LPAREN) {
        if (this.depth === 0) {
          this.parenLine = this.curLine;
          this.parenColumn = pos - this.lineStart + 1;
        }
        this.depth++;
        this.pos = pos + 1;
      } else if (c === RPAREN) {
        if (this.depth === 0) {
          this.entryHasTokens = true;
          this.fail('ZONE_UNBALANCED_PAREN', '")" without "("', this.curLine, pos - this.lineStart + 1, ')');
        } else {
          this.depth--;
        }
        this.pos = pos + 1;
      } else if (c === QUOTE) {
        return this.quoted(pos);
      } else {
        return this.word(pos);
      }
    }
  }

  /** Skips the rest of the current entry (after an error), returning at its EOL or EOF. */
  skipEntry(): number {
    let kind = this.kind;
    while (kind !== EOL && kind !== EOF) kind = this.next();
    return kind;
  }

  private endEntry(kind: number): number {
    this.entryHasTokens = false;
    this.kind = kind;
    return kind;
  }

  private beginToken(pos: number): void {
    if (!this.entryHasTokens) {
      this.entryHasTokens = true;
      this.entryStart = pos;
      this.entryStartLine = this.curLine;
    } else if (pos - this.entryStart > MAX_ENTRY_CHARS) {
      this.fail('ZONE_LINE_TOO_LONG', `entry longer than ${MAX_ENTRY_CHARS} characters`, this.entryStartLine, 1);
    }
    this.line = this.curLine;
    this.column = pos - this.lineStart + 1;
  }

  private word(pos: number): number {
    const text = this.text;
    this.beginToken(pos);
    let i = pos;
    let escaped = false;
    for (; i < this.length; i++) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) {
        escaped = true;
        i++; // the escaped character never ends the token, but a newline still ends the line
        if (text.charCodeAt(i) === LF) break;
      } else if (c === SPACE || c === TAB || c === LF || c === CR || c === SEMICOLON || c === LPAREN || c === RPAREN || c === QUOTE) {
        break;
      }
    }
    if (i > this.length) i = this.length;
    this.start = pos;
    this.end = i;
    this.pos = i;
    this.escaped = escaped;
    this.kind = WORD;
    if (i - pos > MAX_TOKEN_CHARS) this.tooLong(pos);
    return WORD;
  }

  private quoted(pos: number): number {
    const text = this.text;
    this.beginToken(pos);
    let i = pos + 1;
    let escaped = false;
    let closed = false;
    for (; i < this.length; i++) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) {
        escaped = true;
        i++;
        if (text.charCodeAt(i) === LF) break;
      } else if (c === QUOTE) {
        closed = true;
        break;
      } else if (c === LF) {
        break;
      }
    }
    if (i > this.length) i = this.length;
    this.start = pos + 1;
    this.end = i;
    this.escaped = escaped;
    this.kind = QUOTED;
    if (closed) {
      this.pos = i + 1;
    } else {
      this.pos = i;
      this.fail('ZONE_UNTERMINATED_STRING', 'quoted string not closed before the end of the line', this.line, this.column, '"');
    }
    if (i - pos > MAX_TOKEN_CHARS) this.tooLong(pos);
    return QUOTED;
  }

  private tooLong(pos: number): void {
    this.fail('ZONE_TOKEN_TOO_LONG', `token longer than ${MAX_TOKEN_CHARS} characters`, this.line, this.column, this.text.slice(pos, pos + 20) + '...');
  }

  private fail(code: ZoneCode, detail: string, line: number, column: number, token?: string): void {
    this.entryHasTokens = true;
    if (this.entryFailed) return; // one error per entry: the rest would only repeat it
    this.entryFailed = true;
    this.onError(code, detail, line, column, token);
  }
}
