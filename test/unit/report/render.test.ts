import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../report/build-report.js';
import type { ReportModel } from '../../../report/model.js';
import { Observer } from '../../../report/observe.js';
import { resolverKeyFromAddress } from '../../../report/resolver-key.js';
import { compare, simulationReport } from '../../../report/simulate.js';
import { REPORT_CLIENT_SCRIPT, renderReportBody, renderReportPage } from '../../../report/render/html.js';
import { renderReportJson } from '../../../report/render/json.js';
import { formatTable, renderComparisonTable, renderReportTable } from '../../../report/render/table.js';

function observedModel(): ReportModel {
  const o = new Observer({ startMs: 0 });
  const p = o.registerPool({
    key: 'www.example.test./A',
    name: 'www.example.test.',
    type: 1,
    ttl: 20,
    config: { policy: 'weighted', answers: 1 },
    members: [
      { address: '192.0.2.10', weight: 3 },
      { address: '192.0.2.11', weight: 5 },
      { address: '192.0.2.12', weight: 1, backup: true },
    ],
  });
  let seq = 0;
  for (let i = 0; i < 200; i++) {
    o.record(p, [seq++ % 2], resolverKeyFromAddress('198.51.100.1'), i * 21_000);
    if (i % 3 === 0) o.record(p, [seq++ % 2], resolverKeyFromAddress('203.0.113.1'), i * 21_000 + 500);
  }
  return buildReport(o.toSnapshot(200 * 21_000), { generatedAt: '2026-01-01T00:00:00.000Z', measuredLoad: (_k, a) => (a === '192.0.2.12' ? 0 : 1) });
}

const SMALL = { requestRate: 200, resolvers: 100, warmupSeconds: 120, durationSeconds: 300, drainSeconds: 300, windows: [10, 60] };

function svgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

describe('renderers', () => {
  const observed = observedModel();
  const simulated = simulationReport(compare([{ ...SMALL, answers: 1 }]).results, '2026-01-01T00:00:00.000Z');

  it.each([
    ['observed', observed],
    ['simulated', simulated],
  ])('the %s HTML page is self-contained, with an SVG per chart naming every member', (_kind, model) => {
    const page = renderReportPage(model);
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).not.toMatch(/<script|<link|\bsrc=|url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    for (const pool of model.pools) {
      const section = page.slice(page.indexOf(`data-pool="${pool.key}"`));
      const charts = svgs(section).slice(0, 3);
      expect(charts.map((c) => /data-chart="(\w+)"/.exec(c)?.[1])).toEqual(['shares', 'drain', 'resolvers']);
      for (const chart of charts) {
        for (const m of pool.members) expect(chart).toContain(`>${m.label}</text>`);
      }
    }
  });

  it('escapes text that comes from zone files', () => {
    const model: ReportModel = { ...observed, pools: [{ ...observed.pools[0]!, name: '<b>&x.example.test.' }] };
    const body = renderReportBody(model);
    expect(body).toContain('&lt;b&gt;&amp;x.example.test.');
    expect(body).not.toContain('<b>&x');
  });

  it('draws the same body in the browser from the JSON model', () => {
    const window: { RondoReport?: { renderBody(m: unknown): string } } = {};
    runInNewContext(REPORT_CLIENT_SCRIPT, { window });
    for (const model of [observed, simulated]) {
      const fromJson = JSON.parse(renderReportJson(model)) as unknown;
      expect(window.RondoReport!.renderBody(fromJson)).toBe(renderReportBody(model));
    }
  });

  it('adds the polling script only for the dashboard', () => {
    const page = renderReportPage(observed, { pollUrl: '/report', pollIntervalMs: 2000 });
    expect(page).toContain('window.RondoReport.poll("/report"');
    expect(page.match(/<script>/g)).toHaveLength(1);
  });

  it('serialises the model as it is', () => {
    expect(JSON.parse(renderReportJson(observed))).toEqual(observed);
    expect(renderReportJson(observed, false)).not.toContain('\n');
  });

  it('prints aligned plain-text tables', () => {
    const text = renderReportTable(observed);
    expect(text).toContain('www.example.test. A  policy=weighted answers=1 ttl=20s');
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('member'));
    const rows = lines.slice(header, header + 5);
    const end = rows[0]!.indexOf('intended') + 'intended'.length;
    for (const row of rows.slice(2)) expect(row[end - 1]).toBe('%');
    expect(rows.slice(2).map((r) => r.split(/\s+/)[0])).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12']);
    expect(text).toContain('drain (estimated)');
    expect(formatTable(['a', 'bb'], [['xyz', '1'], ['q', '22']])).toBe('a    bb\n---  --\nxyz   1\nq    22');
  });

  it('prints a comparison of runs', () => {
    const c = compare([
      { ...SMALL, ttl: 5 },
      { ...SMALL, ttl: 60 },
    ]);
    const text = renderComparisonTable(c.rows);
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^run\s+CV 10 s\s+CV 60 s\s+max\/min 1m/);
    expect(lines[2]).toContain('ttl=5s');
    expect(lines[3]).toContain('ttl=60s');
  });
});
