/**
 * Rondo's `;@` comments (DESIGN.md "Zone files"): `;@check NAME KIND ...`, `;@pool OWNER ...` and
 * the member settings at the end of an A/AAAA line. Every other DNS tool sees plain comments.
 * Values are checked here, one error per bad key with the key's column; references between
 * annotations (a pool's check, tcp ports) are checked in validate.ts once the whole file is read.
 */
import type { SourcePosition } from '../lib/errors.js';
import { parseDurationMs } from '../lib/duration.js';
import type { CheckKind, CheckSpec, PolicyName, AllDownMode, PoolConfig, SkewMode } from '../model/zone.js';
import { DEFAULT_POOL_CONFIG } from '../model/zone.js';
import type { ZoneCode } from './codes.js';
import { parseAddress } from '../lib/ip.js';
import { parseName, type NameOrigin } from './names.js';
import { typeFromText } from './rdata.js';
import { parseTtl, MAX_TTL } from './ttl.js';

/** One `key=value` or flag of an annotation. */
export interface AnnotationWord {
  readonly key: string;
  readonly value: string | undefined;
  readonly column: number;
}

export interface AnnotationContext {
  readonly file: string;
  readonly line: number;
  /** The origin in force on this line (for `;@pool` owners and dns `qname`). */
  readonly origin: NameOrigin | undefined;
  fail(code: ZoneCode, detail: string, column: number, token?: string): void;
}

export interface ParsedCheck {
  readonly spec: CheckSpec;
  /** Where the NAME is written. */
  readonly nameAt: SourcePosition;
  /** Where each key given is written. */
  readonly keys: ReadonlyMap<string, SourcePosition>;
}

export interface ParsedPool {
  readonly name: string;
  readonly display: string;
  readonly config: PoolConfig;
  readonly source: SourcePosition;
  readonly keys: ReadonlyMap<string, SourcePosition>;
}

export interface ParsedMember {
  readonly weight: number;
  readonly priority: number;
  readonly backup: boolean;
  readonly check: string | undefined;
  /** Canonical address. */
  readonly probe: string | undefined;
  readonly port: number | undefined;
  /** `site=`. */
  readonly site: string | undefined;
  readonly source: SourcePosition;
  readonly keys: ReadonlyMap<string, SourcePosition>;
}

const CHECK_KINDS: readonly CheckKind[] = ['tcp', 'http', 'https', 'icmp', 'dns'];
const POLICIES: readonly PolicyName[] = ['round-robin', 'weighted', 'random', 'weighted-random', 'failover', 'sticky', 'fastest', 'least-loaded'];
const ALL_DOWN: readonly AllDownMode[] = ['serve-all', 'serve-backup', 'nodata', 'servfail'];
const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const COMMON_CHECK_KEYS = ['port', 'interval', 'timeout', 'rise', 'fall', 'jitter'];
const HTTP_CHECK_KEYS = ['path', 'host', 'method', 'expect', 'body', 'body-regex', 'load-header', 'load-json'];
const CHECK_KEYS: Record<CheckKind, readonly string[]> = {
  tcp: COMMON_CHECK_KEYS,
  icmp: COMMON_CHECK_KEYS.filter((k) => k !== 'port'),
  http: [...COMMON_CHECK_KEYS, ...HTTP_CHECK_KEYS],
  https: [...COMMON_CHECK_KEYS, ...HTTP_CHECK_KEYS, 'insecure'],
  dns: [...COMMON_CHECK_KEYS, 'qname', 'qtype', 'rcode'],
};
const CHECK_FLAGS = new Set(['insecure']);
const ALL_CHECK_KEYS = new Set([...COMMON_CHECK_KEYS, ...HTTP_CHECK_KEYS, 'insecure', 'qname', 'qtype', 'rcode']);

