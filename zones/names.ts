/**
 * Domain names in master-file text form. A name is kept as canonical presentation text: absolute
 * (trailing dot), labels separated by unescaped dots, special characters escaped with `\` and
 * bytes outside printable ASCII as `\DDD` (RFC 1035 §5.1), so equal names have equal text once
 * lowercased. `name` fields are that text lowercased; `display` fields keep the zone's case.
 */

/** RFC 1035 §2.3.4. */
export const MAX_LABEL_OCTETS = 63;
/** RFC 1035 §2.3.4: the wire form, length octets and the root label included. */
export const MAX_NAME_OCTETS = 255;

/** The origin a relative name is completed with. */
export interface NameOrigin {
  /** Canonical text, case kept, absolute. */
  readonly display: string;
  /** Wire length in octets. */
  readonly wireLength: number;
}

export type NameParse =
  | { readonly ok: true; readonly display: string; readonly name: string; readonly wireLength: number }
  | { readonly ok: false; readonly code: 'ZONE_BAD_NAME' | 'ZONE_LABEL_TOO_LONG' | 'ZONE_NAME_TOO_LONG' | 'ZONE_NO_ORIGIN'; readonly detail: string };

export const ROOT_ORIGIN: NameOrigin = { display: '.', wireLength: 1 };

const DOT = 46;
const BACKSLASH = 92;

/** Characters that must be escaped inside a label's text (as dig and BIND print them). */
function isSpecial(byte: number): boolean {
  // " $ ( ) . ; @ \
  return byte === 34 || byte === 36 || byte === 40 || byte === 41 || byte === 46 || byte === 59 || byte === 64 || byte === 92;
}

/** The origin record for an absolute canonical name. */
export function originOf(display: string): NameOrigin {
  return { display, wireLength: nameWireLength(display) };
}

/**
 * Parses a name token as written in a zone file (`www`, `www.example.test.`, `@`, `a\.b`,
 * `\065bc`) and completes it with `origin` when relative.
 */
export function parseName(token: string, origin: NameOrigin | undefined): NameParse {
  if (token === '@') {
    if (!origin) return { ok: false, code: 'ZONE_NO_ORIGIN', detail: 'no $ORIGIN to resolve "@" against' };
    return { ok: true, display: origin.display, name: origin.display.toLowerCase(), wireLength: origin.wireLength };
  }
  if (token === '.') return { ok: true, display: '.', name: '.', wireLength: 1 };
  if (token.length === 0) return { ok: false, code: 'ZONE_BAD_NAME', detail: 'empty name' };

  // Fast path: plain printable ASCII without escapes or specials.
  let labelLength = 0;
  let plain = true;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === DOT) {
      if (labelLength === 0) return badName(token, 'empty label');
      if (labelLength > MAX_LABEL_OCTETS) return labelTooLong(token);
      labelLength = 0;
    } else if (c < 0x21 || c > 0x7e || isSpecial(c)) {
      plain = false;
      break;
    } else {
      labelLength++;
    }
  }
  if (!plain) return parseEscapedName(token, origin);
  if (labelLength > MAX_LABEL_OCTETS) return labelTooLong(token);
  const absolute = labelLength === 0; // ended with a dot
  let display: string;
  let wireLength: number;
  if (absolute) {
    display = token;
    wireLength = token.length + 1;
  } else {
    if (!origin) return { ok: false, code: 'ZONE_NO_ORIGIN', detail: `no $ORIGIN to complete the relative name "${token}"` };
    display = origin.display === '.' ? token + '.' : token + '.' + origin.display;
    wireLength = token.length + 1 + origin.wireLength;
  }
  if (wireLength > MAX_NAME_OCTETS) return nameTooLong(token, wireLength);
  return { ok: true, display, name: display.toLowerCase(), wireLength };
}

function badName(token: string, why: string): NameParse {
  return { ok: false, code: 'ZONE_BAD_NAME', detail: `bad name "${token}": ${why}` };
}
function labelTooLong(token: string): NameParse {
  return { ok: false, code: 'ZONE_LABEL_TOO_LONG', detail: `label longer than ${MAX_LABEL_OCTETS} octets in name "${token}"` };
}
function nameTooLong(token: string, octets: number): NameParse {
  return { ok: false, code: 'ZONE_NAME_TOO_LONG', detail: `name "${token}" is ${octets} octets, more than ${MAX_NAME_OCTETS}` };
}

