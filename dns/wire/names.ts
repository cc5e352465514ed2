/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4) and in presentation text.
 *
 * Text names are absolute and use the master-file escapes: `\.` and `\\` inside a label, `\DDD`
 * for any other byte outside printable ASCII. Comparison is ASCII case-insensitive (RFC 4343).
 */
import { isPlainLabelByte, lowerName, MAX_LABEL_OCTETS as MAX_LABEL_LENGTH, MAX_NAME_OCTETS as MAX_NAME_LENGTH } from '../../zones/names.js';

/** How many compression pointers a single name may follow; the backwards rule bounds it anyway. */
const MAX_POINTER_HOPS = 127;

export type NameReadResult =
  | {
      readonly ok: true;
      /** Raw label bytes, case kept, root label excluded. */
      readonly labels: readonly Buffer[];
      /** Offset just after the name at the starting position (after the first pointer, if any). */
      readonly next: number;
      /** Uncompressed wire length, root byte included. */
      readonly wireLength: number;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a possibly compressed name. Pointers must point strictly before the label that holds
 * them, which rules out loops; label types 01 and 10 (RFC 6891 §5, obsolete) are refused.
 */
export function readName(buf: Buffer, offset: number, end: number = buf.length): NameReadResult {
  const labels: Buffer[] = [];
  let pos = offset;
  let next = -1;
  let wireLength = 1;
  let hops = 0;
  for (;;) {
    if (pos >= end) return { ok: false, reason: 'name runs past the end of the message' };
    const len = buf[pos] ?? 0;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return { ok: false, reason: 'compression pointer runs past the end of the message' };
      const target = ((len & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      if (target >= pos) return { ok: false, reason: 'compression pointer does not point backwards' };
      if (++hops > MAX_POINTER_HOPS) return { ok: false, reason: 'too many compression pointers' };
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if (kind !== 0) return { ok: false, reason: `unsupported label type 0x${kind.toString(16)}` };
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { ok: true, labels, next, wireLength };
    }
    if (len > MAX_LABEL_LENGTH) return { ok: false, reason: 'label longer than 63 octets' };
    if (pos + 1 + len > end) return { ok: false, reason: 'label runs past the end of the message' };
    wireLength += len + 1;
    if (wireLength > MAX_NAME_LENGTH) return { ok: false, reason: 'name longer than 255 octets' };
    labels.push(buf.subarray(pos + 1, pos + 1 + len));
    pos += len + 1;
  }
}

export type QuestionNameResult =
  | {
      readonly ok: true;
      /** Uncompressed wire form, case kept, root byte included. */
      readonly wire: Buffer;
      /** Offset of each label in `wire`. */
      readonly wireStarts: number[];
      /** Presentation text as asked, and lowercased; labels start at `textStarts` in both. */
      readonly display: string;
      readonly lower: string;
      readonly textStarts: number[];
      readonly next: number;
    }
  | { readonly ok: false; readonly reason: string };

/** Text of the name being read; 255 wire octets escape to at most 4 × 255 characters. */
const displayText = Buffer.alloc(1024);
const lowerText = Buffer.alloc(1024);
let textLength = 0;

function pushCode(code: number): void {
  displayText[textLength] = code;
  lowerText[textLength++] = code >= 0x41 && code <= 0x5a ? code | 0x20 : code;
}

/**
 * The query-path name reader: one pass that checks the name (as readName does) and builds its
 * wire copy and both presentation texts without a per-label allocation.
 */
export function readQuestionName(buf: Buffer, offset: number): QuestionNameResult {
  textLength = 0;
  const wireStarts: number[] = [];
  const textStarts: number[] = [];
  let pos = offset;
  let next = -1;
  let wireLength = 1;
  let hops = 0;
  let pieces: Buffer[] | undefined;
  let pieceStart = offset;
  for (;;) {
    if (pos >= buf.length) return { ok: false, reason: 'name runs past the end of the message' };
    const len = buf[pos] ?? 0;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) return { ok: false, reason: 'compression pointer runs past the end of the message' };
      const target = ((len & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      if (target >= pos) return { ok: false, reason: 'compression pointer does not point backwards' };
      if (++hops > MAX_POINTER_HOPS) return { ok: false, reason: 'too many compression pointers' };
      if (next < 0) next = pos + 2;
      (pieces ??= []).push(buf.subarray(pieceStart, pos));
      pos = target;
      pieceStart = target;
      continue;
    }
    if (kind !== 0) return { ok: false, reason: `unsupported label type 0x${kind.toString(16)}` };
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if (len > MAX_LABEL_LENGTH) return { ok: false, reason: 'label longer than 63 octets' };
    if (pos + 1 + len > buf.length) return { ok: false, reason: 'label runs past the end of the message' };
    wireStarts.push(wireLength - 1);
    wireLength += len + 1;
    if (wireLength > MAX_NAME_LENGTH) return { ok: false, reason: 'name longer than 255 octets' };
    textStarts.push(textLength);
    for (let i = pos + 1; i <= pos + len; i++) {
      const byte = buf[i] ?? 0;
      if (isPlainLabelByte(byte)) pushCode(byte);
      else {
        pushCode(0x5c);
        if (byte > 0x20 && byte < 0x7f) pushCode(byte);
        else {
          pushCode(0x30 + Math.floor(byte / 100));
          pushCode(0x30 + (Math.floor(byte / 10) % 10));
          pushCode(0x30 + (byte % 10));
        }
      }
    }
    pushCode(0x2e);
    pos += len + 1;
  }
  let wire: Buffer;
  if (pieces) {
    pieces.push(buf.subarray(pieceStart, pos + 1));
    wire = Buffer.concat(pieces);
  } else {
    wire = buf.subarray(offset, pos + 1);
  }
  if (textLength === 0) pushCode(0x2e);
  return {
    ok: true,
    wire,
    wireStarts,
    display: displayText.toString('latin1', 0, textLength),
    lower: lowerText.toString('latin1', 0, textLength),
    textStarts,
    next,
  };
}

export interface ParsedTextName {
  /** Wire labels, root excluded. */
  readonly labels: readonly Uint8Array[];
  /** Index in the text where each label starts, so suffixes are `text.slice(starts[i])`. */
  readonly starts: readonly number[];
  /** The lowercase suffix starting at each label: the compression table's keys. */
  readonly lowerSuffixes: readonly string[];
}

const parsedNames = new Map<string, ParsedTextName>();
const PARSED_NAMES_LIMIT = 50_000;

/**
 * Turns an absolute presentation name into wire labels (memoised: zone names repeat in every
 * answer). Returns undefined for text that is not a valid absolute name.
 */
export function parseTextName(text: string): ParsedTextName | undefined {
  const cached = parsedNames.get(text);
  if (cached) return cached;
  const parsed = parseTextNameUncached(text);
  if (!parsed) return undefined;
  if (parsedNames.size >= PARSED_NAMES_LIMIT) parsedNames.clear();
  parsedNames.set(text, parsed);
  return parsed;
}

function parseTextNameUncached(text: string): ParsedTextName | undefined {
  if (text === '.') return { labels: [], starts: [], lowerSuffixes: [] };
  if (!text.endsWith('.')) return undefined;
  const labels: Uint8Array[] = [];
  const starts: number[] = [];
  let current: number[] = [];
  let start = 0;
  let total = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x2e) {
      if (current.length === 0 || current.length > MAX_LABEL_LENGTH) return undefined;
      labels.push(Uint8Array.from(current));
      starts.push(start);
      total += current.length + 1;
      current = [];
      start = i + 1;
      continue;
    }
    if (ch === 0x5c) {
      const d = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        const value = Number(d);
        if (value > 255) return undefined;
        current.push(value);
        i += 3;
      } else {
        if (i + 1 >= text.length) return undefined;
        current.push(text.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
      continue;
    }
    if (ch > 0xff) return undefined;
    current.push(ch);
  }
  if (current.length !== 0) return undefined;
  if (total > MAX_NAME_LENGTH) return undefined;
  const lower = lowerName(text);
  return { labels, starts, lowerSuffixes: starts.map((s) => lower.slice(s)) };
}
