/**
 * Simulator parameters: every one settable, with the research note's defaults (§6). Sources are
 * in docs/report.md; [assume] marks our own modelling choices. Times in seconds.
 */
import { ConfigError } from '../../lib/errors.js';
import type { ClientClass, ClientModel } from '../client-model.js';
import { DEFAULT_CLIENT_MODEL } from '../client-model.js';

export type SimPolicy = 'round-robin' | 'weighted' | 'random' | 'weighted-random';
export const SIM_POLICIES: readonly SimPolicy[] = ['round-robin', 'weighted', 'random', 'weighted-random'];

/** A value and the share of resolver traffic it applies to. */
export interface MixEntry {
  readonly seconds: number;
  readonly share: number;
}

export interface ReorderMix {
  /** Rotated or shuffled on every response (unbound, BIND 9.18, Knot, dnsmasq, systemd-resolved). */
  readonly perResponse: number;
  /** One order per cache entry (PowerDNS Recursor's packet cache, nscd). */
  readonly frozen: number;
  /** Our order passed through unchanged. */
  readonly preserve: number;
}

export interface SimulateParams {
  /** Seed of the random source (lib/random.ts seededRandom). */
  readonly seed: number;
  // The pool.
  readonly backends: number;
  /** One weight per backend; empty = all 1. */
  readonly weights: readonly number[];
  readonly family: 4 | 6;
  readonly policy: SimPolicy;
  readonly answers: number | 'all';
  /** Seconds: the TTL our answers carry. */
  readonly ttl: number;
  /** `skew=` of the pool: `correct` runs skew correction (balance/skew.ts) with the policy's targets. */
  readonly skew: 'off' | 'correct';
  /** `ttl-min=` / `ttl-max=` (seconds) for skew correction; null: 1 s and the TTL. */
  readonly ttlMin: number | null;
  readonly ttlMax: number | null;
  // Time.
  readonly warmupSeconds: number;
  /** Length of the measured period (skew windows). */
  readonly durationSeconds: number;
  /** Length of the drain phase after the removal (0: no drain phase). */
  readonly drainSeconds: number;
  // Demand.
  /** Client requests per second, all clients together. */
  readonly requestRate: number;
  // Resolvers.
  readonly resolvers: number;
  readonly zipfAlpha: number;
  /** The largest resolvers that are anycast services with several caches. */
  readonly publicResolvers: number;
  readonly publicCaches: number;
  /** Share of resolver traffic whose resolver extends TTLs, and to what (cache-min-ttl). */
  readonly ttlExtendShare: number;
  readonly ttlExtendTo: readonly MixEntry[];
  /** Software TTL floors (Knot, CoreDNS 5 s; PowerDNS 1 s) and their traffic shares. */
  readonly ttlFloors: readonly MixEntry[];
  readonly reorder: ReorderMix;
  /** Share of resolver traffic that prefetches; half BIND-style, half unbound-style. */
  readonly prefetchShare: number;
  /** BIND `prefetch 2 9`: refresh at ≤ 2 s left when the original TTL is ≥ 9 s. */
  readonly bindPrefetchSeconds: number;
  readonly bindPrefetchMinTtl: number;
  /** unbound `prefetch: yes`: refresh in the last 10% of the TTL. */
  readonly unboundPrefetchFraction: number;
  // Clients.
  readonly client: ClientModel;
  /** IPv6 pools: getaddrinfo rule 9 makes each client prefer the address nearest its own. */
  readonly ipv6Rule9: boolean;
  // Drain.
  /** Member index removed at the end of the measured period; null for none. */
  readonly removeMember: number | null;
  /** `removed`: dropped from answers but serving; `dead`: connections fail, clients fail over. */
  readonly removal: 'removed' | 'dead';
  /** Skew windows, seconds. */
  readonly windows: readonly number[];
}

