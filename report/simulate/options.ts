/**
 * Command-line options of `rondo simulate`, as data: each flag, the parameter it sets, how its
 * text is read, its default and where the default comes from. The CLI builds its options from
 * SIMULATE_OPTIONS and passes commander's parsed record to parseSimulateOptions; docs/report.md
 * lists the same table.
 */
import { ConfigError } from '../../lib/errors.js';
import { parseDurationMs } from '../../lib/duration.js';
import type { ClientClass, ClientModel } from '../client-model.js';
import type { MixEntry, SimulateInput, SimulateParams } from './params.js';
import { DEFAULT_SIMULATE_PARAMS, POPULATION_PRESETS, SIM_POLICIES } from './params.js';

export interface SimulateOption {
  /** Long flag without dashes, kebab-case (`public-caches`). */
  readonly flag: string;
  readonly value: string;
  readonly description: string;
  readonly default: string;
  readonly source: string;
}

export const SIMULATE_OPTIONS: readonly SimulateOption[] = [
  { flag: 'seed', value: 'N', description: 'random seed (runs are reproducible)', default: '1', source: '—' },
  { flag: 'preset', value: 'NAME', description: 'resolver population: consumer (10000, α 0.8), regional (1000, α 1), api (50, α 1.2)', default: 'regional', source: 'note §6 [assume]' },
  { flag: 'backends', value: 'N', description: 'members in the pool', default: '4', source: 'config' },
  { flag: 'weights', value: 'W,W,…', description: 'one weight per member', default: 'all 1', source: 'config' },
  { flag: 'family', value: '4|6', description: 'A or AAAA pool', default: '4', source: 'config' },
  { flag: 'policy', value: 'NAME', description: `selection policy (${SIM_POLICIES.join(', ')}), run by balance/plan.ts`, default: 'round-robin', source: 'config' },
  { flag: 'answers', value: 'N|all', description: 'records per answer', default: 'all', source: 'note §6' },
  { flag: 'ttl', value: 'DURATION', description: 'TTL our answers carry', default: '30s', source: 'note §6' },
  { flag: 'skew', value: 'off|correct', description: 'skew correction (balance/skew.ts) on the pool', default: 'off', source: 'config' },
  { flag: 'ttl-min', value: 'DURATION', description: 'shortest TTL skew correction gives', default: '1s', source: 'config' },
  { flag: 'ttl-max', value: 'DURATION', description: 'longest TTL skew correction gives', default: 'the TTL', source: 'config' },
  { flag: 'warmup', value: 'DURATION', description: 'simulated time before measuring', default: '10m', source: '—' },
  { flag: 'duration', value: 'DURATION', description: 'measured period (skew windows)', default: '1h', source: '—' },
  { flag: 'drain', value: 'DURATION', description: 'time followed after removing a member (0 = no removal)', default: '1h', source: '—' },
  { flag: 'rate', value: 'N', description: 'client requests per second, all clients', default: '1000', source: '[assume]' },
  { flag: 'resolvers', value: 'N', description: 'resolvers in the population', default: '1000', source: 'Pang 2004, Alzoubi 2013' },
  { flag: 'zipf', value: 'α', description: 'Zipf exponent of resolver traffic shares', default: '1.0', source: 'Pang 2004, Colajanni 1998' },
  { flag: 'public-resolvers', value: 'N', description: 'largest resolvers that are anycast services', default: '3', source: 'Moura 2018, Chen 2015 [assume]' },
  { flag: 'public-caches', value: 'N', description: 'independent caches of each public resolver', default: '8', source: 'Moura 2018 [assume count]' },
  { flag: 'extend-share', value: 'SHARE', description: 'traffic share of resolvers that extend TTLs', default: '0.09', source: 'Bhowmick 2023 (8.74%)' },
  { flag: 'extend-to', value: 'S:SHARE,…', description: 'what extending resolvers raise TTLs to', default: '60:0.4,300:0.4,3600:0.2', source: 'calibrated to Flavel 2014 [assume]' },
  { flag: 'floors', value: 'S:SHARE,…', description: 'software TTL floors and their traffic shares', default: '5:0.15,1:0.1', source: 'Knot, CoreDNS 5 s; PowerDNS 1 s [assume shares]' },
  { flag: 'reorder', value: 'P,F,K', description: 'traffic shares: reorder per response, frozen per entry, keep our order', default: '0.85,0.1,0.05', source: 'note §2 [assume mix]' },
  { flag: 'prefetch', value: 'SHARE', description: 'traffic share of prefetching resolvers (half BIND, half unbound style)', default: '0.3', source: 'BIND default, Google [assume share]' },
  { flag: 'browser', value: 'SHARE', description: 'traffic share of browsers (keep answers ≥ pin)', default: '0.45', source: 'ctrl.blog survey, Chromium' },
  { flag: 'stub', value: 'SHARE', description: 'traffic share of TTL-honouring or uncached stubs', default: '0.47', source: 'ctrl.blog survey' },
  { flag: 'sticky', value: 'SHARE', description: 'traffic share of sticky clients (JVM, .NET pools, gRPC, apps)', default: '0.08', source: 'Flavel 2014 tail [assume]' },
  { flag: 'pin', value: 'DURATION', description: 'how long browsers keep an answer at least', default: '60s', source: 'Chromium kCacheEntryTTLSeconds, Firefox' },
  { flag: 'pin-from', value: 'issue|lookup', description: 'count the pin from the answer’s issue (calibrated) or the browser’s lookup', default: 'issue', source: 'calibration (docs/report.md)' },
  { flag: 'sticky-median', value: 'DURATION', description: 'median extra time sticky clients keep an answer', default: '120s', source: 'calibrated to Flavel 2014' },
  { flag: 'sticky-sigma', value: 'σ', description: 'lognormal σ of that extra time', default: '1.5', source: 'calibrated to Flavel 2014' },
  { flag: 'conn-lifetime', value: 'DURATION', description: 'mean connection lifetime', default: '60s', source: 'note §3 [assume mean]' },
  { flag: 'requests-per-conn', value: 'N', description: 'requests per connection, on average', default: '10', source: 'note §6 [assume]' },
  { flag: 'first-address', value: 'SHARE', description: 'clients that connect to the first address', default: '0.95', source: 'note §4 [assume]' },
  { flag: 'rule9', value: 'on|off', description: 'IPv6 clients prefer the longest common prefix (glibc, Go)', default: 'on', source: 'glibc getaddrinfo, Go addrselect' },
  { flag: 'remove', value: 'N|none', description: 'member removed at the end of the measured period', default: '0', source: '—' },
  { flag: 'removal', value: 'removed|dead', description: 'removed from answers but serving, or dead', default: 'removed', source: 'note §6' },
  { flag: 'windows', value: 'S,S,…', description: 'skew windows in seconds', default: '10,60,300,3600', source: 'note §6' },
];

