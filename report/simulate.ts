/**
 * The caching-skew simulator (research note §6): authoritative → resolver caches → client caches
 * → connections, for one pool's policy and TTL. Requests arrive as one Poisson stream (thinning
 * per-client streams), each from a client drawn by its resolver cache's traffic share; everything
 * else happens when a request needs it, so a run costs O(requests). Seeded and reproducible.
 *
 * It measures what the report shows, plus what only a simulation can: per-window skew (10 s,
 * 1 min, 5 min, 1 h) and the drain of a removed member, probed from the clients' state.
 */
import { seededRandom } from '../lib/random.js';
import { buildPoolReport, targetShares } from './build-report.js';
import type { DecisionUnit } from './closed-form.js';
import { drainGrid, drainMarks, round4, thinCurve, timeBelow, valueAt } from './drain.js';
import type { DrainReport, PoolReport, ReportModel, WindowSummary } from './model.js';
import { Observer } from './observe.js';
import { skewMetrics } from './skew.js';
import { Clients } from './simulate/client.js';
import { SecondCounters, windowSummary } from './simulate/metrics.js';
import type { SimulateInput, SimulateParams } from './simulate/params.js';
import { resolveSimulateParams } from './simulate/params.js';
import { simulatedPlan, simulatedPool } from './simulate/pool.js';
import type { Population } from './simulate/population.js';
import { aliasDraw, aliasTable, buildPopulation, REORDER_PER_RESPONSE } from './simulate/population.js';
import { ResolverCaches } from './simulate/resolver.js';
import { SkewLedger } from '../balance/skew-ledger.js';
import { demandTable } from './skew-demand.js';
import { skewCorrectionReport } from './skew-correction.js';

/** How often the simulated server rebuilds skew correction's demand table (server/skew-demand.ts: 5 s). */
const SKEW_DEMAND_INTERVAL_SECONDS = 5;

export type { SimulateInput, SimulateParams } from './simulate/params.js';
export { DEFAULT_SIMULATE_PARAMS, POPULATION_PRESETS, resolveSimulateParams } from './simulate/params.js';

export interface SimulationTruth {
  /** 1/HHI of the resolver caches' traffic shares. */
  readonly nEff: number;
  readonly topResolverShare: number;
  /** Traffic share of resolvers that keep answers longer than the TTL. */
  readonly extendingShare: number;
  readonly caches: number;
  readonly clients: number;
}

export interface SimulationResult {
  readonly label: string;
  readonly params: SimulateParams;
  /** The same per-pool model as an observed report, with windows and a simulated drain. */
  readonly pool: PoolReport;
  readonly truth: SimulationTruth;
  readonly dns: {
    /** Authoritative queries per second in the measured period. */
    readonly authoritativeQps: number;
    readonly requests: number;
    readonly newConnections: number;
    /** Requests that found no live address (removal = dead, single-address answers). */
    readonly failedRequests: number;
  };
  /** Wall-clock milliseconds the run took. */
  readonly elapsedMs: number;
}

/** A short label of what differs from the defaults that matter most. */
export function describeParams(p: SimulateParams): string {
  const weights = p.weights.length > 0 ? ` weights=${p.weights.join(',')}` : '';
  const skew = p.skew === 'correct' ? ` skew=correct${p.ttlMin !== null ? ` ttl-min=${p.ttlMin}s` : ''}${p.ttlMax !== null ? ` ttl-max=${p.ttlMax}s` : ''}` : '';
  return `${p.policy} answers=${p.answers} ttl=${p.ttl}s${skew}${weights} resolvers=${p.resolvers} α=${p.zipfAlpha} seed=${p.seed}`;
}

