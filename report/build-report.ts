/**
 * Turns observation counters (one server's snapshot, or the cluster's merged one) into the report
 * model: per pool, intended vs answered vs estimated vs measured shares, skew, resolver
 * concentration, the closed-form prediction, the drain estimate and advice.
 */
import type { HealthView } from '../model/health.js';
import { advise } from './advice.js';
import type { DecisionUnit } from './closed-form.js';
import { predictCv, predictWindowCv } from './closed-form.js';
import type { ClientModel } from './client-model.js';
import { DEFAULT_CLIENT_MODEL } from './client-model.js';
import type { DemandOptions, PoolDemand, ResolverLoad } from './demand.js';
import { DEFAULT_DEMAND_OPTIONS, estimatePoolDemand } from './demand.js';
import { estimateDrain, round4 } from './drain.js';
import { replayPool } from './replay-pool.js';
import type { ClosedFormRow, MemberReport, PoolReport, ReportModel, ResolverSummary, SiteReport, SkewMetrics, TopResolver } from './model.js';
import type { ObservationSnapshot, PoolSnapshot } from './snapshot.js';
import { resolverGroupOfText } from './resolver-key.js';
import { skewMetrics, toShares } from './skew.js';

export const DEFAULT_WINDOWS: readonly number[] = [10, 60, 300, 3600];

export interface BuildReportOptions {
  /** The load a member's backend reports (health checks' load figure), by pool key and address. */
  readonly measuredLoad?: (poolKey: string, address: string) => number | undefined;
  readonly client?: ClientModel;
  readonly demand?: DemandOptions;
  /** How many resolvers to list per pool. Default 10. */
  readonly topResolvers?: number;
  /** Window lengths (seconds) for the closed-form rows. */
  readonly windows?: readonly number[];
  /** ISO time for `generatedAt` (default now). */
  readonly generatedAt?: string;
  /** Requests each replay of an answer log simulates (replay.ts; default DEFAULT_REPLAY_REQUESTS). */
  readonly replayRequests?: number;
}

/** Reads the load figures that health checks put in the health view (member.targetId → load). */
export function measuredLoadFromHealth(
  pools: readonly { readonly key: string; readonly members: readonly { readonly address: string; readonly targetId: string | undefined }[] }[],
  health: HealthView,
): (poolKey: string, address: string) => number | undefined {
  const targets = new Map<string, string>();
  for (const p of pools) for (const m of p.members) if (m.targetId !== undefined) targets.set(`${p.key}|${m.address}`, m.targetId);
  return (poolKey, address) => {
    const id = targets.get(`${poolKey}|${address}`);
    return id === undefined ? undefined : health.get(id)?.load;
  };
}

/** Intended shares from the policy and weights: failover → first group; weighted → by weight. */
export function targetShares(policy: string, members: readonly { readonly weight: number; readonly backup: boolean; readonly priority: number }[]): number[] {
  let eligible = members.map((m) => !m.backup);
  if (!eligible.some(Boolean)) eligible = members.map(() => true);
  if (policy === 'failover') {
    const first = Math.min(...members.filter((_, i) => eligible[i]).map((m) => m.priority));
    eligible = members.map((m, i) => eligible[i]! && m.priority === first);
  }
  const byWeight = policy === 'weighted' || policy === 'weighted-random';
  let raw = members.map((m, i) => (eligible[i] ? (byWeight ? Math.max(0, m.weight) : 1) : 0));
  if (!raw.some((v) => v > 0)) raw = members.map((_, i) => (eligible[i] ? 1 : 0));
  return toShares(raw);
}

/** Decision units from a pool's demand: tracked resolvers, plus the rest, which only normalises. */
export function unitsOf(demand: PoolDemand, ttl: number, member?: number): DecisionUnit[] {
  const units: DecisionUnit[] = demand.resolvers.map((r) => ({
    share: member === undefined ? r.load : (r.loadByMember[member] ?? 0),
    ttlSeconds: r.demand.ttlEffSeconds ?? ttl,
  }));
  return units;
}