/** Slow path: decode escapes into label bytes, then print canonically. */
function parseEscapedName(token: string, origin: NameOrigin | undefined): NameParse {
  const labels: number[][] = [];
  let label: number[] = [];
  let absolute = false;
  const encoder = new TextEncoder();
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === BACKSLASH) {
      const d1 = token.charCodeAt(i + 1);
      if (Number.isNaN(d1)) return badName(token, 'dangling backslash');
      if (isDigit(d1)) {
        const d2 = token.charCodeAt(i + 2);
        const d3 = token.charCodeAt(i + 3);
        if (!isDigit(d2) || !isDigit(d3)) return badName(token, '\\DDD escape needs three digits');
        const value = (d1 - 48) * 100 + (d2 - 48) * 10 + (d3 - 48);
        if (value > 255) return badName(token, `\\${token.slice(i + 1, i + 4)} is not an octet`);
        label.push(value);
        i += 3;
      } else {
        const cp = token.codePointAt(i + 1) ?? d1;
        const width = cp > 0xffff ? 2 : 1;
        for (const b of encoder.encode(token.slice(i + 1, i + 1 + width))) label.push(b);
        i += width;
      }
    } else if (c === DOT) {
      if (label.length === 0) return badName(token, 'empty label');
      labels.push(label);
      label = [];
      if (i === token.length - 1) absolute = true;
    } else if (c < 0x80) {
      label.push(c);
    } else {
      const cp = token.codePointAt(i) ?? c;
      const width = cp > 0xffff ? 2 : 1;
      for (const b of encoder.encode(token.slice(i, i + width))) label.push(b);
      i += width - 1;
    }
  }
  if (!absolute) {
    if (label.length === 0) return badName(token, 'empty label');
    labels.push(label);
  }
  let text = '';
  let wireLength = 0;
  for (const l of labels) {
    if (l.length > MAX_LABEL_OCTETS) return labelTooLong(token);
    text += labelText(l) + '.';
    wireLength += l.length + 1;
  }
  if (absolute) {
    wireLength += 1;
  } else {
    if (!origin) return { ok: false, code: 'ZONE_NO_ORIGIN', detail: `no $ORIGIN to complete the relative name "${token}"` };
    if (origin.display !== '.') text += origin.display;
    wireLength += origin.wireLength;
  }
  if (wireLength > MAX_NAME_OCTETS) return nameTooLong(token, wireLength);
  return { ok: true, display: text, name: lowerName(text), wireLength };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True for an octet that stands as itself in a label's text: printable ASCII, not special. */
export function isPlainLabelByte(byte: number): boolean {
  return byte >= 0x21 && byte <= 0x7e && !isSpecial(byte);
}

/** Canonical text of one label's octets (case kept): specials as `\\.`, the unprintable as `\\DDD`. */
export function labelText(bytes: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (isSpecial(b)) out += '\\' + String.fromCharCode(b);
    else if (b >= 0x21 && b <= 0x7e) out += String.fromCharCode(b);
    else out += '\\' + String(b).padStart(3, '0');
  }
  return out;
}

/** DNS names compare case-insensitively for ASCII letters only (RFC 4343); no copy when already lowercase. */
export function lowerName(text: string): string {
  // toLowerCase would also fold non-ASCII characters; names here only hold ASCII and escapes.
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : text;
}

/** True when the `.` at index `i` of canonical text is escaped (preceded by an odd run of backslashes). */
function isEscaped(text: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && text.charCodeAt(j) === BACKSLASH; j--) n++;
  return n % 2 === 1;
}

/** True when `name` equals `ancestor` or lies below it. Both canonical, same case. */
export function isSubdomain(name: string, ancestor: string): boolean {
  if (name === ancestor || ancestor === '.') return true;
  if (name.length <= ancestor.length || !name.endsWith(ancestor)) return false;
  const dot = name.length - ancestor.length - 1;
  return name.charCodeAt(dot) === DOT && !isEscaped(name, dot);
}

/**
 * Where each label of an absolute text name starts, scanning for unescaped dots
 * (`a\\.b.c.` has two labels, starting at 0 and 5). The root `.` has none.
 */
export function labelStartsOf(name: string): number[] {
  const starts: number[] = [];
  if (name === '.' || name === '') return starts;
  let atLabelStart = true;
  for (let i = 0; i < name.length; i++) {
    if (atLabelStart) {
      starts.push(i);
      atLabelStart = false;
    }
    const ch = name.charCodeAt(i);
    if (ch === BACKSLASH) i++;
    else if (ch === DOT) atLabelStart = true;
  }
  return starts;
}

/** The parent of a canonical absolute name; undefined for the root. */
export function parentName(name: string): string | undefined {
  if (name === '.') return undefined;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) === BACKSLASH) {
      i++;
      continue;
    }
    if (name.charCodeAt(i) === DOT) return i === name.length - 1 ? '.' : name.slice(i + 1);
  }
  return '.';
}

/** The labels of a canonical absolute name, as text (escapes kept), without the root label. */
export function nameLabels(name: string): string[] {
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
    } else if (c === DOT) {
      if (i > start) labels.push(name.slice(start, i));
      start = i + 1;
    }
  }
  return labels;
}

/** The octets of one label given as canonical text (escapes decoded). */
export function labelBytes(label: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c === BACKSLASH) {
      const d1 = label.charCodeAt(i + 1);
      if (isDigit(d1)) {
        out.push((d1 - 48) * 100 + (label.charCodeAt(i + 2) - 48) * 10 + (label.charCodeAt(i + 3) - 48));
        i += 3;
      } else {
        out.push(d1);
        i += 1;
      }
    } else {
      out.push(c);
    }
  }
  return Uint8Array.from(out);
}

/** Wire length (RFC 1035 §3.1) of a canonical absolute name. */
export function nameWireLength(name: string): number {
  if (name === '.') return 1;
  let length = 1; // the root label
  for (const label of nameLabels(name)) length += 1 + (label.includes('\\') ? labelBytes(label).length : label.length);
  return length;
}

/** Uncompressed wire form of a canonical absolute name. */
export function nameToWire(name: string): Uint8Array {
  const out = new Uint8Array(nameWireLength(name));
  let at = 0;
  for (const label of nameLabels(name)) {
    const bytes = labelBytes(label);
    out[at++] = bytes.length;
    out.set(bytes, at);
    at += bytes.length;
  }
  out[at] = 0;
  return out;
}
