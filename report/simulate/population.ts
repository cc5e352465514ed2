/**
 * The simulated population: resolvers with Zipf traffic shares, their caches (anycast services
 * have several) and behaviour (TTL clamps and floors, reorder mode, prefetch), and the clients
 * behind each cache (class, first-address preference). Behaviour mixes are assigned by traffic,
 * not by count, as the research note states them: resolvers are walked in random order along
 * their cumulative traffic and each takes the value at the middle of its stretch (systematic
 * sampling), so a 9% clamp share clamps about 9% of the traffic.
 */
import type { Random } from '../../lib/random.js';
import { zipfShares } from '../closed-form.js';
import type { MixEntry, SimulateParams } from './params.js';
import { clientCount } from './params.js';

export const REORDER_PER_RESPONSE = 0;
export const REORDER_FROZEN = 1;
export const REORDER_PRESERVE = 2;

export const PREFETCH_NONE = 0;
export const PREFETCH_BIND = 1;
export const PREFETCH_UNBOUND = 2;

export interface Population {
  readonly resolverShares: readonly number[];
  /** Per resolver: effective TTL (s) given our TTL, clamps and floors. */
  readonly resolverTtl: Float64Array;
  /** Per resolver: true when its effective TTL is longer than ours because of a clamp. */
  readonly resolverExtends: Uint8Array;
  readonly caches: number;
  /** Per cache. */
  readonly cacheResolver: Int32Array;
  readonly cacheShare: Float64Array;
  readonly cacheTtl: Float64Array;
  /** Per cache: the shortest TTL it keeps an answer (its floor or clamp; 0 for none). */
  readonly cacheMinTtl: Float64Array;
  readonly cacheReorder: Uint8Array;
  readonly cachePrefetch: Uint8Array;
  /** Per cache: its clients are clientStart[c] … clientStart[c + 1] − 1. */
  readonly clientStart: Int32Array;
  /** Labels used as resolver keys by the observer (built once: no allocation per query). */
  readonly cacheKey: readonly string[];
  readonly clients: number;
  /** Per client: index into params.client.classes. */
  readonly clientClass: Uint8Array;
  readonly clientFirst: Uint8Array;
  readonly clientCache: Int32Array;
  /** Per client × backend: preference for IPv6 rule 9 (higher wins; shared by a resolver's clients). */
  readonly clientPreference: Float32Array | undefined;
}

function shuffled(n: number, random: Random): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Assigns to each resolver the index of a mix entry so that entries get about their share of the
 * traffic (see the file comment). `mix` shares must sum to 1.
 */
export function assignByTraffic(shares: readonly number[], mix: readonly number[], random: Random): Uint8Array {
  const out = new Uint8Array(shares.length);
  const cumulative: number[] = [];
  let sum = 0;
  for (const m of mix) cumulative.push((sum += m));
  const order = shuffled(shares.length, random);
  const offset = random.next();
  let walked = 0;
  for (const r of order) {
    const s = shares[r]!;
    let x = walked + s / 2 + offset;
    x -= Math.floor(x);
    let k = 0;
    while (k < cumulative.length - 1 && x >= cumulative[k]! / (sum || 1)) k++;
    out[r] = k;
    walked += s;
  }
  return out;
}

function normalised(entries: readonly MixEntry[], scale: number): number[] {
  const total = entries.reduce((a, e) => a + e.share, 0);
  return entries.map((e) => (total > 0 ? (e.share / total) * scale : 0));
}