const POOL_KEYS = new Set(['policy', 'answers', 'ttl', 'check', 'all-down', 'unknown', 'quorum', 'sticky-v4', 'sticky-v6', 'map', 'site-threshold', 'skew', 'ttl-min', 'ttl-max']);
/** Policies skew correction can stand in for: their target shares are equal or the weights. */
export const SKEW_POLICIES: readonly PolicyName[] = ['round-robin', 'weighted'];
const MEMBER_KEYS = new Set(['weight', 'priority', 'check', 'probe', 'port', 'site']);
const MEMBER_FLAGS = new Set(['backup']);

export const CHECK_DEFAULTS = {
  intervalMs: 5000,
  timeoutMs: 2000,
  rise: 2,
  fall: 3,
  /** Jitter is this fraction of the interval unless given. */
  jitterFraction: 0.1,
  ports: { http: 80, https: 443, dns: 53, tcp: undefined, icmp: undefined } as Record<CheckKind, number | undefined>,
} as const;

/**
 * Splits annotation text into words. `key="a value"` may quote a value (with `\"` and `\\`);
 * a word starting with `;` starts a trailing comment. `column` is the column of text[0].
 */
export function splitAnnotation(text: string, column: number, ctx: AnnotationContext): AnnotationWord[] | undefined {
  const words: AnnotationWord[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (c === 59) break; // `;` trailing comment
    const start = i;
    let eq = -1;
    let value = '';
    let quoted = false;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 32 || d === 9 || d === 13) break;
      if (d === 61 && eq < 0) {
        eq = i;
        i++;
        if (text.charCodeAt(i) === 34) {
          // key="quoted value"
          quoted = true;
          i++;
          let closed = false;
          while (i < n) {
            const q = text.charCodeAt(i);
            if (q === 92 && i + 1 < n) {
              value += text[i + 1];
              i += 2;
            } else if (q === 34) {
              closed = true;
              i++;
              break;
            } else {
              value += text[i];
              i++;
            }
          }
          if (!closed) {
            ctx.fail('ZONE_BAD_VALUE', 'quoted value not closed', column + start, text.slice(start));
            return undefined;
          }
          const after = text.charCodeAt(i);
          if (i < n && after !== 32 && after !== 9 && after !== 13) {
            ctx.fail('ZONE_BAD_VALUE', 'expected a space after the quoted value', column + i, text.slice(start, i + 1));
            return undefined;
          }
          break;
        }
        continue;
      }
      i++;
    }
    if (eq < 0) {
      words.push({ key: text.slice(start, i), value: undefined, column: column + start });
    } else {
      words.push({
        key: text.slice(start, eq),
        value: quoted ? value : text.slice(eq + 1, i),
        column: column + start,
      });
    }
  }
  return words;
}

/** Reads the key=value words of one annotation into a map, reporting unknown, duplicate and valueless keys. */
function collectKeys(
  words: readonly AnnotationWord[],
  ctx: AnnotationContext,
  known: (key: string) => 'key' | 'flag' | 'unknown' | string,
): Map<string, AnnotationWord> | undefined {
  const keys = new Map<string, AnnotationWord>();
  let ok = true;
  for (const w of words) {
    const kind = known(w.key);
    if (kind !== 'key' && kind !== 'flag') {
      ctx.fail('ZONE_UNKNOWN_KEY', kind === 'unknown' ? `unknown key "${w.key}"` : kind, w.column, w.key);
      ok = false;
      continue;
    }
    if (keys.has(w.key)) {
      ctx.fail('ZONE_DUPLICATE_KEY', `key "${w.key}" given twice`, w.column, w.key);
      ok = false;
      continue;
    }
    if (kind === 'flag' && w.value !== undefined) {
      ctx.fail('ZONE_BAD_VALUE', `"${w.key}" is a flag and takes no value`, w.column, w.key);
      ok = false;
      continue;
    }
    if (kind === 'key' && (w.value === undefined || w.value === '')) {
      ctx.fail('ZONE_BAD_VALUE', `key "${w.key}" needs a value (${w.key}=...)`, w.column, w.key);
      ok = false;
      continue;
    }
    keys.set(w.key, w);
  }
  return ok ? keys : undefined;
}

function position(ctx: AnnotationContext, column: number): SourcePosition {
  return { file: ctx.file, line: ctx.line, column };
}

