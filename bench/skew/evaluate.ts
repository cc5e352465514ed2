/**
 * Counted vs reported, for one testbed run: per pool, each member's share (over the period the
 * report's counters cover), the CV of request shares per 10 s and 60 s window (RMS over the skew
 * phase's windows) against the report's prediction, and what the removed member still got at
 * 1×, 2×, 10× TTL and 60 s against the report's drain estimate (both averaged over the same bin,
 * t ± max(1.5 s, t/5)). The report is rebuilt from the saved snapshot with the code as it is now, so
 * a model change can be checked on old runs (`--replay`).
 */
import type { ClientModel } from '../../report/client-model.js';
import { buildReport } from '../../report/build-report.js';
import type { PoolReport } from '../../report/model.js';
import { resolverGroupOfText } from '../../report/resolver-key.js';
import { skewMetrics } from '../../report/skew.js';
import type { RunData } from './testbed.js';

export const BOUNDS = { sharePoints: 3, cv: 0.03, drainPoints: 10 } as const;

export interface Row {
  readonly pool: string;
  /** `share`, `cv`, `drain`. */
  readonly kind: 'share' | 'cv' | 'drain';
  /** Member address, window (`10 s`), or drain mark (`1×TTL`). */
  readonly what: string;
  readonly counted: number;
  readonly reported: number;
  /** |counted − reported| within the bound (shares and drain in points). */
  readonly ok: boolean;
  readonly note?: string;
}

export interface Evaluation {
  readonly rows: readonly Row[];
  readonly reports: ReadonlyMap<string, PoolReport>;
  /** Per pool, per class: counted drain at the marks (diagnosis). */
  readonly classDrain: ReadonlyMap<string, Record<string, number[]>>;
  /** Per pool: requests per second counted and estimated over the report's period. */
  readonly rates: ReadonlyMap<string, { readonly counted: number; readonly estimated: number }>;
}

function sumRange(list: readonly number[] | undefined, from: number, to: number): number {
  if (!list) return 0;
  let s = 0;
  for (let k = Math.max(0, Math.floor(from)); k < Math.ceil(to) && k < list.length; k++) s += list[k] ?? 0;
  return s;
}

/** Mean of a piecewise-linear curve over [a, b]. */
function curveMean(points: readonly { seconds: number; requests: number }[], a: number, b: number): number {
  const steps = 50;
  let s = 0;
  for (let i = 0; i <= steps; i++) {
    const t = a + ((b - a) * i) / steps;
    s += at(points, t);
  }
  return s / (steps + 1);
}

function at(points: readonly { seconds: number; requests: number }[], t: number): number {
  if (points.length === 0) return 0;
  if (t <= points[0]!.seconds) return points[0]!.requests;
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    if (p.seconds >= t) {
      const q = points[i - 1]!;
      const f = p.seconds === q.seconds ? 1 : (t - q.seconds) / (p.seconds - q.seconds);
      return q.requests + f * (p.requests - q.requests);
    }
  }
  return points[points.length - 1]!.requests;
}

export function drainMarksOf(ttl: number): { label: string; seconds: number }[] {
  return [
    { label: '1×TTL', seconds: ttl },
    { label: '2×TTL', seconds: 2 * ttl },
    { label: '10×TTL', seconds: 10 * ttl },
    { label: '60 s', seconds: 60 },
  ];
}

export function binOf(t: number): [number, number] {
  // Counted and reported are averaged over the same bin, so its width only trades time
  // resolution for counting noise (a removed member gets a few dozen requests a second).
  const half = Math.max(1.5, t / 5);
  return [t - half, t + half];
}

/**
 * A skew=correct pool's CV per window as its report shows it from the backends' load reports,
 * over the skew phase only: the report's RMS accumulates from the start, so the start's share
 * is taken out (RMS² × windows is additive).
 */
