/**
 * The HTML report: a self-contained page (inline CSS and SVG, no external assets), the body alone
 * for the admin dashboard, and the browser script that draws the same body from `/report` JSON.
 */
import type { ReportModel } from '../model.js';
import { CHART_FUNCTIONS, rondoEscape, rondoReportBody } from './charts.js';

export const REPORT_CSS = `
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1100px}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #ddd}
h2 small{font-weight:normal;color:#666;font-size:.8rem}.meta{color:#666;margin:0}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}th,td{padding:.15rem .6rem;text-align:right;border-bottom:1px solid #eee}
th:first-child,td:first-child{text-align:left}.charts svg{display:block;margin:.8rem 0}
ul.advice li.warn{color:#a4460b}ul.advice li.info{color:#34587a}ul.notes{color:#555;font-size:.85rem}
`;

/** The page body (header and one section per pool) for a model. */
export function renderReportBody(model: ReportModel): string {
  return rondoReportBody(model);
}

/**
 * Browser script: defines `window.RondoReport` with `renderBody(model)` (the same function the
 * server uses), `render(model, element)`, and `poll(url, element, intervalMs)`, which fetches the
 * JSON model and re-renders until the returned stop function is called.
 */
export const REPORT_CLIENT_SCRIPT: string = [
  '(function () {',
  '"use strict";',
  // Some bundlers wrap function expressions in __name() to keep their names; make it harmless.
  'var __name = function (fn) { return fn; };',
  ...CHART_FUNCTIONS.map((fn) => fn.toString()),
  'function render(model, element) { element.innerHTML = rondoReportBody(model); }',
  'function poll(url, element, intervalMs) {',
  '  var stopped = false; var timer;',
  '  function tick() {',
  '    fetch(url, { headers: { accept: "application/json" } })',
  '      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })',
  '      .then(function (model) { if (!stopped) render(model, element); })',
  '      .catch(function (err) { element.setAttribute("data-error", String(err)); })',
  '      .then(function () { if (!stopped) timer = setTimeout(tick, intervalMs || 5000); });',
  '  }',
  '  tick();',
  '  return function stop() { stopped = true; clearTimeout(timer); };',
  '}',
  'window.RondoReport = { renderBody: rondoReportBody, render: render, poll: poll };',
  '})();',
].join('\n');

export interface ReportPageOptions {
  readonly title?: string;
  /** Include the client script and poll this URL (the admin dashboard); static page otherwise. */
  readonly pollUrl?: string;
  readonly pollIntervalMs?: number;
}

/** A whole self-contained HTML document. */
export function renderReportPage(model: ReportModel, options: ReportPageOptions = {}): string {
  const title = options.title ?? (model.kind === 'simulated' ? 'Rondo simulation' : 'Rondo caching-skew report');
  const script =
    options.pollUrl === undefined
      ? ''
      : `<script>${REPORT_CLIENT_SCRIPT}\nwindow.RondoReport.poll(${JSON.stringify(options.pollUrl).replace(/</g, '\\u003c')}, document.getElementById('rondo-report'), ${Number(options.pollIntervalMs ?? 5000)});</script>`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${rondoEscape(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body>',
    `<main id="rondo-report">${renderReportBody(model)}</main>`,
    script,
    '</body></html>',
  ].join('\n');
}