/** The decision units the closed form should use, known exactly from the population. */
function trueUnits(pop: Population, answerSize: number): DecisionUnit[] {
  const units: DecisionUnit[] = [];
  for (let q = 0; q < pop.caches; q++) {
    const share = pop.cacheShare[q]!;
    const ttl = pop.cacheTtl[q]!;
    if (answerSize <= 1 || pop.cacheReorder[q] !== REORDER_PER_RESPONSE) {
      units.push({ share, ttlSeconds: ttl });
      continue;
    }
    // A cache that reorders every response is no unit: each client lookup draws afresh.
    const n = pop.clientStart[q + 1]! - pop.clientStart[q]!;
    for (let k = 0; k < n; k++) units.push({ share: share / n, ttlSeconds: ttl });
  }
  return units;
}

export function simulate(input: SimulateInput = {}): SimulationResult {
  const started = performance.now();
  const p = resolveSimulateParams(input);
  const random = seededRandom(p.seed);
  const pop = buildPopulation(p, random);
  const B = p.backends;
  const pool = simulatedPool(p);

  const targets = targetShares(
    p.policy,
    pool.members.map((m) => ({ weight: m.weight, backup: m.backup, priority: m.priority })),
  );
  const variants: (readonly number[])[] = [];
  const variantTtls: number[] = [];
  const skew = p.skew === 'correct' ? new SkewLedger(pool.key, { nowMs: 0 }) : undefined;
  let plan = simulatedPlan(pool, new Set(), skew);
  let base = 0;
  const addVariants = (): void => {
    plan.variants.forEach((v, i) => {
      variants.push(v);
      variantTtls.push(plan.ttls?.[i] ?? p.ttl);
    });
  };
  addVariants();

  const removeAt = p.warmupSeconds + p.durationSeconds;
  const removing = p.removeMember !== null && p.drainSeconds > 0;
  const end = removeAt + (removing ? p.drainSeconds : 0);
  const counters = new SecondCounters(Math.ceil(end) + 1, B);

  const observer = new Observer({ maxResolvers: pop.caches + 1, startMs: p.warmupSeconds * 1000 });
  const poolIndex = observer.registerPool(pool);
  const ctx = { seq: 0, random, clientKey: '', resolver: '', nowMs: 0 };
  let measuring = false;
  const ask = (q: number, t: number): number => {
    ctx.seq++;
    ctx.resolver = pop.cacheKey[q]!;
    ctx.nowMs = t * 1000;
    const id = base + plan.pick(ctx);
    counters.queries[Math.floor(t)]!++;
    if (measuring) observer.record(poolIndex, variants[id]!, pop.cacheKey[q]!, t * 1000, variantTtls[id]!);
    return id;
  };
  const resolvers = new ResolverCaches(
    pop,
    p,
    random,
    ask,
    (id) => variants[id]!.length,
    skew ? (id) => variantTtls[id] : undefined,
  );
  resolvers.prefill(() => {
    ctx.seq = Math.floor(random.next() * 1e9);
    ctx.resolver = '';
    ctx.nowMs = 0;
    return base + plan.pick(ctx);
  });
  // Skew correction's loop, as server/skew-demand.ts runs it: a fresh demand table every 5 s.
  let nextDemand = SKEW_DEMAND_INTERVAL_SECONDS;
  const clients = new Clients(pop, p, random, resolvers, variants);

  // Drain probes: client state read at fixed offsets after the removal.
  const probeTimes = removing ? drainGrid(p.ttl, p.drainSeconds) : [];
  const probeLookups: number[] = [];
  const probeRequests: number[] = [];
  const weightOf = (k: number): number => {
    const q = pop.clientCache[k]!;
    return pop.cacheShare[q]! / (pop.clientStart[q + 1]! - pop.clientStart[q]!);
  };
  let reference = { lookups: 0, requests: 0 };
  let nextProbe = 0;

  const table = aliasTable(pop.cacheShare);
  const rate = p.requestRate;
  let removed = false;
  let t = 0;
  for (;;) {
    t -= Math.log(1 - random.next()) / rate;
    if (!measuring && t >= p.warmupSeconds && t < removeAt) measuring = true;
    if (skew && t >= nextDemand) {
      skew.setDemand(demandTable(pool.key, skew.gaps(), skew.referenceTtl, t * 1000));
      nextDemand += SKEW_DEMAND_INTERVAL_SECONDS;
    }
    if (removing && !removed && t >= removeAt) {
      const member = p.removeMember!;
      reference = clients.probe(member, removeAt, weightOf, targets[member] ?? 0);
      measuring = false;
      plan = simulatedPlan(pool, new Set([member]), skew);
      base = variants.length;
      addVariants();
      if (p.removal === 'dead') clients.dead[member] = 1;
      removed = true;
    }
    if (removed) {
      while (nextProbe < probeTimes.length && removeAt + probeTimes[nextProbe]! <= t) {
        const probe = clients.probe(p.removeMember!, removeAt + probeTimes[nextProbe]!, weightOf, 0);
        probeLookups.push(reference.lookups > 0 ? probe.lookups / reference.lookups : 0);
        probeRequests.push(reference.requests > 0 ? probe.requests / reference.requests : 0);
        nextProbe++;
      }
    }
    if (t >= end) {
      if (measuring) measuring = false;
      break;
    }
    const q = aliasDraw(table, random.next(), random.next());
    const first = pop.clientStart[q]!;
    const k = first + Math.floor(random.next() * (pop.clientStart[q + 1]! - first));
    clients.request(k, t);
    const second = Math.floor(t);
    counters.lookups[second * B + clients.outLookup]!++;
    const b = clients.outBackend;
    if (b < 0) {
      counters.failed[second]!++;
      continue;
    }
    counters.requests[second * B + b]!++;
    if (clients.outNewConnection) counters.connections[second * B + b]!++;
  }

  // The measured period.
  const from = Math.ceil(p.warmupSeconds);
  const to = Math.floor(removeAt);
  const requestTotals = counters.totals(counters.requests, from, to);
  const connectionTotals = counters.totals(counters.connections, from, to);
  const windows: WindowSummary[] = [];
  const observedCv = new Map<number, number>();
  for (const w of p.windows) {
    const req = windowSummary(counters, counters.requests, 'requests', from, to, w, targets);
    windows.push(
      req,
      windowSummary(counters, counters.connections, 'connections', from, to, w, targets),
      windowSummary(counters, counters.lookups, 'lookups', from, to, w, targets),
    );
    if (req.windows > 0) observedCv.set(w, req.cvRms);
  }
  const snapshot = observer.toSnapshot(removeAt * 1000);
  const poolSnapshot = snapshot.pools[0]!;
  const answerSize = variants[0]!.length;

  let drain: DrainReport | undefined;
  if (removing && probeTimes.length > 0) {
    const times = probeTimes.slice(0, probeLookups.length);
    drain = {
      ttl: p.ttl,
      source: 'simulated',
      member: pool.members[p.removeMember!]!.address,
      marks: drainMarks(p.ttl)
        .filter((m) => m.seconds <= p.drainSeconds)
        .map((m) => ({
          seconds: m.seconds,
          label: m.label,
          lookups: round4(valueAt(times, probeLookups, m.seconds)),
          requests: round4(valueAt(times, probeRequests, m.seconds)),
        })),
      drained90Seconds: timeBelow(times, probeLookups, 0.1),
      drained99Seconds: timeBelow(times, probeLookups, 0.01),
      curves: [{ label: pool.members[p.removeMember!]!.address, points: thinCurve(times, probeLookups, probeRequests) }],
    };
  }
  const connectionSkew = skewMetrics('connections', connectionTotals, targets);
  const report = buildPoolReport(
    poolSnapshot,
    p.durationSeconds,
    requestTotals,
    { windows: p.windows, client: p.client },
    {
      ...(drain ? { drain } : {}),
      windows,
      observedCv,
      units: trueUnits(pop, answerSize),
      extraSkew: connectionSkew ? [connectionSkew] : [],
    },
  );

  let h = 0;
  let top = 0;
  let extending = 0;
  for (let q = 0; q < pop.caches; q++) {
    const s = pop.cacheShare[q]!;
    h += s * s;
    if (s > top) top = s;
  }
  for (let r = 0; r < p.resolvers; r++) if (pop.resolverExtends[r] === 1) extending += pop.resolverShares[r]!;
  const failed = counters.sum(counters.failed, 0, counters.seconds);
  const correction = skew ? skewCorrectionReport(skew.stats(), skew.demand, { ttl: p.ttl, answers: p.answers, targets }) : undefined;
  return {
    label: describeParams(p),
    params: p,
    pool: { ...report, key: `simulated: ${describeParams(p)}`, ...(correction ? { correction } : {}) },
    truth: {
      nEff: round4(1 / h),
      topResolverShare: round4(top),
      extendingShare: round4(extending),
      caches: pop.caches,
      clients: pop.clients,
    },
    dns: {
      authoritativeQps: round4(counters.sum(counters.queries, from, to) / Math.max(1, to - from)),
      requests: requestTotals.reduce((a, b) => a + b, 0),
      newConnections: connectionTotals.reduce((a, b) => a + b, 0),
      failedRequests: failed,
    },
    elapsedMs: Math.round(performance.now() - started),
  };
}