function bad(flag: string, rule: string, got: unknown): never {
  throw new ConfigError('SIMULATE_BAD_OPTION', `--${flag} ${rule} (got ${JSON.stringify(got)})`);
}

function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : String(value);
}

function number(flag: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(text(value));
  if (!Number.isFinite(n)) bad(flag, 'must be a number', value);
  return n;
}

function seconds(flag: string, value: unknown): number {
  if (typeof value === 'number') return value;
  const ms = parseDurationMs(text(value));
  if (ms === undefined) bad(flag, 'must be a duration such as 30s, 5m, 1h', value);
  return ms / 1000;
}

function list(flag: string, value: unknown): number[] {
  if (Array.isArray(value)) return value.map((v) => number(flag, v));
  const parts = text(value).split(',').filter((p) => p.trim() !== '');
  if (parts.length === 0) bad(flag, 'must list numbers separated by commas', value);
  return parts.map((p) => number(flag, p));
}

function mix(flag: string, value: unknown): MixEntry[] {
  const parts = text(value).split(',').filter((p) => p.trim() !== '');
  return parts.map((p) => {
    const [s, share] = p.split(':');
    if (s === undefined || share === undefined) bad(flag, 'must list SECONDS:SHARE pairs separated by commas', value);
    return { seconds: seconds(flag, s), share: number(flag, share) };
  });
}

function onOff(flag: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const t = text(value).toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(t)) return true;
  if (['off', 'false', 'no', '0'].includes(t)) return false;
  return bad(flag, 'must be on or off', value);
}

function withClass(classes: readonly ClientClass[], name: string, change: Partial<ClientClass>): readonly ClientClass[] {
  return classes.map((c) => (c.name === name ? { ...c, ...change } : c));
}

/**
 * Turns a record of option values (commander's `opts()`, keys camelCase or kebab-case, values
 * strings or already parsed) into simulator input. Unknown keys are ignored (commander adds its
 * own); values are checked again by resolveSimulateParams.
 */
