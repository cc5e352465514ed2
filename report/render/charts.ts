/**
 * The report page body and its SVG charts, from the report model. These functions run in two
 * places: on the server (renderReportBody) and in the dashboard's browser, which polls `/report`
 * and re-renders — REPORT_CLIENT_SCRIPT ships this very source (Function.prototype.toString), so
 * both pictures match. Hence the rules for this file: plain functions only, no imports used at
 * run time, no module-level values; each function may call only the others listed in
 * CHART_FUNCTIONS.
 */
import type { PoolReport, ReportModel } from '../model.js';

export function rondoEscape(value: unknown): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function rondoPercent(x: number | null | undefined, digits?: number): string {
  if (x === null || x === undefined || !isFinite(x)) return '–';
  return (x * 100).toFixed(digits === undefined ? 1 : digits) + '%';
}

export function rondoColor(index: number): string {
  const palette = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#eeca3b'];
  return palette[index % palette.length] as string;
}

export function rondoSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !isFinite(s)) return '–';
  if (s < 120) return (Math.round(s * 10) / 10).toString() + ' s';
  if (s < 7200) return (Math.round((s / 60) * 10) / 10).toString() + ' min';
  return (Math.round((s / 3600) * 10) / 10).toString() + ' h';
}

/** Intended vs answered vs estimated vs measured share, one group of bars per member. */
export function rondoShareChart(pool: PoolReport): string {
  const series = [
    { key: 'targetShare', name: 'intended', color: '#9aa5b1' },
    { key: 'firstShare', name: 'answered first', color: '#4c78a8' },
    { key: 'estimatedShare', name: 'estimated load', color: '#f58518' },
    { key: 'measuredShare', name: 'measured load', color: '#54a24b' },
  ].filter((s) => pool.members.some((m) => (m as unknown as Record<string, number | null>)[s.key] !== null));
  const labelWidth = 190;
  const plotWidth = 420;
  const bar = 9;
  const block = series.length * (bar + 2) + 12;
  const top = 34;
  const height = top + pool.members.length * block + 26;
  const width = labelWidth + plotWidth + 60;
  let max = 0;
  for (const m of pool.members) {
    for (const s of series) {
      const v = (m as unknown as Record<string, number | null>)[s.key];
      if (typeof v === 'number' && v > max) max = v;
    }
  }
  // A round axis: the smallest step of 1, 2, 5, 10, 20 or 25% giving at most 8 ticks.
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25];
  let step = 0.25;
  for (const st of steps) {
    if (Math.ceil((max * 1.1) / st) <= 8) {
      step = st;
      break;
    }
  }
  const scale = max > 0 ? Math.min(1, Math.ceil((max * 1.1) / step) * step) : 1;
  const out: string[] = [];
  out.push('<svg xmlns="http://www.w3.org/2000/svg" class="rondo-chart" data-chart="shares" role="img" width="' + width + '" height="' + height + '" viewBox="0 0 ' + width + ' ' + height + '" font-family="sans-serif" font-size="11">');
  out.push('<title>Share per member: ' + rondoEscape(pool.name) + '</title>');
  let x = labelWidth;
  for (const s of series) {
    out.push('<rect x="' + x + '" y="8" width="10" height="10" fill="' + s.color + '"/><text x="' + (x + 14) + '" y="17">' + rondoEscape(s.name) + '</text>');
    x += 24 + s.name.length * 6;
  }
  pool.members.forEach((m, i) => {
    const y0 = top + i * block;
    out.push('<text class="member-label" x="' + (labelWidth - 8) + '" y="' + (y0 + (series.length * (bar + 2)) / 2 + 4) + '" text-anchor="end">' + rondoEscape(m.label) + '</text>');
    series.forEach((s, j) => {
      const v = (m as unknown as Record<string, number | null>)[s.key];
      if (typeof v !== 'number') return;
      const w = Math.max(0, (v / scale) * plotWidth);
      const y = y0 + j * (bar + 2);
      out.push('<rect x="' + labelWidth + '" y="' + y + '" width="' + w.toFixed(1) + '" height="' + bar + '" fill="' + s.color + '"><title>' + rondoEscape(m.label + ' ' + s.name + ': ' + rondoPercent(v)) + '</title></rect>');
      out.push('<text x="' + (labelWidth + w + 4).toFixed(1) + '" y="' + (y + bar - 1) + '" font-size="9" fill="#444">' + rondoPercent(v) + '</text>');
    });
  });
  const axisY = top + pool.members.length * block;
  out.push('<line x1="' + labelWidth + '" y1="' + axisY + '" x2="' + (labelWidth + plotWidth) + '" y2="' + axisY + '" stroke="#999"/>');
  for (let k = 0; k * step <= scale + 1e-9; k++) {
    const tx = labelWidth + ((k * step) / scale) * plotWidth;
    out.push('<text x="' + tx.toFixed(1) + '" y="' + (axisY + 14) + '" text-anchor="middle" fill="#666">' + rondoPercent(k * step, 0) + '</text>');
  }
  out.push('</svg>');
  return out.join('');
}