export interface ComparisonRow {
  readonly label: string;
  readonly ttl: number;
  readonly policy: string;
  readonly answers: number | 'all';
  /** RMS CV of requests per window length. */
  readonly cv: Readonly<Record<string, number>>;
  readonly maxMinMinute: number | null;
  readonly overloadP95Minute: number | null;
  readonly drain: readonly { readonly label: string; readonly lookups: number; readonly requests: number }[];
  readonly drained90Seconds: number | null;
  readonly authoritativeQps: number;
}

export interface Comparison {
  readonly results: readonly SimulationResult[];
  readonly rows: readonly ComparisonRow[];
}

/** Runs several parameter sets (TTLs, policies, populations) side by side. */
export function compare(list: readonly SimulateInput[]): Comparison {
  const results = list.map((input) => simulate(input));
  const rows = results.map((r): ComparisonRow => {
    const cv: Record<string, number> = {};
    for (const w of r.pool.windows ?? []) if (w.basis === 'requests') cv[String(w.windowSeconds)] = w.cvRms;
    const minute = r.pool.windows?.find((w) => w.basis === 'requests' && w.windowSeconds === 60);
    return {
      label: r.label,
      ttl: r.params.ttl,
      policy: r.params.policy,
      answers: r.params.answers,
      cv,
      maxMinMinute: minute?.maxMinP50 ?? null,
      overloadP95Minute: minute?.overloadP95 ?? null,
      drain: r.pool.drain.marks.map((m) => ({ label: m.label, lookups: m.lookups, requests: m.requests })),
      drained90Seconds: r.pool.drain.drained90Seconds,
      authoritativeQps: r.dns.authoritativeQps,
    };
  });
  return { results, rows };
}

/** The report model for simulation results, for the renderers. */
export function simulationReport(results: readonly SimulationResult[], generatedAt = new Date().toISOString()): ReportModel {
  const longest = Math.max(0, ...results.map((r) => r.params.durationSeconds));
  return {
    kind: 'simulated',
    generatedAt,
    fromMs: 0,
    toMs: longest * 1000,
    pools: results.map((r) => r.pool),
    notes: results.map(
      (r) =>
        `${r.label}: ${r.truth.caches} resolver caches (N_eff ${r.truth.nEff.toFixed(1)}, top ${(r.truth.topResolverShare * 100).toFixed(1)}%), ` +
        `${r.truth.clients} clients, ${r.dns.authoritativeQps} authoritative queries/s, ran in ${r.elapsedMs} ms.`,
    ),
  };
}