export function buildPopulation(p: SimulateParams, random: Random): Population {
  const R = p.resolvers;
  const shares = zipfShares(R, p.zipfAlpha);

  // TTL handling: honour, or extend to one of ttlExtendTo (flattened into one traffic mix).
  const extendMix = [1 - p.ttlExtendShare, ...normalised(p.ttlExtendTo, p.ttlExtendShare)];
  const extendOf = assignByTraffic(shares, extendMix, random);
  const floorTotal = p.ttlFloors.reduce((a, e) => a + e.share, 0);
  const floorMix = [Math.max(0, 1 - floorTotal), ...p.ttlFloors.map((e) => e.share)];
  const floorOf = assignByTraffic(shares, floorMix, random);
  const r = p.reorder;
  const reorderTotal = r.perResponse + r.frozen + r.preserve;
  const reorderOf = assignByTraffic(shares, [r.perResponse / reorderTotal, r.frozen / reorderTotal, r.preserve / reorderTotal], random);
  const prefetchOf = assignByTraffic(shares, [1 - p.prefetchShare, p.prefetchShare / 2, p.prefetchShare / 2], random);

  const resolverTtl = new Float64Array(R);
  const resolverMinTtl = new Float64Array(R);
  const resolverExtends = new Uint8Array(R);
  for (let i = 0; i < R; i++) {
    const e = extendOf[i]!;
    const f = floorOf[i]!;
    const floor = f === 0 ? 0 : (p.ttlFloors[f - 1]?.seconds ?? 0);
    const clamp = e === 0 ? 0 : (p.ttlExtendTo[e - 1]?.seconds ?? 0);
    resolverTtl[i] = Math.max(p.ttl, floor, clamp);
    resolverMinTtl[i] = Math.max(floor, clamp);
    resolverExtends[i] = clamp > p.ttl ? 1 : 0;
  }

  let caches = 0;
  for (let i = 0; i < R; i++) caches += i < p.publicResolvers ? p.publicCaches : 1;
  const cacheResolver = new Int32Array(caches);
  const cacheShare = new Float64Array(caches);
  const cacheTtl = new Float64Array(caches);
  const cacheMinTtl = new Float64Array(caches);
  const cacheReorder = new Uint8Array(caches);
  const cachePrefetch = new Uint8Array(caches);
  const cacheKey: string[] = [];
  const clientStart = new Int32Array(caches + 1);
  const target = clientCount(p);
  let c = 0;
  let clients = 0;
  for (let i = 0; i < R; i++) {
    const n = i < p.publicResolvers ? p.publicCaches : 1;
    for (let k = 0; k < n; k++, c++) {
      cacheResolver[c] = i;
      cacheShare[c] = shares[i]! / n;
      cacheTtl[c] = resolverTtl[i]!;
      cacheMinTtl[c] = resolverMinTtl[i]!;
      cacheReorder[c] = reorderOf[i]!;
      cachePrefetch[c] = prefetchOf[i]!;
      cacheKey.push(n > 1 ? `resolver-${i + 1}#${k + 1}` : `resolver-${i + 1}`);
      clientStart[c] = clients;
      clients += Math.max(1, Math.round(cacheShare[c]! * target));
    }
  }
  clientStart[caches] = clients;

  const classShares = p.client.classes.map((k) => k.share);
  const classTotal = classShares.reduce((a, b) => a + b, 0);
  const clientClass = new Uint8Array(clients);
  const clientFirst = new Uint8Array(clients);
  const clientCache = new Int32Array(clients);
  for (let q = 0; q < caches; q++) for (let k = clientStart[q]!; k < clientStart[q + 1]!; k++) clientCache[k] = q;
  for (let k = 0; k < clients; k++) {
    let x = random.next() * classTotal;
    let cls = 0;
    while (cls < classShares.length - 1 && x >= classShares[cls]!) x -= classShares[cls++]!;
    clientClass[k] = cls;
    clientFirst[k] = random.next() < p.client.firstAddressShare ? 1 : 0;
  }
  let clientPreference: Float32Array | undefined;
  if (p.family === 6 && p.ipv6Rule9) {
    // Clients behind one resolver sit in one network, so they share the prefix that rule 9
    // compares: one preference order per resolver, copied to its clients.
    const byResolver = new Float32Array(R * p.backends);
    for (let k = 0; k < byResolver.length; k++) byResolver[k] = random.next();
    clientPreference = new Float32Array(clients * p.backends);
    for (let k = 0; k < clients; k++) {
      const row = cacheResolver[clientCache[k]!]! * p.backends;
      clientPreference.set(byResolver.subarray(row, row + p.backends), k * p.backends);
    }
  }
  return {
    resolverShares: shares,
    resolverTtl,
    resolverExtends,
    caches,
    cacheResolver,
    cacheShare,
    cacheTtl,
    cacheMinTtl,
    cacheReorder,
    cachePrefetch,
    clientStart,
    cacheKey,
    clients,
    clientClass,
    clientFirst,
    clientCache,
    clientPreference,
  };
}

/** Walker's alias table: O(1) draws from a discrete distribution. */
export interface AliasTable {
  readonly probability: Float64Array;
  readonly alias: Int32Array;
}

export function aliasTable(weights: ArrayLike<number>): AliasTable {
  const n = weights.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  const probability = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = new Float64Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    scaled[i] = (weights[i]! * n) / total;
    (scaled[i]! < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large[large.length - 1]!;
    probability[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    if (scaled[l]! < 1) {
      large.pop();
      small.push(l);
    }
  }
  for (const i of large) probability[i] = 1;
  for (const i of small) probability[i] = 1;
  return { probability, alias };
}

export function aliasDraw(table: AliasTable, u1: number, u2: number): number {
  const n = table.probability.length;
  const i = Math.min(n - 1, Math.floor(u1 * n));
  return u2 < table.probability[i]! ? i : table.alias[i]!;
}