function correctedCv(run: RunData, fqdn: string): Map<number, number> | undefined {
  const find = (r: RunData['liveReport'] | undefined) => r?.pools.find((x) => x.name.replace(/\.$/, '') === fqdn)?.correction;
  const end = find(run.liveReport);
  if (!end?.feedback) return undefined;
  const start = find(run.startReport);
  const out = new Map<number, number>();
  for (const w of end.windows) {
    if (w.reported === null || w.reported === undefined) continue;
    const n1 = windowsOf(end, w.windowSeconds);
    const s = start?.windows.find((x) => x.windowSeconds === w.windowSeconds);
    const n0 = s && s.reported !== null && s.reported !== undefined ? windowsOf(start!, w.windowSeconds) : 0;
    const sum = w.reported ** 2 * n1 - (n0 > 0 ? s!.reported! ** 2 * n0 : 0);
    if (n1 - n0 > 0 && sum >= 0) out.set(w.windowSeconds, Math.sqrt(sum / (n1 - n0)));
  }
  return out;
}

function windowsOf(c: NonNullable<PoolReport['correction']>, windowSeconds: number): number {
  return c.windows.find((x) => x.windowSeconds === windowSeconds)?.reportedWindows ?? 0;
}

export function evaluateRun(run: RunData, client?: ClientModel): Evaluation {
  // Offline, the replay may simulate more clients than the live report's default (less noise).
  const model = buildReport(run.snapshot, { ...(client ? { client } : {}), replayRequests: 1_000_000 });
  const rows: Row[] = [];
  const reports = new Map<string, PoolReport>();
  const classDrain = new Map<string, Record<string, number[]>>();
  const rates = new Map<string, { counted: number; estimated: number }>();
  const s0 = (run.snapshot.sinceMs - run.t0EpochMs) / 1000;
  const s1 = (run.snapshot.takenAtMs - run.t0EpochMs) / 1000;
  for (const p of run.pools) {
    const name = p.config.name;
    const report = model.pools.find((r) => r.name.replace(/\.$/, '') === p.fqdn);
    if (!report) {
      rows.push({ pool: name, kind: 'share', what: 'report', counted: NaN, reported: NaN, ok: false, note: 'no report for this pool' });
      continue;
    }
    reports.set(name, report);
    const series = p.members.map((m) => run.counts[`${p.fqdn}|${m}`]);
    // Shares over the period the report's counters cover.
    const counted = series.map((s) => sumRange(s?.requests, s0, s1));
    const total = counted.reduce((a, b) => a + b, 0);
    const estimatedTotal = report.members.reduce((a, m) => a + (m.estimatedRequests ?? 0), 0);
    rates.set(name, { counted: total / Math.max(1e-9, s1 - s0), estimated: estimatedTotal / Math.max(1e-9, s1 - s0) });
    for (const [i, m] of p.members.entries()) {
      const c = total > 0 ? counted[i]! / total : 0;
      const r = report.members.find((x) => x.address === m)?.estimatedShare ?? NaN;
      rows.push({ pool: name, kind: 'share', what: m, counted: c, reported: r, ok: Math.abs(c - r) * 100 <= BOUNDS.sharePoints });
    }
    // CV per window over the skew phase.
    const targets = p.members.map(() => 1);
    const corrected = correctedCv(run, p.fqdn);
    for (const w of [10, 60]) {
      const cvs: number[] = [];
      for (let a = run.skewStart; a + w <= run.removedAt - 1; a += w) {
        const c = series.map((s) => sumRange(s?.requests, a, a + w));
        const m = skewMetrics('measured', c, targets);
        if (m) cvs.push(m.cv);
      }
      const rms = cvs.length ? Math.sqrt(cvs.reduce((x, v) => x + v * v, 0) / cvs.length) : NaN;
      const row = report.closedForm.find((r) => r.windowSeconds === w);
      // skew=correct with load reports: what the backends reported with it on, as Rondo shows it.
      const fromBackends = corrected?.get(w);
      const predicted = fromBackends ?? row?.predictedCv ?? NaN;
      rows.push({
        pool: name,
        kind: 'cv',
        what: `${w} s`,
        counted: rms,
        reported: predicted,
        ok: Math.abs(rms - predicted) <= BOUNDS.cv,
        note:
          fromBackends !== undefined
            ? `${cvs.length} windows; reported: backends' load as Rondo's report shows it, correction on`
            : `${cvs.length} windows${row?.range ? `, range ${row.range.lower.toFixed(3)}–${row.range.upper.toFixed(3)}` : ''}`,
      });
    }
    // Drain of the removed member, against its rate in the minute before.
    const removed = run.counts[`${p.fqdn}|${p.removed}`];
    // Its rate at the removal: over the last TTL before it (at least 10 s). With answers=1 a
    // member's rate swings with the resolvers that hold it (CV 0.2–0.3 per minute here), and
    // what drains is what they hold at the removal, not a minute's average.
    const from = Math.max(run.skewStart, run.removedAt - Math.max(10, p.config.ttl));
    const baseline = sumRange(removed?.requests, from, run.removedAt) / Math.max(1, Math.ceil(run.removedAt) - Math.floor(from));
    // The removed member's own curve where the report replays its answers, else the pool's.
    const own = report.drain.membersReplayed ? report.drain.curves.find((c) => c.label === p.removed) : undefined;
    const curve = (own ?? report.drain.curves[0])?.points ?? [];
    const perClass: Record<string, number[]> = {};
    for (const mark of drainMarksOf(p.config.ttl)) {
      const [a, b] = binOf(mark.seconds);
      if (run.removedAt + b > run.end) continue;
      const got = sumRange(removed?.requests, run.removedAt + a, run.removedAt + b) / (Math.ceil(run.removedAt + b) - Math.floor(run.removedAt + a));
      const c = baseline > 0 ? got / baseline : NaN;
      const r = curveMean(curve, a, b);
      rows.push({ pool: name, kind: 'drain', what: mark.label, counted: c, reported: r, ok: Math.abs(c - r) * 100 <= BOUNDS.drainPoints });
      for (const [cls, list] of Object.entries(removed?.byClass ?? {})) {
        const base = sumRange(list, from, run.removedAt) / Math.max(1, Math.ceil(run.removedAt) - Math.floor(from));
        const v = sumRange(list, run.removedAt + a, run.removedAt + b) / (Math.ceil(run.removedAt + b) - Math.floor(run.removedAt + a));
        (perClass[cls] ??= []).push(base > 0 ? v / base : NaN);
      }
    }
    classDrain.set(name, perClass);
  }
  return { rows, reports, classDrain, rates };
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—';
}