export const DEFAULT_SIMULATE_PARAMS: SimulateParams = {
  seed: 1,
  backends: 4,
  weights: [],
  family: 4,
  policy: 'round-robin',
  answers: 'all',
  skew: 'off',
  ttlMin: null,
  ttlMax: null,
  ttl: 30,
  warmupSeconds: 600,
  durationSeconds: 3600,
  drainSeconds: 3600,
  requestRate: 1000,
  resolvers: 1000,
  zipfAlpha: 1,
  publicResolvers: 3,
  publicCaches: 8,
  ttlExtendShare: 0.09,
  ttlExtendTo: [
    { seconds: 60, share: 0.4 },
    { seconds: 300, share: 0.4 },
    { seconds: 3600, share: 0.2 },
  ],
  ttlFloors: [
    { seconds: 5, share: 0.15 },
    { seconds: 1, share: 0.1 },
  ],
  reorder: { perResponse: 0.85, frozen: 0.1, preserve: 0.05 },
  prefetchShare: 0.3,
  bindPrefetchSeconds: 2,
  bindPrefetchMinTtl: 9,
  unboundPrefetchFraction: 0.1,
  client: DEFAULT_CLIENT_MODEL,
  ipv6Rule9: true,
  removeMember: 0,
  removal: 'removed',
  windows: [10, 60, 300, 3600],
};

/** Presets for the resolver population (research note §6 [assume]). */
export const POPULATION_PRESETS: Readonly<Record<string, Partial<SimulateParams>>> = {
  consumer: { resolvers: 10_000, zipfAlpha: 0.8 },
  regional: { resolvers: 1000, zipfAlpha: 1 },
  api: { resolvers: 50, zipfAlpha: 1.2 },
};

/** Partial parameters; `client` may itself be partial. */
export type SimulateInput = Partial<Omit<SimulateParams, 'client'>> & { readonly client?: Partial<ClientModel> };

function fail(path: string, rule: string, got: unknown): never {
  throw new ConfigError('SIMULATE_BAD_PARAM', `simulate.${path} ${rule} (got ${JSON.stringify(got) ?? String(got)})`);
}

function checkNumber(path: string, v: number, min: number, max = Infinity, integer = false): void {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    fail(path, `must be ${integer ? 'an integer' : 'a number'} from ${min}${max === Infinity ? '' : ` to ${max}`}`, v);
  }
}

function checkShare(path: string, v: number): void {
  checkNumber(path, v, 0, 1);
}

