/** Plain-text report for terminals: aligned columns, no colour, one block per pool. */
import type { PoolReport, ReportModel } from '../model.js';
import type { ComparisonRow } from '../simulate.js';

export type Align = 'left' | 'right';

/** Aligns rows of cells into columns (numbers to the right unless told otherwise). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (cell: string, i: number): string => {
    const a = align?.[i] ?? (i === 0 ? 'left' : 'right');
    return a === 'left' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!);
  };
  const line = (cells: readonly string[]): string => cells.map((c, i) => pad(c, i)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const pct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(digits)}%`);
const num = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const secs = (s: number | null): string => (s === null ? '-' : s < 120 ? `${Math.round(s)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);

export function renderPoolTable(pool: PoolReport): string {
  const out: string[] = [];
  out.push(`${pool.name} ${pool.type}  policy=${pool.policy} answers=${pool.answers} ttl=${pool.ttl}s  (${pool.answersTotal} answers)`);
  out.push('');
  out.push(
    formatTable(
      ['member', 'weight', 'intended', 'answered', 'included', 'estimated', 'measured'],
      pool.members.map((m) => [m.site !== undefined ? `${m.label} @${m.site}` : m.label, String(m.weight), pct(m.targetShare), pct(m.firstShare), pct(m.includedShare), pct(m.estimatedShare), pct(m.measuredShare)]),
    ),
  );
  if (pool.sites && pool.sites.length > 0) {
    out.push('');
    out.push(
      formatTable(
        ['site', 'members', 'answered', 'estimated', 'measured', 'skew in site (CV)'],
        pool.sites.map((s) => [s.site, s.members.join(' '), pct(s.answeredShare), pct(s.estimatedShare), pct(s.measuredShare), s.skew ? num(s.skew.cv) : '-']),
      ),
    );
  }
  out.push('');
  out.push(
    formatTable(
      ['skew of', 'max/min', 'overload', 'CV', 'Gini'],
      pool.skew.map((s) => [s.basis, s.maxMinRatio === null ? 'inf' : num(s.maxMinRatio, 2), `${num(s.overloadFactor, 2)}x`, num(s.cv), num(s.gini)]),
    ),
  );
  if (pool.windows && pool.windows.length > 0) {
    out.push('');
    out.push(
      formatTable(
        ['window', 'of', 'n', 'CV mean', 'CV rms', 'CV p95', 'max/min p50', 'overload p95'],
        pool.windows.map((w) => [secs(w.windowSeconds), w.basis, String(w.windows), num(w.cvMean), num(w.cvRms), num(w.cvP95), num(w.maxMinP50, 2), `${num(w.overloadP95, 2)}x`]),
      ),
    );
  }
  const r = pool.resolvers;
  out.push('');
  out.push(
    `resolvers: ${r.seen} seen, ${r.tracked} tracked; N_eff ${num(r.nEff, 1)} by load (${num(r.nEffByQueries, 1)} by queries); ` +
      `${pct(r.extendingShare)} of load on TTL-extending resolvers, ${pct(r.prefetchShare)} prefetching`,
  );
  if (r.top.length > 0) {
    out.push(
      formatTable(
        ['resolver', 'queries', 'load', 'TTL seen', 'lookups/s', 'flags', ...pool.members.map((m) => m.address)],
        r.top.map((t) => [t.key, String(t.queries), pct(t.loadShare), t.ttlEffSeconds === null ? '-' : `${num(t.ttlEffSeconds, 1)} s`, num(t.ratePerSecond, 2), t.flags.join(',') || '-', ...t.contribution.map((c) => pct(c))]),
      ),
    );
  }
  out.push('');
  out.push(
    formatTable(
      ['window', 'predicted CV', 'observed CV'],
      pool.closedForm.map((c) => [
        secs(c.windowSeconds),
        `${num(c.predictedCv)}${c.replayed ? ` (replayed${c.closedFormCv === undefined ? '' : `; closed form ${num(c.closedFormCv)}`})` : ''}${c.upperBound ? ' (upper bound)' : ''}${c.range ? ` (${num(c.range.lower)}–${num(c.range.upper)} as no / every resolver keeps order)` : ''}`,
        num(c.observedCv),
      ]),
    ),
  );
  const c = pool.correction;
  if (c) {
    out.push('');
    out.push(`skew=correct: ${c.resolversEstimated} of ${c.resolversTracked} resolvers estimated (${num(c.steeredRatePerSecond, 1)} requests/s steered), ${c.correctedAnswers} answers corrected, ${c.rotatedAnswers} rotated; TTLs ${c.buckets.map((b) => `${b.ttl} s: ${b.resolvers}`).join(', ')}${c.feedback ? `; closed loop on backend load, ${c.feedback.rounds} reports` : ''}`);
    out.push(
      formatTable(
        ['window', 'CV with correction (backends reported)', 'CV with correction (charged)', 'CV estimate with it off'],
        c.windows.map((w) => [
          secs(w.windowSeconds),
          w.reported === null || w.reported === undefined ? '-' : num(w.reported),
          w.withCorrection === null ? '-' : `${num(w.withCorrection)} (${w.windows} windows)`,
          `${num(w.rotationEstimate)}${w.upperBound ? ' (upper bound)' : ''}`,
        ]),
      ),
    );
  }
  out.push('');
  const d = pool.drain;
  out.push(`drain (${d.source}${d.member ? `, ${d.member} removed` : ''}): 90% after ${secs(d.drained90Seconds)}, 99% after ${secs(d.drained99Seconds)}${d.membersReplayed ? '; per member: replayed from the answers given' : ''}`);
  out.push(formatTable(['after', 'lookups', 'requests'], d.marks.map((m) => [m.label, pct(m.lookups), pct(m.requests)])));
  if (pool.advice.length > 0) {
    out.push('');
    for (const a of pool.advice) out.push(`${a.severity === 'warn' ? '!' : '-'} ${a.text}`);
  }
  return out.join('\n');
}

export function renderReportTable(model: ReportModel): string {
  const head = model.kind === 'simulated' ? 'Rondo simulation' : `Rondo caching-skew report, ${model.generatedAt}`;
  const parts = [head, ...model.notes.map((n) => `  ${n}`)];
  if (model.pools.length === 0) parts.push('', 'No pools observed yet.');
  for (const p of model.pools) parts.push('', `== ${p.key}`, renderPoolTable(p));
  return `${parts.join('\n')}\n`;
}

/** `rondo simulate --compare`: one row per run. */
export function renderComparisonTable(rows: readonly ComparisonRow[]): string {
  const windows = [...new Set(rows.flatMap((r) => Object.keys(r.cv)))].sort((a, b) => Number(a) - Number(b));
  const drainLabels = ['1×TTL', '2×TTL', '10×TTL'];
  return `${formatTable(
    ['run', ...windows.map((w) => `CV ${secs(Number(w))}`), 'max/min 1m', 'peak 1m p95', ...drainLabels.map((l) => `drain ${l}`), '90% drained', 'auth q/s'],
    rows.map((r) => [
      r.label,
      ...windows.map((w) => num(r.cv[w])),
      num(r.maxMinMinute, 2),
      `${num(r.overloadP95Minute, 2)}x`,
      ...drainLabels.map((l) => pct(r.drain.find((d) => d.label === l)?.lookups)),
      secs(r.drained90Seconds),
      num(r.authoritativeQps, 1),
    ]),
  )}\n`;
}