/** One table: counted vs reported, per pool, member, window and drain mark. */
export function renderEvaluation(run: RunData, e: Evaluation): string {
  const out: string[] = [];
  const head = ['pool', 'config', 'what', 'counted', 'reported', 'diff', 'bound', ''];
  const table: string[][] = [head];
  for (const r of e.rows) {
    const p = run.pools.find((x) => x.config.name === r.pool)!;
    const config = `ttl=${p.config.ttl} answers=${p.config.answers}${p.config.keys ? ` ${p.config.keys}` : ''}`;
    const isCv = r.kind === 'cv';
    const diff = r.reported - r.counted;
    table.push([
      r.pool,
      config,
      `${r.kind} ${r.what}${r.note ? ` (${r.note})` : ''}`,
      isCv ? r.counted.toFixed(3) : pct(r.counted),
      isCv ? r.reported.toFixed(3) : pct(r.reported),
      isCv ? (diff >= 0 ? '+' : '') + diff.toFixed(3) : `${diff >= 0 ? '+' : ''}${(diff * 100).toFixed(1)} pt`,
      isCv ? `±${BOUNDS.cv}` : `±${r.kind === 'share' ? BOUNDS.sharePoints : BOUNDS.drainPoints} pt`,
      r.ok ? 'ok' : 'MISS',
    ]);
  }
  const widths = head.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const row of table) out.push(row.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd());
  out.push('');
  for (const [pool, classes] of e.classDrain) {
    const p = run.pools.find((x) => x.config.name === pool)!;
    const marks = drainMarksOf(p.config.ttl).map((m) => m.label);
    out.push(`${pool} drain by class (${marks.join(' / ')}): ${Object.entries(classes).map(([c, v]) => `${c} ${v.map((x) => pct(x)).join('/')}`).join(', ')}`);
  }
  for (const [pool, r] of e.rates) out.push(`${pool}: ${r.counted.toFixed(1)} requests/s counted, ${r.estimated.toFixed(1)}/s estimated by the report`);
  for (const p of run.pools) {
    // Per resolver: its clients' request rate (clients × rate) against the report's estimate.
    const report = e.reports.get(p.config.name);
    const clients = p.stats.clientsByResolver;
    if (!report || !clients) continue;
    const rate = p.config.ratePerClient;
    const rows = run.resolvers.map((r, k) => {
      const est = report.resolvers.top.find((t) => t.key === resolverGroupOfText(r.outgoing))?.ratePerSecond;
      return `${r.name} ${((clients[k] ?? 0) * rate).toFixed(0)}/${est === null || est === undefined ? '—' : est.toFixed(0)}`;
    });
    out.push(`${p.config.name} requests/s per resolver, clients' / estimated: ${rows.join(', ')}`);
  }
  for (const p of run.pools) {
    const s = p.stats;
    out.push(
      `${p.config.name}: ${s.requests} requests (${s.failedRequests} failed, ${s.skipped ?? 0} skipped), ${s.lookups} lookups (${s.failedLookups} failed), client lag up to ${Math.round(s.maxLagMs ?? 0)} ms`,
    );
  }
  const misses = e.rows.filter((r) => !r.ok).length;
  out.push(`${e.rows.length - misses}/${e.rows.length} within bounds`);
  return out.join('\n');
}