/** Fills in defaults and checks every value; throws ConfigError (SIMULATE_BAD_PARAM). */
export function resolveSimulateParams(input: SimulateInput = {}): SimulateParams {
  const client: ClientModel = { ...DEFAULT_SIMULATE_PARAMS.client, ...input.client };
  const merged: SimulateParams = { ...DEFAULT_SIMULATE_PARAMS, ...input, client };
  // Default windows longer than the measured period are dropped; windows asked for are checked.
  const fitting = DEFAULT_SIMULATE_PARAMS.windows.filter((w) => w <= merged.durationSeconds);
  const windows = input.windows ?? (fitting.length > 0 ? fitting : [Math.max(1, Math.floor(merged.durationSeconds))]);
  const p: SimulateParams = { ...merged, windows };
  checkNumber('seed', p.seed, 0, 2 ** 32 - 1, true);
  checkNumber('backends', p.backends, 1, 256, true);
  if (p.weights.length !== 0 && p.weights.length !== p.backends) fail('weights', `must list one weight per backend (${p.backends})`, p.weights);
  p.weights.forEach((w, i) => checkNumber(`weights[${i}]`, w, 0));
  if (p.weights.length > 0 && !p.weights.some((w) => w > 0)) fail('weights', 'must have a positive weight', p.weights);
  if (p.family !== 4 && p.family !== 6) fail('family', 'must be 4 or 6', p.family);
  if (!SIM_POLICIES.includes(p.policy)) fail('policy', `must be one of ${SIM_POLICIES.join(', ')}`, p.policy);
  if (p.answers !== 'all') checkNumber('answers', p.answers, 1, 256, true);
  checkNumber('ttl', p.ttl, 0, 604_800);
  if (p.skew !== 'off' && p.skew !== 'correct') fail('skew', 'must be off or correct', p.skew);
  if (p.skew === 'correct' && p.policy !== 'round-robin' && p.policy !== 'weighted') fail('skew', 'correct works with policy round-robin or weighted', p.policy);
  if (p.ttlMin !== null) checkNumber('ttlMin', p.ttlMin, 1, 604_800, true);
  if (p.ttlMax !== null) checkNumber('ttlMax', p.ttlMax, 1, 604_800, true);
  checkNumber('warmupSeconds', p.warmupSeconds, 0, 86_400);
  checkNumber('durationSeconds', p.durationSeconds, 1, 7 * 86_400);
  checkNumber('drainSeconds', p.drainSeconds, 0, 7 * 86_400);
  checkNumber('requestRate', p.requestRate, 0.001, 1_000_000);
  checkNumber('resolvers', p.resolvers, 1, 1_000_000, true);
  checkNumber('zipfAlpha', p.zipfAlpha, 0, 10);
  checkNumber('publicResolvers', p.publicResolvers, 0, p.resolvers, true);
  checkNumber('publicCaches', p.publicCaches, 1, 1000, true);
  checkShare('ttlExtendShare', p.ttlExtendShare);
  p.ttlExtendTo.forEach((e, i) => {
    checkNumber(`ttlExtendTo[${i}].seconds`, e.seconds, 0);
    checkNumber(`ttlExtendTo[${i}].share`, e.share, 0);
  });
  if (p.ttlExtendShare > 0 && !p.ttlExtendTo.some((e) => e.share > 0)) fail('ttlExtendTo', 'must have a positive share when ttlExtendShare > 0', p.ttlExtendTo);
  let floors = 0;
  p.ttlFloors.forEach((e, i) => {
    checkNumber(`ttlFloors[${i}].seconds`, e.seconds, 0);
    checkShare(`ttlFloors[${i}].share`, e.share);
    floors += e.share;
  });
  if (floors > 1 + 1e-9) fail('ttlFloors', 'shares must add up to at most 1', p.ttlFloors);
  checkShare('reorder.perResponse', p.reorder.perResponse);
  checkShare('reorder.frozen', p.reorder.frozen);
  checkShare('reorder.preserve', p.reorder.preserve);
  if (p.reorder.perResponse + p.reorder.frozen + p.reorder.preserve <= 0) fail('reorder', 'must have a positive share', p.reorder);
  checkShare('prefetchShare', p.prefetchShare);
  checkNumber('bindPrefetchSeconds', p.bindPrefetchSeconds, 0);
  checkNumber('bindPrefetchMinTtl', p.bindPrefetchMinTtl, 0);
  checkShare('unboundPrefetchFraction', p.unboundPrefetchFraction);
  if (p.client.classes.length === 0 || !p.client.classes.some((c) => c.share > 0)) fail('client.classes', 'must have a class with a positive share', p.client.classes);
  p.client.classes.forEach((c: ClientClass, i) => {
    checkNumber(`client.classes[${i}].share`, c.share, 0);
    checkNumber(`client.classes[${i}].pinSeconds`, c.pinSeconds, 0);
    checkNumber(`client.classes[${i}].lagMedianSeconds`, c.lagMedianSeconds, 0);
    checkNumber(`client.classes[${i}].lagSigma`, c.lagSigma, 0);
    checkNumber(`client.classes[${i}].idleTimeoutSeconds`, c.idleTimeoutSeconds, 0);
  });
  if (p.client.pinFrom !== 'issue' && p.client.pinFrom !== 'lookup') fail('client.pinFrom', 'must be issue or lookup', p.client.pinFrom);
  checkNumber('client.connectionLifetimeSeconds', p.client.connectionLifetimeSeconds, 0.001);
  checkNumber('client.requestsPerConnection', p.client.requestsPerConnection, 1);
  checkShare('client.firstAddressShare', p.client.firstAddressShare);
  if (p.removeMember !== null) checkNumber('removeMember', p.removeMember, 0, p.backends - 1, true);
  if (p.removeMember !== null && p.backends < 2) fail('removeMember', 'needs at least 2 backends (someone must take over)', p.removeMember);
  if (p.removal !== 'removed' && p.removal !== 'dead') fail('removal', 'must be removed or dead', p.removal);
  if (p.windows.length === 0) fail('windows', 'must list at least one window', p.windows);
  p.windows.forEach((w, i) => checkNumber(`windows[${i}]`, w, 1, p.durationSeconds, true));
  const clients = clientCount(p);
  if (clients > 2_000_000) fail('requestRate', 'gives more than 2,000,000 clients (rate × connection lifetime ÷ requests per connection)', p.requestRate);
  return p;
}

/** How many clients the demand takes: rate × connection lifetime ÷ requests per connection. */
export function clientCount(p: SimulateParams): number {
  return Math.max(1, Math.round((p.requestRate * p.client.connectionLifetimeSeconds) / p.client.requestsPerConnection));
}