function restUnit(demand: PoolDemand, pool: PoolSnapshot, member?: number): DecisionUnit {
  // The rest is many small resolvers: its share counts in the normalisation but adds nothing
  // to Σ s² (a TTL of 0 drops a unit from the sum). For drains it behaves like honouring resolvers.
  const share = member === undefined ? demand.restLoad : (pool.rest.load[member] ?? 0);
  return { share, ttlSeconds: 0 };
}

function sumSquares(values: readonly number[], total: number): number {
  if (total <= 0) return 0;
  let s = 0;
  for (const v of values) s += (v / total) ** 2;
  return s;
}

function resolverSummary(pool: PoolSnapshot, demand: PoolDemand, topCount: number): ResolverSummary {
  const total = demand.totalLoad;
  const queriesTotal = pool.resolvers.reduce((a, r) => a + r.queries, 0) + pool.rest.queries;
  const h = sumSquares(
    demand.resolvers.map((r) => r.load),
    total,
  );
  const hq = sumSquares(
    pool.resolvers.map((r) => r.queries),
    queriesTotal,
  );
  let extending = 0;
  let prefetch = 0;
  for (const r of demand.resolvers) {
    if (r.demand.flags.includes('extends-ttl')) extending += r.load;
    if (r.demand.flags.includes('prefetch')) prefetch += r.load;
  }
  // One row per display group (the source /24): its caches (source addresses) are estimated one
  // by one and added up, so several resolvers of one /24 are no longer one lower-bound key.
  const groups = new Map<string, ResolverLoad[]>();
  for (const r of demand.resolvers) {
    const g = resolverGroupOfText(r.key);
    const list = groups.get(g);
    if (list) list.push(r);
    else groups.set(g, [r]);
  }
  const rows = [...groups.entries()]
    .map(([group, list]) => ({ group, list, load: list.reduce((a, r) => a + r.load, 0) }))
    .sort((x, y) => y.load - x.load || (x.group < y.group ? -1 : 1));
  const top: TopResolver[] = rows.slice(0, topCount).map(({ group, list, load }) => {
    const one = list.length === 1 ? list[0]! : undefined;
    const weighted = (pick: (r: ResolverLoad) => number | null): number | null => {
      let w = 0;
      let v = 0;
      for (const r of list) {
        const x = pick(r);
        if (x === null) continue;
        w += r.load || 1;
        v += (r.load || 1) * x;
      }
      return w > 0 ? v / w : null;
    };
    const ttl = one ? one.demand.ttlEffSeconds : weighted((r) => r.demand.ttlEffSeconds);
    const rates = list.map((r) => r.demand.ratePerSecond);
    const rate = rates.every((x) => x === null) ? null : rates.reduce<number>((a, x) => a + (x ?? 0), 0);
    return {
      key: group,
      group,
      caches: list.length,
      queries: list.reduce((a, r) => a + r.queries, 0),
      loadShare: round4(total > 0 ? load / total : 0),
      ttlEffSeconds: ttl === null ? null : Math.round(ttl * 1000) / 1000,
      ratePerSecond: rate === null ? null : Math.round(rate * 1000) / 1000,
      flags: [...new Set(list.flatMap((r) => r.demand.flags))],
      contribution: (demand.loadByMember as readonly number[]).map((all, m) => {
        const v = list.reduce((a, r) => a + (r.loadByMember[m] ?? 0), 0);
        return round4(all > 0 ? v / all : 0);
      }),
    };
  });
  return {
    seen: pool.resolvers.length + pool.rest.resolvers,
    tracked: pool.resolvers.length,
    groups: groups.size,
    nEff: h > 0 ? round4(1 / h) : null,
    nEffByQueries: hq > 0 ? round4(1 / hq) : null,
    extendingShare: round4(total > 0 ? extending / total : 0),
    prefetchShare: round4(total > 0 ? prefetch / total : 0),
    top,
  };
}

export interface PoolReportParts {
  readonly demand: PoolDemand;
  readonly targets: number[];
  readonly firstShares: number[];
  readonly includedShares: number[];
  readonly estimatedShares: number[] | null;
  readonly measuredShares: number[] | null;
  readonly answerSize: number;
}