function positions(ctx: AnnotationContext, keys: Map<string, AnnotationWord>): Map<string, SourcePosition> {
  const out = new Map<string, SourcePosition>();
  for (const [key, w] of keys) out.set(key, position(ctx, w.column));
  return out;
}

/** Value readers: undefined (after reporting) when the value is bad. */
class Values {
  ok = true;
  constructor(
    private readonly ctx: AnnotationContext,
    private readonly keys: Map<string, AnnotationWord>,
  ) {}

  /** Reported at the key (as the zone-file contract asks), with the value as the token. */
  private bad(w: AnnotationWord, detail: string): undefined {
    this.ctx.fail('ZONE_BAD_VALUE', detail, w.column, w.value);
    this.ok = false;
    return undefined;
  }

  word(key: string): AnnotationWord | undefined {
    return this.keys.get(key);
  }

  int(key: string, min: number, max: number): number | undefined {
    const w = this.keys.get(key);
    if (!w) return undefined;
    const v = w.value ?? '';
    const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) return this.bad(w, `${key} must be an integer ${min}-${max} (got "${v}")`);
    return n;
  }

  durationMs(key: string, min: number): number | undefined {
    const w = this.keys.get(key);
    if (!w) return undefined;
    const v = w.value ?? '';
    const ms = parseDurationMs(v);
    if (ms === undefined || ms < min) {
      return this.bad(w, `${key} must be a duration like 500ms, 2s or 1m${min > 0 ? `, at least ${min}ms` : ''} (got "${v}")`);
    }
    return ms;
  }

  choice<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const w = this.keys.get(key);
    if (!w) return undefined;
    const v = w.value ?? '';
    if (!(choices as readonly string[]).includes(v)) return this.bad(w, `${key} must be one of ${choices.join(', ')} (got "${v}")`);
    return v as T;
  }

  text(key: string, pattern: RegExp, what: string): string | undefined {
    const w = this.keys.get(key);
    if (!w) return undefined;
    const v = w.value ?? '';
    if (!pattern.test(v)) return this.bad(w, `${key} must be ${what} (got "${v}")`);
    return v;
  }

  /** Reports a problem with a value that passed its own syntax check. */
  reject(key: string, detail: string): void {
    const w = this.keys.get(key);
    if (w) this.bad(w, detail);
  }
}