export function parseSimulateOptions(args: Readonly<Record<string, unknown>>): SimulateInput {
  const get = (flag: string): unknown => args[camel(flag)] ?? args[flag];
  const out: Record<string, unknown> = {};
  const preset = get('preset');
  if (preset !== undefined) {
    const p = POPULATION_PRESETS[text(preset)];
    if (!p) bad('preset', `must be one of ${Object.keys(POPULATION_PRESETS).join(', ')}`, preset);
    Object.assign(out, p);
  }
  let classes: readonly ClientClass[] = DEFAULT_SIMULATE_PARAMS.client.classes;
  const client: { -readonly [K in keyof ClientModel]?: ClientModel[K] } = {};
  for (const option of SIMULATE_OPTIONS) {
    const v = get(option.flag);
    if (v === undefined || option.flag === 'preset') continue;
    const f = option.flag;
    switch (f) {
      case 'seed':
      case 'backends':
      case 'rate':
      case 'resolvers':
      case 'public-resolvers':
      case 'public-caches':
      case 'extend-share':
      case 'prefetch': {
        const renamed: Readonly<Record<string, string>> = { rate: 'requestRate', 'extend-share': 'ttlExtendShare', prefetch: 'prefetchShare' };
        const key = renamed[f] ?? camel(f);
        out[key] = number(f, v);
        break;
      }
      case 'zipf':
        out.zipfAlpha = number(f, v);
        break;
      case 'weights':
        out.weights = list(f, v);
        break;
      case 'family': {
        const n = number(f, v);
        if (n !== 4 && n !== 6) bad(f, 'must be 4 or 6', v);
        out.family = n;
        break;
      }
      case 'policy':
        out.policy = text(v) as SimulateParams['policy'];
        break;
      case 'answers':
        out.answers = text(v) === 'all' ? 'all' : number(f, v);
        break;
      case 'ttl':
        out.ttl = seconds(f, v);
        break;
      case 'skew': {
        const t = text(v);
        if (t !== 'off' && t !== 'correct') bad(f, 'must be off or correct', v);
        out.skew = t;
        break;
      }
      case 'ttl-min':
        out.ttlMin = seconds(f, v);
        break;
      case 'ttl-max':
        out.ttlMax = seconds(f, v);
        break;
      case 'warmup':
        out.warmupSeconds = seconds(f, v);
        break;
      case 'duration':
        out.durationSeconds = seconds(f, v);
        break;
      case 'drain':
        out.drainSeconds = seconds(f, v);
        break;
      case 'extend-to':
        out.ttlExtendTo = mix(f, v);
        break;
      case 'floors':
        out.ttlFloors = text(v) === 'none' ? [] : mix(f, v);
        break;
      case 'reorder': {
        const [perResponse, frozen, preserve] = list(f, v);
        if (perResponse === undefined || frozen === undefined || preserve === undefined) bad(f, 'must give three shares: per-response,frozen,preserve', v);
        out.reorder = { perResponse, frozen, preserve };
        break;
      }
      case 'browser':
      case 'stub':
      case 'sticky':
        classes = withClass(classes, f, { share: number(f, v) });
        break;
      case 'pin':
        classes = withClass(classes, 'browser', { pinSeconds: seconds(f, v) });
        break;
      case 'sticky-median':
        classes = withClass(classes, 'sticky', { lagMedianSeconds: seconds(f, v) });
        break;
      case 'sticky-sigma':
        classes = withClass(classes, 'sticky', { lagSigma: number(f, v) });
        break;
      case 'pin-from': {
        const t = text(v);
        if (t !== 'issue' && t !== 'lookup') bad(f, 'must be issue or lookup', v);
        client.pinFrom = t;
        break;
      }
      case 'conn-lifetime':
        client.connectionLifetimeSeconds = seconds(f, v);
        break;
      case 'requests-per-conn':
        client.requestsPerConnection = number(f, v);
        break;
      case 'first-address':
        client.firstAddressShare = number(f, v);
        break;
      case 'rule9':
        out.ipv6Rule9 = onOff(f, v);
        break;
      case 'remove':
        out.removeMember = text(v) === 'none' ? null : number(f, v);
        break;
      case 'removal':
        out.removal = text(v) as SimulateParams['removal'];
        break;
      case 'windows':
        out.windows = list(f, v);
        break;
      default:
        break;
    }
  }
  if (classes !== DEFAULT_SIMULATE_PARAMS.client.classes) client.classes = classes;
  if (Object.keys(client).length > 0) out.client = client;
  return out as SimulateInput;
}

/**
 * `--compare` specs: `ttl=5,30,300` runs one simulation per value; several dimensions separated
 * by `;` or spaces (`ttl=5,30 answers=1,all`) run every combination. Each run starts from `base`.
 */
export function parseCompareSpec(spec: string, base: Readonly<Record<string, unknown>> = {}): SimulateInput[] {
  const dims = spec
    .split(/[;\s]+/)
    .filter((d) => d !== '')
    .map((d) => {
      const eq = d.indexOf('=');
      if (eq <= 0) bad('compare', 'must look like ttl=5,30,300 (several separated by ;)', spec);
      const flag = d.slice(0, eq);
      const known = SIMULATE_OPTIONS.some((o) => o.flag === flag || camel(o.flag) === flag);
      if (!known) bad('compare', `names an unknown option "${flag}"`, spec);
      // A mix value (extend-to, floors) contains commas of its own: vary those with '|'.
      const sep = flag === 'extend-to' || flag === 'floors' || flag === 'weights' || flag === 'reorder' || flag === 'windows' ? '|' : ',';
      return { flag, values: d.slice(eq + 1).split(sep).filter((v) => v !== '') };
    });
  if (dims.length === 0) bad('compare', 'is empty', spec);
  let combos: Record<string, unknown>[] = [{ ...base }];
  for (const dim of dims) {
    if (dim.values.length === 0) bad('compare', `gives no values for ${dim.flag}`, spec);
    combos = combos.flatMap((c) =>
      dim.values.map((v) => {
        const next: Record<string, unknown> = { ...c, [camel(dim.flag)]: v };
        if (dim.flag !== camel(dim.flag)) delete next[dim.flag];
        return next;
      }),
    );
  }
  if (combos.length > 64) bad('compare', 'asks for more than 64 runs', spec);
  return combos.map((c) => parseSimulateOptions(c));
}