/** The numbers a pool report is made of, before they are laid out. */
export function poolReportParts(pool: PoolSnapshot, measured: readonly (number | undefined)[] | null, demandOptions: DemandOptions): PoolReportParts {
  const demand = estimatePoolDemand(pool, demandOptions);
  const targets = targetShares(pool.policy, pool.members);
  const firstShares = toShares(pool.first);
  const includedTotal = pool.included.reduce((a, b) => a + b, 0);
  const includedShares = pool.included.map((v) => (pool.answersTotal > 0 ? v / pool.answersTotal : 0));
  const estimatedShares = demand.totalLoad > 0 ? toShares(demand.loadByMember) : null;
  let measuredShares: number[] | null = null;
  if (measured && measured.some((v) => v !== undefined && v > 0)) measuredShares = toShares(measured.map((v) => v ?? 0));
  return {
    demand,
    targets,
    firstShares,
    includedShares,
    estimatedShares,
    measuredShares,
    answerSize: pool.answersTotal > 0 ? includedTotal / pool.answersTotal : 1,
  };
}

export interface PoolReportExtras {
  /** Replace the estimated drain (the simulator measures its own). */
  readonly drain?: PoolReport['drain'];
  readonly windows?: PoolReport['windows'];
  /** Observed CV per window length (simulator), for the closed-form rows. */
  readonly observedCv?: ReadonlyMap<number, number>;
  /** Decision units known exactly (simulator) instead of estimated from gaps. */
  readonly units?: readonly DecisionUnit[];
  readonly extraSkew?: readonly SkewMetrics[];
  /** The snapshot's time (epoch ms): observed reports replay the answer log up to it (replay.ts). */
  readonly replayEndMs?: number;
}

