/**
 * `;@map NAME RULE...` (issue 12): rules of four kinds, each with an ordered site list joined by
 * `>`. `net:198.51.100.0/24,2001:db8:100::/48=eu>us`, `country:KR,JP=ap>us`,
 * `continent:EU=eu>us`, `default=us>eu`. Each rule's syntax is checked here with the column of
 * the bad part; what spans rules (duplicates, the default, sites of pools) is in map-validate.ts.
 * A map may span several `;@map NAME` lines: their rules add up (a 100,000-prefix map need not be
 * one line).
 */
import type { SourcePosition } from '../lib/errors.js';
import type { SiteRuleKind } from '../model/site-map.js';
import { formatIPv6, ipv4Bytes, ipv6Bytes, parseIPv4 } from '../lib/ip.js';
import type { AnnotationContext, AnnotationWord } from './annotations.js';

export const MAP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const CONTINENTS = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;

/** One thing a rule matches: a network, a country or a continent (upper case), with where it is written. */
export interface ParsedMatch {
  /** Canonical text: `198.51.100.0/24`, `JP`, `EU`. */
  readonly value: string;
  readonly at: SourcePosition;
  /** For `net:`. */
  readonly net?: { readonly family: 4 | 6; readonly bytes: Uint8Array; readonly prefixLength: number };
}

export interface ParsedMapRule {
  readonly kind: SiteRuleKind;
  readonly matches: readonly ParsedMatch[];
  readonly sites: readonly string[];
  readonly source: SourcePosition;
}

export interface ParsedMap {
  readonly name: string;
  readonly nameAt: SourcePosition;
  readonly rules: readonly ParsedMapRule[];
}

/** `;@map NAME RULE...`; `words` excludes the leading `map`. Undefined when the line is unusable. */
export function parseMapAnnotation(words: readonly AnnotationWord[], ctx: AnnotationContext, column: number): ParsedMap | undefined {
  const nameWord = words[0];
  if (!nameWord || nameWord.value !== undefined) {
    ctx.fail('ZONE_MISSING_ARGUMENT', ';@map needs a NAME: ;@map NAME net:CIDR,...=SITE>SITE country:CC,...=SITES continent:XX=SITES default=SITES', column);
    return undefined;
  }
  if (!MAP_NAME.test(nameWord.key)) {
    ctx.fail('ZONE_BAD_VALUE', `bad map name "${nameWord.key}" (letters, digits, "-", "_", ".")`, nameWord.column, nameWord.key);
    return undefined;
  }
  const at = (col: number): SourcePosition => ({ file: ctx.file, line: ctx.line, column: col });
  const rules: ParsedMapRule[] = [];
  let ok = true;
  for (const w of words.slice(1)) {
    const rule = parseRule(w, ctx, at);
    if (rule) rules.push(rule);
    else ok = false;
  }
  if (!ok) return undefined;
  if (rules.length === 0) {
    ctx.fail('ZONE_MAP_BAD_RULE', `;@map ${nameWord.key} has no rules (net:, country:, continent:, default=)`, nameWord.column, nameWord.key);
    return undefined;
  }
  return { name: nameWord.key, nameAt: at(nameWord.column), rules };
}

function parseRule(w: AnnotationWord, ctx: AnnotationContext, at: (col: number) => SourcePosition): ParsedMapRule | undefined {
  const colon = w.key.indexOf(':');
  const kindText = colon < 0 ? w.key : w.key.slice(0, colon);
  let kind: SiteRuleKind;
  if (colon < 0 && kindText === 'default') kind = 'default';
  else if (colon > 0 && (kindText === 'net' || kindText === 'country' || kindText === 'continent')) kind = kindText;
  else {
    ctx.fail('ZONE_MAP_BAD_RULE', `unknown map rule "${w.key}": a rule is net:CIDR,...=SITES, country:CC,...=SITES, continent:XX,...=SITES or default=SITES`, w.column, w.key);
    return undefined;
  }
  const sitesColumn = w.column + w.key.length + 1;
  if (w.value === undefined || w.value === '') {
    ctx.fail('ZONE_MAP_BAD_RULE', `map rule "${w.key}" needs its sites: ${w.key}=SITE>SITE...`, w.column, w.key);
    return undefined;
  }
  const sites = parseSites(w.value, sitesColumn, ctx);
  if (!sites) return undefined;
  const matches: ParsedMatch[] = [];
  if (kind !== 'default') {
    const list = w.key.slice(colon + 1);
    let offset = colon + 1;
    if (list === '') {
      ctx.fail('ZONE_MAP_BAD_RULE', `map rule "${kindText}:" lists nothing to match`, w.column, w.key);
      return undefined;
    }
    let ok = true;
    for (const item of list.split(',')) {
      const col = w.column + offset;
      offset += item.length + 1;
      const match = parseMatch(kind, item, col, ctx, at);
      if (match) matches.push(match);
      else ok = false;
    }
    if (!ok) return undefined;
  }
  return { kind, matches, sites, source: at(w.column) };
}