/** Fraction of traffic still reaching a removed member over time (log time axis). */
export function rondoDrainChart(pool: PoolReport): string {
  const width = 680;
  const height = 270;
  const left = 46;
  const right = 190;
  const top = 24;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  let tMax = 10;
  for (const c of pool.drain.curves) for (const p of c.points) if (p.seconds > tMax) tMax = p.seconds;
  const lx = (t: number): number => left + (Math.log10(Math.max(1, t)) / Math.log10(tMax)) * plotW;
  const ly = (v: number): number => top + (1 - Math.max(0, Math.min(1, v))) * plotH;
  const out: string[] = [];
  out.push('<svg xmlns="http://www.w3.org/2000/svg" class="rondo-chart" data-chart="drain" role="img" width="' + width + '" height="' + height + '" viewBox="0 0 ' + width + ' ' + height + '" font-family="sans-serif" font-size="11">');
  out.push('<title>Drain after removing a member: ' + rondoEscape(pool.name) + '</title>');
  out.push('<rect x="' + left + '" y="' + top + '" width="' + plotW + '" height="' + plotH + '" fill="none" stroke="#999"/>');
  for (let k = 0; k <= 4; k++) {
    const y = ly(k / 4);
    out.push('<line x1="' + left + '" y1="' + y + '" x2="' + (left + plotW) + '" y2="' + y + '" stroke="#eee"/><text x="' + (left - 4) + '" y="' + (y + 4) + '" text-anchor="end" fill="#666">' + rondoPercent(k / 4, 0) + '</text>');
  }
  const ticks = [1, 10, 60, 300, 900, 3600, 36000, 360000].filter((t) => t <= tMax);
  for (const t of ticks) {
    const x = lx(t);
    out.push('<line x1="' + x + '" y1="' + top + '" x2="' + x + '" y2="' + (top + plotH) + '" stroke="#f3f3f3"/><text x="' + x + '" y="' + (top + plotH + 14) + '" text-anchor="middle" fill="#666">' + rondoEscape(rondoSeconds(t)) + '</text>');
  }
  if (pool.ttl > 0) {
    [1, 2, 10].forEach((n) => {
      const t = n * pool.ttl;
      if (t > tMax) return;
      const x = lx(t);
      out.push('<line x1="' + x + '" y1="' + top + '" x2="' + x + '" y2="' + (top + plotH) + '" stroke="#bbb" stroke-dasharray="3,3"/><text x="' + x + '" y="' + (top - 4) + '" text-anchor="middle" fill="#888">' + n + '×TTL</text>');
    });
  }
  out.push('<text x="' + (left + plotW / 2) + '" y="' + (height - 6) + '" text-anchor="middle" fill="#444">time after removal (' + rondoEscape(pool.drain.source) + ')</text>');
  let legendY = top + 8;
  pool.drain.curves.forEach((c, i) => {
    const isPool = c.label === 'pool';
    const color = isPool ? '#222' : rondoColor(i - (pool.drain.curves[0] && pool.drain.curves[0].label === 'pool' ? 1 : 0));
    const pts = c.points.map((p) => lx(p.seconds).toFixed(1) + ',' + ly(p.lookups).toFixed(1)).join(' ');
    out.push('<polyline fill="none" stroke="' + color + '" stroke-width="' + (isPool ? 2.5 : 1.5) + '" points="' + pts + '"><title>' + rondoEscape(c.label) + ' lookups</title></polyline>');
    if (isPool || pool.drain.curves.length === 1) {
      const rq = c.points.map((p) => lx(p.seconds).toFixed(1) + ',' + ly(p.requests).toFixed(1)).join(' ');
      out.push('<polyline fill="none" stroke="' + color + '" stroke-width="1.2" stroke-dasharray="5,3" points="' + rq + '"><title>' + rondoEscape(c.label) + ' requests</title></polyline>');
    }
    const member = pool.members.find((m) => m.address === c.label);
    const name = isPool ? 'all members' : member ? member.label : c.label;
    out.push('<line x1="' + (left + plotW + 12) + '" y1="' + legendY + '" x2="' + (left + plotW + 30) + '" y2="' + legendY + '" stroke="' + color + '" stroke-width="2"/><text class="member-label" x="' + (left + plotW + 34) + '" y="' + (legendY + 4) + '">' + rondoEscape(name) + '</text>');
    legendY += 15;
  });
  out.push('<text x="' + (left + plotW + 12) + '" y="' + (legendY + 6) + '" fill="#666">solid: lookups, dashed: requests</text>');
  if (pool.drain.member !== null) {
    const kept = pool.members.filter((m) => m.address !== pool.drain.member).map((m) => m.label);
    legendY += 22;
    out.push('<text x="' + (left + plotW + 12) + '" y="' + legendY + '" fill="#666">still answered:</text>');
    kept.forEach((label) => {
      legendY += 14;
      out.push('<text class="member-label" x="' + (left + plotW + 20) + '" y="' + legendY + '" fill="#666">' + rondoEscape(label) + '</text>');
    });
  }
  out.push('</svg>');
  return out.join('');
}

