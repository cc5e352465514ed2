/** What `rondo simulate` runs (its options: simulate.ts), imported when the command is run. */
import { writeFile } from 'node:fs/promises';
import { compare, simulate, simulationReport } from '../../report/simulate.js';
import { parseCompareSpec, parseSimulateOptions } from '../../report/simulate/options.js';
import { renderReportPage } from '../../report/render/html.js';
import { renderReportJson } from '../../report/render/json.js';
import { renderComparisonTable, renderReportTable } from '../../report/render/table.js';
import { OWN_FLAGS, type SimulateCliOptions } from './simulate.js';

export async function runSimulate(opts: SimulateCliOptions): Promise<void> {
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
}

async function writePage(file: string, model: Parameters<typeof renderReportPage>[0]): Promise<void> {
  await writeFile(file, renderReportPage(model));
  console.error(`wrote ${file}`);
}
