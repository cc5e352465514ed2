/** The pull lexer: tokens, positions, parentheses, comments, annotations, strings, limits. */
import { describe, expect, it } from 'vitest';
import { Lexer, WORD, QUOTED, ANNOTATION, EOL, EOF, MAX_TOKEN_CHARS } from '../../../zones/lexer.js';

const NAMES: Record<number, string> = { [WORD]: 'w', [QUOTED]: 'q', [ANNOTATION]: '@', [EOL]: 'EOL', [EOF]: 'EOF' };

function lex(text: string): { tokens: string[]; errors: string[] } {
  const errors: string[] = [];
  const lx = new Lexer(text, (code, _detail, line, column) => errors.push(`${code}@${line}:${column}`));
  const tokens: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const kind = lx.next();
    if (kind === EOF) break;
    tokens.push(kind === EOL ? 'EOL' : `${NAMES[kind]}:${lx.value}@${lx.line}:${lx.column}`);
    if (kind === EOL) lx.entryFailed = false;
  }
  return { tokens, errors };
}

describe('Lexer', () => {
  it('splits words and ends entries at newlines', () => {
    expect(lex('www IN A 192.0.2.1\n\tA 192.0.2.2').tokens).toEqual([
      'w:www@1:1', 'w:IN@1:5', 'w:A@1:8', 'w:192.0.2.1@1:10', 'EOL',
      'w:A@2:2', 'w:192.0.2.2@2:4', 'EOL',
    ]);
  });

  it('joins lines inside parentheses and drops comments', () => {
    expect(lex('@ SOA a b ( 1 ; serial\n 2 )\nx A 1').tokens).toEqual([
      'w:@@1:1', 'w:SOA@1:3', 'w:a@1:7', 'w:b@1:9', 'w:1@1:13', 'w:2@2:2', 'EOL', 'w:x@3:1', 'w:A@3:3', 'w:1@3:5', 'EOL',
    ]);
  });

  it('emits no entry for blank and comment-only lines', () => {
    expect(lex('\n; just a comment\n   \n').tokens).toEqual([]);
  });

  it('returns ;@ comments as annotations with the text after ;@', () => {
    expect(lex(';@check web tcp\nwww A 1 ;@ weight=2\r\n').tokens).toEqual([
      '@:check web tcp@1:1', 'EOL', 'w:www@2:1', 'w:A@2:5', 'w:1@2:7', '@: weight=2@2:9', 'EOL',
    ]);
  });

  it('keeps escapes inside words and quoted strings', () => {
    expect(lex('a\\ b\\;c "x\\"y;z" \\# 0').tokens).toEqual(['w:a\\ b\\;c@1:1', 'q:x\\"y;z@1:9', 'w:\\#@1:18', 'w:0@1:21', 'EOL']);
  });

  it('reports an unterminated string and a stray ")"', () => {
    expect(lex('t TXT "abc\nx )\n').errors).toEqual(['ZONE_UNTERMINATED_STRING@1:7', 'ZONE_UNBALANCED_PAREN@2:3']);
  });

  it('reports a "(" never closed', () => {
    expect(lex('a ( b\nc').errors).toEqual(['ZONE_UNBALANCED_PAREN@1:3']);
  });

  it('reports a token over the limit once', () => {
    const { errors } = lex(`t TXT ${'x'.repeat(MAX_TOKEN_CHARS + 1)} ${'y'.repeat(MAX_TOKEN_CHARS + 1)}\nok\n`);
    expect(errors).toEqual(['ZONE_TOKEN_TOO_LONG@1:7']);
  });

  it('does not loop on a backslash before a newline', () => {
    expect(lex('a\\\nb').tokens).toEqual(['w:a\\@1:1', 'EOL', 'w:b@2:1', 'EOL']);
  });
});