/** The busiest resolvers: their share of the pool's load, split by the member they sent it to. */
export function rondoResolverChart(pool: PoolReport): string {
  const top = pool.resolvers.top.slice(0, 10);
  const labelWidth = 190;
  const plotWidth = 360;
  const row = 18;
  const legendRows = Math.ceil(pool.members.length / 3);
  const headY = 10 + legendRows * 15;
  const height = headY + Math.max(1, top.length) * row + 28;
  const width = labelWidth + plotWidth + 120;
  let max = 0;
  for (const r of top) if (r.loadShare > max) max = r.loadShare;
  const scale = max > 0 ? Math.min(1, max * 1.1) : 1;
  const out: string[] = [];
  out.push('<svg xmlns="http://www.w3.org/2000/svg" class="rondo-chart" data-chart="resolvers" role="img" width="' + width + '" height="' + height + '" viewBox="0 0 ' + width + ' ' + height + '" font-family="sans-serif" font-size="11">');
  out.push('<title>Top resolvers: ' + rondoEscape(pool.name) + '</title>');
  pool.members.forEach((m, i) => {
    const x = 10 + (i % 3) * 220;
    const y = 10 + Math.floor(i / 3) * 15;
    out.push('<rect x="' + x + '" y="' + y + '" width="10" height="10" fill="' + rondoColor(i) + '"/><text class="member-label" x="' + (x + 14) + '" y="' + (y + 9) + '">' + rondoEscape(m.label) + '</text>');
  });
  if (top.length === 0) out.push('<text x="' + labelWidth + '" y="' + (headY + 14) + '" fill="#666">no resolver data yet</text>');
  top.forEach((r, i) => {
    const y = headY + i * row;
    out.push('<text x="' + (labelWidth - 8) + '" y="' + (y + 12) + '" text-anchor="end">' + rondoEscape(r.key) + '</text>');
    let x = labelWidth;
    const total = (r.loadShare / scale) * plotWidth;
    // The resolver's load to member m: contribution[m] × member m's estimated share.
    const parts = pool.members.map((m, j) => (r.contribution[j] || 0) * (m.estimatedShare || 0));
    const sum = parts.reduce((a, b) => a + b, 0);
    parts.forEach((p, j) => {
      const w = sum > 0 ? (p / sum) * total : j === 0 ? total : 0;
      if (w <= 0) return;
      out.push('<rect x="' + x.toFixed(1) + '" y="' + (y + 2) + '" width="' + w.toFixed(1) + '" height="' + (row - 5) + '" fill="' + rondoColor(j) + '"><title>' + rondoEscape(r.key + ' → ' + (pool.members[j] ? pool.members[j].label : '') + ': ' + rondoPercent(r.contribution[j] || 0) + ' of its load') + '</title></rect>');
      x += w;
    });
    out.push('<text x="' + (labelWidth + total + 4).toFixed(1) + '" y="' + (y + 12) + '" fill="#444">' + rondoPercent(r.loadShare) + (r.ttlEffSeconds !== null ? ' · TTL ' + rondoEscape(rondoSeconds(r.ttlEffSeconds)) : '') + (r.flags.length > 0 ? ' · ' + rondoEscape(r.flags.join(', ')) : '') + '</text>');
  });
  out.push('<text x="' + labelWidth + '" y="' + (height - 8) + '" fill="#666">share of the pool\'s estimated load · N_eff ' + (pool.resolvers.nEff === null ? '–' : pool.resolvers.nEff.toFixed(1)) + '</text>');
  out.push('</svg>');
  return out.join('');
}

