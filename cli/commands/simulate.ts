/**
 * `rondo simulate`: the caching-skew simulator (report/simulate.ts) for one pool — resolver
 * caches, client caches, connections — with every model parameter as a flag (SIMULATE_OPTIONS).
 * `--compare 'ttl=5,30,300'` runs several side by side. Seeded: the same flags give the same result.
 */
import { Command, Option } from 'commander';
import { SIMULATE_OPTIONS } from '../../report/simulate/options.js';

export interface SimulateCliOptions {
  compare?: string;
  json: boolean;
  html?: string;
  [option: string]: unknown;
}

export const OWN_FLAGS = new Set(['compare', 'json', 'html']);

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
    const { runSimulate } = await import('./simulate-run.js');
    await runSimulate(opts);
  });
}
