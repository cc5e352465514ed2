/**
 * `rondo simulate`: the caching-skew simulator (report/simulate.ts) for one pool — resolver
 * caches, client caches, connections — with every model parameter as a flag (SIMULATE_OPTIONS).
 * `--compare 'ttl=5,30,300'` runs several side by side. Seeded: the same flags give the same result.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { compare, simulate, simulationReport } from '../../report/simulate.js';
import { parseCompareSpec, parseSimulateOptions, SIMULATE_OPTIONS } from '../../report/simulate/options.js';
import { renderReportPage } from '../../report/render/html.js';
import { renderReportJson } from '../../report/render/json.js';
import { renderComparisonTable, renderReportTable } from '../../report/render/table.js';

interface SimulateCliOptions {
  compare?: string;
  json: boolean;
  html?: string;
  [option: string]: unknown;
}

const OWN_FLAGS = new Set(['compare', 'json', 'html']);

export function simulateCommand(): Command {
  const cmd = new Command('simulate').description(
    'simulate DNS caching skew for one pool: resolver and client caches, connections; prints skew per window, drain curves and advice',
  );
  for (const o of SIMULATE_OPTIONS) {
    const source = o.source === '—' || o.source === '' ? '' : `; ${o.source}`;
    cmd.addOption(new Option(`--${o.flag} <${o.value}>`, `${o.description} (default ${o.default}${source})`));
  }
  cmd
    .option('--compare <spec>', "run several side by side: 'ttl=5,30,300', several dimensions with ';' ('ttl=5,30;answers=1,all'); values with commas use '|'")
    .option('--json', 'print the report model as JSON (with --compare: the comparison rows too)', false)
    .option('--html <file>', 'also write a self-contained HTML page with the charts');
  return cmd.action(async (opts: SimulateCliOptions) => {
    const base: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(opts)) if (!OWN_FLAGS.has(k) && v !== undefined) base[k] = v;
    if (opts.compare !== undefined) {
      const runs = compare(parseCompareSpec(opts.compare, base));
      const model = simulationReport(runs.results);
      if (opts.html !== undefined) await writePage(opts.html, model);
      process.stdout.write(opts.json ? `${JSON.stringify({ rows: runs.rows, report: model }, null, 2)}\n` : `${renderComparisonTable(runs.rows)}\n${model.notes.map((n) => `  ${n}`).join('\n')}\n`);
      return;
    }
    const result = simulate(parseSimulateOptions(base));
    const model = simulationReport([result]);
    if (opts.html !== undefined) await writePage(opts.html, model);
    process.stdout.write(opts.json ? `${renderReportJson(model)}\n` : renderReportTable(model));
  });
}

async function writePage(file: string, model: Parameters<typeof renderReportPage>[0]): Promise<void> {
  await writeFile(file, renderReportPage(model));
  console.error(`wrote ${file}`);
}