/** `;@check NAME KIND [key=value | flag]...`; `words` excludes the leading `check`. */
export function parseCheckAnnotation(words: readonly AnnotationWord[], ctx: AnnotationContext, column: number): ParsedCheck | undefined {
  const nameWord = words[0];
  const kindWord = words[1];
  if (!nameWord || !kindWord || nameWord.value !== undefined || kindWord.value !== undefined) {
    ctx.fail('ZONE_MISSING_ARGUMENT', ';@check needs a NAME and a KIND: ;@check NAME tcp|http|https|icmp|dns [key=value]...', column);
    return undefined;
  }
  if (!CHECK_NAME.test(nameWord.key)) {
    ctx.fail('ZONE_BAD_VALUE', `bad check name "${nameWord.key}" (letters, digits, "-", "_", ".")`, nameWord.column, nameWord.key);
    return undefined;
  }
  const kind = (CHECK_KINDS as readonly string[]).includes(kindWord.key) ? (kindWord.key as CheckKind) : undefined;
  if (!kind) {
    ctx.fail('ZONE_BAD_VALUE', `unknown check kind "${kindWord.key}" (tcp, http, https, icmp, dns)`, kindWord.column, kindWord.key);
    return undefined;
  }
  const allowed = new Set(CHECK_KEYS[kind]);
  const keys = collectKeys(words.slice(2), ctx, (key) => {
    if (allowed.has(key)) return CHECK_FLAGS.has(key) ? 'flag' : 'key';
    if (ALL_CHECK_KEYS.has(key)) return `key "${key}" does not apply to ${kind} checks`;
    return 'unknown';
  });
  if (!keys) return undefined;
  const v = new Values(ctx, keys);

  const port = v.int('port', 1, 65535);
  const intervalMs = v.durationMs('interval', 1) ?? CHECK_DEFAULTS.intervalMs;
  const timeoutMs = v.durationMs('timeout', 1) ?? CHECK_DEFAULTS.timeoutMs;
  const rise = v.int('rise', 1, 100) ?? CHECK_DEFAULTS.rise;
  const fall = v.int('fall', 1, 100) ?? CHECK_DEFAULTS.fall;
  const jitterMs = v.durationMs('jitter', 0) ?? Math.round(intervalMs * CHECK_DEFAULTS.jitterFraction);
  if (v.ok && timeoutMs >= intervalMs) {
    const blame = keys.has('timeout') ? 'timeout' : 'interval';
    v.reject(blame, `timeout must be less than interval (got timeout ${timeoutMs}ms >= interval ${intervalMs}ms)`);
  }
  if (v.ok && jitterMs > intervalMs) v.reject('jitter', `jitter must not exceed interval (got ${jitterMs}ms > ${intervalMs}ms)`);

  const path = v.text('path', /^\/[^\s]*$/, 'a path starting with "/"') ?? '/';
  const host = v.text('host', /^[^\s/]+$/, 'a host name (no spaces or "/")');
  const method = (v.text('method', /^[A-Za-z]{1,16}$/, 'an HTTP method such as GET or HEAD') ?? 'GET').toUpperCase();
  const expect = parseExpect(v);
  const body = v.word('body')?.value;
  const bodyRegex = v.word('body-regex')?.value;
  if (bodyRegex !== undefined) {
    try {
      new RegExp(bodyRegex);
    } catch (err) {
      v.reject('body-regex', `body-regex does not compile: ${(err as Error).message}`);
    }
  }
  const loadHeader = v.text('load-header', /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name');
  const loadJson = v.text('load-json', /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a dotted path such as stats.load');
  let qname: string | undefined;
  const qnameWord = v.word('qname');
  if (qnameWord?.value !== undefined) {
    const parsed = parseName(qnameWord.value, ctx.origin);
    if (parsed.ok) qname = parsed.name;
    else v.reject('qname', `qname: ${parsed.detail}`);
  }
  let qtype = 'A';
  const qtypeWord = v.word('qtype');
  if (qtypeWord?.value !== undefined) {
    const t = typeFromText(qtypeWord.value);
    if (typeof t === 'number') qtype = qtypeWord.value.toUpperCase();
    else v.reject('qtype', `qtype: ${t.detail}`);
  }
  let rcode = 'NOERROR';
  const rcodeWord = v.word('rcode');
  if (rcodeWord?.value !== undefined) {
    const upper = rcodeWord.value.toUpperCase();
    if (RCODES.includes(upper)) rcode = upper;
    else v.reject('rcode', `rcode must be one of ${RCODES.join(', ')} (got "${rcodeWord.value}")`);
  }
  if (!v.ok) return undefined;

  const spec: CheckSpec = {
    name: nameWord.key,
    kind,
    port: port ?? CHECK_DEFAULTS.ports[kind],
    intervalMs,
    timeoutMs,
    rise,
    fall,
    jitterMs,
    path,
    host,
    method,
    expect: expect ?? [[200, 399]],
    body,
    bodyRegex,
    loadHeader,
    loadJson,
    insecure: keys.has('insecure'),
    qname,
    qtype,
    rcode,
    source: position(ctx, column),
  };
  return { spec, nameAt: position(ctx, nameWord.column), keys: positions(ctx, keys) };
}

/** `expect=200,204` or `200-399`, or a mix: inclusive ranges of HTTP status codes. */
function parseExpect(v: Values): [number, number][] | undefined {
  const w = v.word('expect');
  if (!w?.value) return undefined;
  const ranges: [number, number][] = [];
  for (const part of w.value.split(',')) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!(lo >= 100 && hi <= 599 && lo <= hi)) {
      v.reject('expect', `expect must list status codes 100-599 and ranges, e.g. 200,204 or 200-399 (got "${w.value}")`);
      return undefined;
    }
    ranges.push([lo, hi]);
  }
  return ranges;
}