/** Lays out one pool's report. `spanSeconds` is how long the counters cover. */
export function buildPoolReport(
  pool: PoolSnapshot,
  spanSeconds: number,
  measured: readonly (number | undefined)[] | null,
  options: BuildReportOptions = {},
  extras: PoolReportExtras = {},
): PoolReport {
  // The client model given for the report is also the one the demand estimate corrects for.
  const demandOptions = options.demand ?? (options.client ? { ...DEFAULT_DEMAND_OPTIONS, clients: options.client } : DEFAULT_DEMAND_OPTIONS);
  const estimatedParts = poolReportParts(pool, measured, demandOptions);
  const { demand, targets } = estimatedParts;
  const client = options.client ?? DEFAULT_CLIENT_MODEL;
  const windows = options.windows ?? DEFAULT_WINDOWS;
  // Answers of one member with an answer log: what those answers bring, replayed, instead of the
  // independent draws the closed form assumes (docs/report.md § The replay).
  const replay =
    extras.units === undefined && extras.replayEndMs !== undefined && estimatedParts.answerSize <= 1.01
      ? replayPool(pool, demand, targets, client, windows, extras.replayEndMs, options.replayRequests)
      : null;
  const parts = replay ? { ...estimatedParts, estimatedShares: replay.shares } : estimatedParts;
  const members: MemberReport[] = pool.members.map((m, i) => ({
    address: m.address,
    label: m.backup ? `${m.address} (backup)` : m.address,
    weight: m.weight,
    backup: m.backup,
    targetShare: round4(targets[i] ?? 0),
    firstShare: round4(parts.firstShares[i] ?? 0),
    includedShare: round4(parts.includedShares[i] ?? 0),
    estimatedShare: parts.estimatedShares ? round4(parts.estimatedShares[i] ?? 0) : null,
    estimatedRequests: parts.estimatedShares ? Math.round((replay ? (replay.shares[i] ?? 0) * demand.totalLoad : (demand.loadByMember[i] ?? 0)) * 10) / 10 : null,
    measuredShare: parts.measuredShares ? round4(parts.measuredShares[i] ?? 0) : null,
    ...(m.site !== undefined ? { site: m.site } : {}),
  }));
  const skew: SkewMetrics[] = [];
  const add = (m: SkewMetrics | null): void => {
    if (m) skew.push({ ...m, cv: round4(m.cv), gini: round4(m.gini), overloadFactor: round4(m.overloadFactor), maxMinRatio: m.maxMinRatio === null ? null : round4(m.maxMinRatio) });
  };
  add(skewMetrics('answers', parts.firstShares, targets));
  if (parts.estimatedShares) add(skewMetrics('estimated', parts.estimatedShares, targets));
  if (parts.measuredShares) add(skewMetrics('measured', parts.measuredShares, targets));
  for (const m of extras.extraSkew ?? []) add(m);

  const units = extras.units ?? [...unitsOf(demand, pool.ttl), restUnit(demand, pool)];
  const observedWhole = parts.estimatedShares ? skewMetrics('estimated', parts.estimatedShares, targets)?.cv ?? null : null;
  // Observed reports: the window prediction checked against real resolvers (closed-form.ts
  // predictWindowCv). The simulator passes its true units and keeps the note's form.
  const windowInput =
    extras.units === undefined && spanSeconds > 0 && demand.totalLoad > 0
      ? {
          targets,
          units: [
            ...demand.resolvers.map((r) => ({ share: r.load, epochSeconds: r.demand.meanGapSeconds ?? r.demand.ttlEffSeconds ?? pool.ttl })),
            { share: demand.restLoad, epochSeconds: 0 },
          ],
          client,
          requestRate: demand.totalLoad / spanSeconds,
          singleMember: parts.answerSize <= 1.01,
        }
      : null;
  const upperBound = windowInput === null && parts.answerSize > 1.01;
  const row = (w: number, observedCv: number | null): ClosedFormRow => {
    const replayed = replay?.windowCv.get(w);
    if (replayed !== undefined && windowInput !== null) {
      const closed = predictWindowCv(windowInput, w).cv;
      return { windowSeconds: w, predictedCv: round4(replayed), observedCv, upperBound: false, replayed: true, closedFormCv: round4(closed) };
    }
    if (windowInput === null) return { windowSeconds: w, predictedCv: round4(predictCv(targets, units, w)), observedCv, upperBound };
    const p = predictWindowCv(windowInput, w);
    return {
      windowSeconds: w,
      predictedCv: round4(p.cv),
      observedCv,
      upperBound,
      ...(windowInput.singleMember ? {} : { range: { lower: round4(p.lower), upper: round4(p.upper) } }),
    };
  };
  const closedForm: ClosedFormRow[] = windows.map((w) => row(w, extras.observedCv?.get(w) ?? null));
  if (!extras.observedCv && spanSeconds > 0 && demand.resolvers.length > 0) {
    // The whole report is one window: its CV is the observed one for that window length.
    const whole = row(Math.round(spanSeconds), observedWhole === null ? null : round4(observedWhole));
    const same = closedForm.findIndex((r) => r.windowSeconds === whole.windowSeconds);
    if (same >= 0) closedForm[same] = whole;
    else closedForm.push(whole);
  }
  const resolvers = resolverSummary(pool, demand, options.topResolvers ?? 10);
  const estimatedDrain =
    extras.drain ??
    estimateDrain(
      pool.ttl,
      [...unitsOf(demand, pool.ttl), { share: demand.restLoad, ttlSeconds: pool.ttl }],
      client,
      // Replayed pools get their member curves from the replay: only the pool's is estimated.
      replay
        ? []
        : pool.members.map((m, i) => ({
            label: m.address,
            units: [...unitsOf(demand, pool.ttl, i), { share: pool.rest.load[i] ?? 0, ttlSeconds: pool.ttl }],
          })),
    );
  const drain = replay ? withReplayedMembers(estimatedDrain, pool, replay) : estimatedDrain;
  const longest = demand.resolvers.reduce<number | null>((acc, r) => {
    const t = r.demand.ttlEffSeconds;
    return t !== null && r.demand.flags.includes('extends-ttl') && (acc === null || t > acc) ? t : acc;
  }, null);
  const minute = closedForm.find((r) => r.windowSeconds === 60);
  const advice = advise({
    type: pool.type,
    policy: pool.policy,
    ttl: pool.ttl,
    members: pool.members,
    targets,
    answerSize: parts.answerSize,
    answersTotal: pool.answersTotal,
    estimatedShares: parts.estimatedShares,
    measuredShares: parts.measuredShares,
    topResolver: resolvers.top[0] ? { key: resolvers.top[0].key, loadShare: resolvers.top[0].loadShare } : null,
    nEff: resolvers.nEff,
    extendingShare: resolvers.extendingShare,
    longestTtlSeconds: longest,
    predictedCvMinute: minute ? minute.predictedCv : null,
  });
  return {
    key: pool.key,
    name: pool.name,
    type: pool.type,
    policy: pool.policy,
    answers: pool.answers,
    ttl: pool.ttl,
    answersTotal: pool.answersTotal,
    members,
    skew,
    resolvers,
    closedForm,
    drain,
    ...(extras.windows ? { windows: extras.windows } : {}),
    advice,
    ...(pool.members.some((m) => m.site !== undefined) ? { sites: siteReports(pool, parts, targets) } : {}),
  };
}