/** Mean counted and reported per (pool, row) over several runs of the same configurations. */
export function renderMeans(runs: readonly { readonly run: RunData; readonly e: Evaluation }[]): string {
  const groups = new Map<string, { pool: string; kind: Row['kind']; what: string; counted: number[]; reported: number[] }>();
  for (const { e } of runs) {
    for (const r of e.rows) {
      const key = `${r.pool}|${r.kind}|${r.what}`;
      const g = groups.get(key) ?? { pool: r.pool, kind: r.kind, what: r.what, counted: [], reported: [] };
      g.counted.push(r.counted);
      g.reported.push(r.reported);
      groups.set(key, g);
    }
  }
  const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const table: string[][] = [['pool', 'what', 'runs', 'counted (mean)', 'reported (mean)', 'diff', '']];
  let misses = 0;
  for (const g of groups.values()) {
    const c = mean(g.counted);
    const r = mean(g.reported);
    const bound = g.kind === 'cv' ? BOUNDS.cv : (g.kind === 'share' ? BOUNDS.sharePoints : BOUNDS.drainPoints) / 100;
    const ok = Math.abs(c - r) <= bound;
    if (!ok) misses++;
    const isCv = g.kind === 'cv';
    table.push([
      g.pool,
      `${g.kind} ${g.what}`,
      String(g.counted.length),
      isCv ? c.toFixed(3) : pct(c),
      isCv ? r.toFixed(3) : pct(r),
      isCv ? `${r - c >= 0 ? '+' : ''}${(r - c).toFixed(3)}` : `${r - c >= 0 ? '+' : ''}${((r - c) * 100).toFixed(1)} pt`,
      ok ? 'ok' : 'MISS',
    ]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const out = table.map((row) => row.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd());
  out.push(`${groups.size - misses}/${groups.size} means within bounds`);
  return out.join('\n');
}