export function rondoPoolSection(pool: PoolReport): string {
  const out: string[] = [];
  out.push('<section class="rondo-pool" data-pool="' + rondoEscape(pool.key) + '">');
  out.push('<h2>' + rondoEscape(pool.name) + ' <small>' + rondoEscape(pool.type) + ' · ' + rondoEscape(pool.policy) + ' · answers=' + rondoEscape(pool.answers) + ' · TTL ' + rondoEscape(pool.ttl) + ' s · ' + rondoEscape(pool.answersTotal) + ' answers</small></h2>');
  if (pool.advice.length > 0) {
    out.push('<ul class="advice">');
    for (const a of pool.advice) out.push('<li class="' + rondoEscape(a.severity) + '">' + rondoEscape(a.text) + '</li>');
    out.push('</ul>');
  }
  out.push('<table><thead><tr><th>member</th><th>weight</th><th>intended</th><th>answered first</th><th>included</th><th>estimated</th><th>measured</th></tr></thead><tbody>');
  for (const m of pool.members) {
    out.push('<tr><td>' + rondoEscape(m.site !== undefined ? m.label + ' @' + m.site : m.label) + '</td><td>' + rondoEscape(m.weight) + '</td><td>' + rondoPercent(m.targetShare) + '</td><td>' + rondoPercent(m.firstShare) + '</td><td>' + rondoPercent(m.includedShare) + '</td><td>' + rondoPercent(m.estimatedShare) + '</td><td>' + rondoPercent(m.measuredShare) + '</td></tr>');
  }
  out.push('</tbody></table>');
  if (pool.sites && pool.sites.length > 0) {
    out.push('<table class="sites"><thead><tr><th>site</th><th>members</th><th>answered</th><th>estimated</th><th>measured</th><th>skew in site (CV)</th></tr></thead><tbody>');
    for (const s of pool.sites) {
      out.push('<tr><td>' + rondoEscape(s.site) + '</td><td>' + rondoEscape(s.members.join(' ')) + '</td><td>' + rondoPercent(s.answeredShare) + '</td><td>' + rondoPercent(s.estimatedShare) + '</td><td>' + rondoPercent(s.measuredShare) + '</td><td>' + (s.skew ? s.skew.cv.toFixed(3) : '–') + '</td></tr>');
    }
    out.push('</tbody></table>');
  }
  out.push('<div class="charts">' + rondoShareChart(pool) + rondoDrainChart(pool) + rondoResolverChart(pool) + '</div>');
  out.push('<table><thead><tr><th>skew of</th><th>max/min</th><th>overload</th><th>CV</th><th>Gini</th></tr></thead><tbody>');
  for (const s of pool.skew) {
    out.push('<tr><td>' + rondoEscape(s.basis) + '</td><td>' + (s.maxMinRatio === null ? '∞' : s.maxMinRatio.toFixed(2)) + '</td><td>' + s.overloadFactor.toFixed(2) + '×</td><td>' + s.cv.toFixed(3) + '</td><td>' + s.gini.toFixed(3) + '</td></tr>');
  }
  out.push('</tbody></table>');
  out.push('<table><thead><tr><th>window</th><th>predicted CV</th><th>observed CV</th></tr></thead><tbody>');
  for (const c of pool.closedForm) {
    out.push('<tr><td>' + rondoEscape(rondoSeconds(c.windowSeconds)) + '</td><td>' + c.predictedCv.toFixed(3) + (c.replayed ? ' (replayed' + (c.closedFormCv === undefined ? '' : '; closed form ' + c.closedFormCv.toFixed(3)) + ')' : '') + (c.upperBound ? ' (upper bound)' : '') + (c.range ? ' (' + c.range.lower.toFixed(3) + '–' + c.range.upper.toFixed(3) + ' as no / every resolver keeps order)' : '') + '</td><td>' + (c.observedCv === null ? '–' : c.observedCv.toFixed(3)) + '</td></tr>');
  }
  out.push('</tbody></table>');
  const sc = pool.correction;
  if (sc) {
    out.push('<table class="skew-correction"><thead><tr><th>skew=correct</th><th>CV with correction (backends reported)</th><th>CV with correction (charged)</th><th>CV estimate with it off</th></tr></thead><tbody>');
    for (const w of sc.windows) {
      out.push('<tr><td>' + rondoEscape(rondoSeconds(w.windowSeconds)) + '</td><td>' + (w.reported === null || w.reported === undefined ? '–' : w.reported.toFixed(3)) + '</td><td>' + (w.withCorrection === null ? '–' : w.withCorrection.toFixed(3) + ' (' + rondoEscape(w.windows) + ' windows)') + '</td><td>' + (w.rotationEstimate === null ? '–' : w.rotationEstimate.toFixed(3)) + (w.upperBound ? ' (upper bound)' : '') + '</td></tr>');
    }
    out.push('</tbody></table><p class="skew-summary">' + rondoEscape(sc.resolversEstimated) + ' of ' + rondoEscape(sc.resolversTracked) + ' resolvers estimated, ' + rondoEscape(sc.correctedAnswers) + ' answers corrected, ' + rondoEscape(sc.rotatedAnswers) + ' rotated; TTLs ' + rondoEscape(sc.buckets.map(function (b) { return b.ttl + ' s: ' + b.resolvers; }).join(', ')) + '.</p>');
  }
  out.push('<table><thead><tr><th>after removal</th><th>lookups</th><th>requests</th></tr></thead><tbody>');
  for (const d of pool.drain.marks) {
    out.push('<tr><td>' + rondoEscape(d.label) + '</td><td>' + rondoPercent(d.lookups) + '</td><td>' + rondoPercent(d.requests) + '</td></tr>');
  }
  out.push('</tbody></table><p class="drain-summary">90% drained after ' + rondoEscape(rondoSeconds(pool.drain.drained90Seconds)) + ', 99% after ' + rondoEscape(rondoSeconds(pool.drain.drained99Seconds)) + '.</p>');
  out.push('</section>');
  return out.join('');
}

/** The page body: header, notes and one section per pool. */
export function rondoReportBody(model: ReportModel): string {
  const out: string[] = [];
  out.push('<header><h1>Rondo ' + (model.kind === 'simulated' ? 'simulation' : 'caching-skew report') + '</h1><p class="meta">generated ' + rondoEscape(model.generatedAt) + (model.kind === 'observed' ? ' · covers ' + rondoEscape(rondoSeconds((model.toMs - model.fromMs) / 1000)) : '') + '</p>');
  if (model.notes.length > 0) {
    out.push('<ul class="notes">');
    for (const n of model.notes) out.push('<li>' + rondoEscape(n) + '</li>');
    out.push('</ul>');
  }
  out.push('</header>');
  if (model.pools.length === 0) out.push('<p>No pools observed yet.</p>');
  for (const p of model.pools) out.push(rondoPoolSection(p));
  return out.join('');
}

/** Every function the browser needs, in dependency-free order. */
export const CHART_FUNCTIONS = [
  rondoEscape,
  rondoPercent,
  rondoColor,
  rondoSeconds,
  rondoShareChart,
  rondoDrainChart,
  rondoResolverChart,
  rondoPoolSection,
  rondoReportBody,
] as const;