function parseSites(text: string, column: number, ctx: AnnotationContext): string[] | undefined {
  const sites: string[] = [];
  let offset = 0;
  for (const site of text.split('>')) {
    const col = column + offset;
    offset += site.length + 1;
    if (!SITE_NAME.test(site)) {
      ctx.fail('ZONE_MAP_BAD_RULE', site === '' ? `empty site name in "${text}" (sites are joined by ">", e.g. eu>us)` : `bad site name "${site}" (letters, digits, "-", "_", ".")`, col, site || text);
      return undefined;
    }
    if (sites.includes(site)) {
      ctx.fail('ZONE_MAP_BAD_RULE', `site "${site}" is listed twice in "${text}"`, col, site);
      return undefined;
    }
    sites.push(site);
  }
  return sites;
}

function parseMatch(kind: SiteRuleKind, item: string, col: number, ctx: AnnotationContext, at: (col: number) => SourcePosition): ParsedMatch | undefined {
  if (kind === 'country') {
    if (!/^[A-Za-z]{2}$/.test(item)) {
      ctx.fail('ZONE_MAP_BAD_COUNTRY', `country must be an ISO 3166 two-letter code such as JP or KR (got "${item}")`, col, item);
      return undefined;
    }
    return { value: item.toUpperCase(), at: at(col) };
  }
  if (kind === 'continent') {
    const upper = item.toUpperCase();
    if (!(CONTINENTS as readonly string[]).includes(upper)) {
      ctx.fail('ZONE_MAP_BAD_CONTINENT', `continent must be one of ${CONTINENTS.join(' ')} (got "${item}")`, col, item);
      return undefined;
    }
    return { value: upper, at: at(col) };
  }
  const net = parseCidr(item);
  if (typeof net === 'string') {
    ctx.fail('ZONE_MAP_BAD_NET', net, col, item);
    return undefined;
  }
  return { value: net.text, at: at(col), net };
}

/** `address/length` with the host bits zero; a string says what is wrong. */
export function parseCidr(text: string): { family: 4 | 6; bytes: Uint8Array; prefixLength: number; text: string } | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `net: needs a prefix such as 198.51.100.0/24 or 2001:db8::/32 (got "${text}")`;
  const addressText = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);
  const v4 = parseIPv4(addressText);
  const bytes = v4 !== undefined ? ipv4Bytes(v4) : addressText.includes(':') ? ipv6Bytes(addressText) : undefined;
  if (!bytes) return `bad network address "${addressText}" in "${text}"`;
  const family = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  const length = /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!(length >= 0 && length <= max)) return `prefix length must be 0-${max} (got "${lengthText}" in "${text}")`;
  for (let bit = length; bit < max; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return `"${text}" has host bits set (did you mean ${maskedText(bytes, length)}?)`;
  }
  return { family, bytes, prefixLength: length, text: `${family === 4 ? v4 : formatIPv6(bytes)}/${length}` };
}

function maskedText(bytes: Uint8Array, length: number): string {
  const out = Uint8Array.from(bytes);
  for (let bit = length; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(1 << (7 - (bit & 7)));
  return `${out.length === 4 ? out.join('.') : formatIPv6(out)}/${length}`;
}