/** The pool's drain with each member's curve from the replay (what it would keep if removed now). */
function withReplayedMembers(drain: PoolReport['drain'], pool: PoolSnapshot, replay: NonNullable<ReturnType<typeof replayPool>>): PoolReport['drain'] {
  const members = pool.members.flatMap((m, i) => {
    const d = replay.drains[i];
    if (!d) return [];
    return [{ label: m.address, points: d.seconds.map((s, k) => ({ seconds: s, lookups: round4(d.lookups[k] ?? 0), requests: round4(d.requests[k] ?? 0) })) }];
  });
  return { ...drain, curves: [...drain.curves, ...members], membersReplayed: true };
}

/** Issue 12: a mapped pool's figures per site (members' shares added up, skew within the site). */
function siteReports(pool: PoolSnapshot, parts: PoolReportParts, targets: readonly number[]): SiteReport[] {
  const names: string[] = [];
  for (const m of pool.members) if (m.site !== undefined && !names.includes(m.site)) names.push(m.site);
  const sum = (list: readonly number[] | null | undefined, idx: readonly number[]): number | null => (list ? round4(idx.reduce((n, i) => n + (list[i] ?? 0), 0)) : null);
  return names.map((site) => {
    const idx = pool.members.flatMap((m, i) => (m.site === site ? [i] : []));
    const first = idx.map((i) => parts.firstShares[i] ?? 0);
    const total = first.reduce((a, b) => a + b, 0);
    const target = idx.map((i) => targets[i] ?? 0);
    const targetTotal = target.reduce((a, b) => a + b, 0);
    const skew = idx.length >= 2 && total > 0 && targetTotal > 0 ? skewMetrics('answers', first.map((x) => x / total), target.map((x) => x / targetTotal)) : null;
    return {
      site,
      members: idx.map((i) => pool.members[i]!.address),
      answeredShare: sum(parts.firstShares, idx) ?? 0,
      estimatedShare: sum(parts.estimatedShares, idx),
      measuredShare: sum(parts.measuredShares, idx),
      skew: skew ? { ...skew, cv: round4(skew.cv), gini: round4(skew.gini), overloadFactor: round4(skew.overloadFactor), maxMinRatio: skew.maxMinRatio === null ? null : round4(skew.maxMinRatio) } : null,
    };
  });
}

/** The report for every pool of a snapshot. */
export function buildReport(snapshot: ObservationSnapshot, options: BuildReportOptions = {}): ReportModel {
  const span = Math.max(0, (snapshot.takenAtMs - snapshot.sinceMs) / 1000);
  const pools = snapshot.pools.map((p) => {
    const measured = options.measuredLoad ? p.members.map((m) => options.measuredLoad?.(p.key, m.address)) : null;
    return buildPoolReport(p, span, measured, options, { replayEndMs: snapshot.takenAtMs });
  });
  const notes: string[] = [];
  if (snapshot.sources > 1) notes.push(`Merged from ${snapshot.sources} server snapshots.`);
  notes.push('Estimated shares come from resolver query gaps (docs/report.md); measured shares from the load the backends report.');
  return {
    kind: 'observed',
    generatedAt: options.generatedAt ?? new Date(snapshot.takenAtMs).toISOString(),
    fromMs: snapshot.sinceMs,
    toMs: snapshot.takenAtMs,
    pools,
    notes,
  };
}