/** `;@pool OWNER [key=value]...`; `words` excludes the leading `pool`. */
export function parsePoolAnnotation(words: readonly AnnotationWord[], ctx: AnnotationContext, column: number): ParsedPool | undefined {
  const ownerWord = words[0];
  if (!ownerWord || ownerWord.value !== undefined) {
    ctx.fail('ZONE_MISSING_ARGUMENT', ';@pool needs an OWNER: ;@pool OWNER [key=value]...', column);
    return undefined;
  }
  const owner = parseName(ownerWord.key, ctx.origin);
  if (!owner.ok) {
    ctx.fail(owner.code, owner.detail, ownerWord.column, ownerWord.key);
    return undefined;
  }
  const keys = collectKeys(words.slice(1), ctx, (key) => (POOL_KEYS.has(key) ? 'key' : 'unknown'));
  if (!keys) return undefined;
  const v = new Values(ctx, keys);
  const policy = v.choice('policy', POLICIES) ?? DEFAULT_POOL_CONFIG.policy;
  let answers: number | 'all' | undefined;
  const answersWord = v.word('answers');
  if (answersWord) answers = answersWord.value === 'all' ? 'all' : v.int('answers', 1, 1000);
  let ttl: number | undefined;
  const ttlWord = v.word('ttl');
  if (ttlWord?.value !== undefined) {
    const seconds = parseTtl(ttlWord.value);
    if (seconds < 0 || seconds > MAX_TTL) v.reject('ttl', `ttl must be seconds or a duration such as 30s or 5m, at most ${MAX_TTL} (got "${ttlWord.value}")`);
    else ttl = seconds;
  }
  const check = v.text('check', CHECK_NAME, 'a check name');
  let allDown: AllDownMode = DEFAULT_POOL_CONFIG.allDown;
  let cnameTarget: string | undefined;
  const allDownWord = v.word('all-down');
  if (allDownWord?.value?.startsWith('cname:')) {
    // `all-down=cname:TARGET` (issue 12): a CNAME to a fallback host, relative names from $ORIGIN.
    const target = parseName(allDownWord.value.slice(6), ctx.origin);
    if (allDownWord.value.length > 6 && target.ok) {
      allDown = 'cname';
      cnameTarget = target.display;
    } else v.reject('all-down', `all-down=cname: needs a host name, e.g. cname:sorry.example.org. (${target.ok ? 'got nothing' : target.detail})`);
  } else allDown = v.choice('all-down', ALL_DOWN) ?? DEFAULT_POOL_CONFIG.allDown;
  const map = v.text('map', SITE_NAME, 'a ;@map name');
  let siteThreshold: number | undefined;
  const thresholdWord = v.word('site-threshold');
  if (thresholdWord?.value !== undefined) {
    const m = /^(\d{1,3}(?:\.\d{1,4})?)%$/.exec(thresholdWord.value);
    const percent = m ? Number(m[1]) : NaN;
    if (percent > 0 && percent <= 100) siteThreshold = percent / 100;
    else v.reject('site-threshold', `site-threshold must be a percentage above 0% and at most 100%, e.g. 50% (got "${thresholdWord.value}")`);
  }
  const unknown = v.choice('unknown', ['up', 'down'] as const) ?? DEFAULT_POOL_CONFIG.unknown;
  let quorum: number | 'majority' | 'all' | undefined;
  const quorumWord = v.word('quorum');
  if (quorumWord) quorum = quorumWord.value === 'majority' || quorumWord.value === 'all' ? quorumWord.value : v.int('quorum', 1, 1000);
  const stickyV4Prefix = v.int('sticky-v4', 0, 32) ?? DEFAULT_POOL_CONFIG.stickyV4Prefix;
  const stickyV6Prefix = v.int('sticky-v6', 0, 128) ?? DEFAULT_POOL_CONFIG.stickyV6Prefix;
  const skew = v.choice<SkewMode>('skew', ['off', 'correct']) ?? 'off';
  // ttl-min=0 lets the busiest resolvers ask per client lookup (no caching), the finest steering.
  const ttlMin = poolSeconds(v, 'ttl-min', 0);
  const ttlMax = poolSeconds(v, 'ttl-max', 1);
  if (v.ok && skew === 'correct' && !SKEW_POLICIES.includes(policy)) {
    v.reject('skew', `skew=correct works with policy=${SKEW_POLICIES.join(' or policy=')} (got policy=${policy})`);
  }
  if (v.ok && skew === 'correct' && map !== undefined) {
    v.reject('skew', 'skew=correct does not combine with map= (a mapped pool answers each client from its own site)');
  }
  if (v.ok && skew !== 'correct') {
    if (ttlMin !== undefined) v.reject('ttl-min', 'ttl-min only applies with skew=correct');
    else if (ttlMax !== undefined) v.reject('ttl-max', 'ttl-max only applies with skew=correct');
  }
  if (v.ok && ttlMin !== undefined) {
    const max = ttlMax ?? ttl;
    if (max !== undefined && ttlMin > max) v.reject('ttl-min', `ttl-min must not exceed ${ttlMax !== undefined ? 'ttl-max' : 'ttl'} (got ${ttlMin}s > ${max}s)`);
  }
  if (!v.ok) return undefined;
  const config: PoolConfig = {
    policy,
    answers: answers ?? (policy === 'weighted' || policy === 'weighted-random' ? 1 : 'all'),
    ttl,
    check,
    allDown,
    unknown,
    quorum: quorum ?? DEFAULT_POOL_CONFIG.quorum,
    stickyV4Prefix,
    stickyV6Prefix,
    ...(map !== undefined ? { map, siteThreshold: siteThreshold ?? 0.5 } : siteThreshold !== undefined ? { siteThreshold } : {}),
    ...(cnameTarget !== undefined ? { cnameTarget } : {}),
    skew,
    ttlMin,
    ttlMax,
  };
  return { name: owner.name, display: owner.display, config, source: position(ctx, ownerWord.column), keys: positions(ctx, keys) };
}

/** A pool TTL bound in seconds (`5`, `5s`, `1m`), at least `min`; undefined when absent or bad (reported). */
function poolSeconds(v: Values, key: string, min: number): number | undefined {
  const w = v.word(key);
  if (w?.value === undefined) return undefined;
  const seconds = parseTtl(w.value);
  if (seconds < min || seconds > MAX_TTL) {
    v.reject(key, `${key} must be seconds or a duration such as 2s or 1m, ${min}-${MAX_TTL} (got "${w.value}")`);
    return undefined;
  }
  return seconds;
}

/** The `;@ ...` at the end of an A/AAAA record. */
export function parseMemberAnnotation(words: readonly AnnotationWord[], ctx: AnnotationContext, column: number): ParsedMember | undefined {
  const keys = collectKeys(words, ctx, (key) => (MEMBER_FLAGS.has(key) ? 'flag' : MEMBER_KEYS.has(key) ? 'key' : 'unknown'));
  if (!keys) return undefined;
  const v = new Values(ctx, keys);
  const weight = v.int('weight', 1, 1000) ?? 1;
  const priority = v.int('priority', 1, 65535) ?? 1;
  const check = v.text('check', CHECK_NAME, 'a check name');
  let probe: string | undefined;
  const probeWord = v.word('probe');
  if (probeWord?.value !== undefined) {
    const parsed = parseAddress(probeWord.value);
    if (parsed) probe = parsed.address;
    else v.reject('probe', `probe must be an IPv4 or IPv6 address (got "${probeWord.value}")`);
  }
  const port = v.int('port', 1, 65535);
  const site = v.text('site', SITE_NAME, 'a site name (letters, digits, "-", "_", ".")');
  if (!v.ok) return undefined;
  return { weight, priority, backup: keys.has('backup'), check, probe, port, site, source: position(ctx, column), keys: positions(ctx, keys) };
}
