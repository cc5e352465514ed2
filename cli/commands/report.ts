/**
 * `rondo report`: the caching-skew report, from a running server's admin endpoint (`--from`) or
 * from the observation snapshots every server writes to Redis (`--redis`, the whole cluster).
 * A terminal table by default; `--json` for the model; `--html FILE` for a self-contained page.
 */
import { Command, Option } from 'commander';
import { ConfigError } from '../../lib/errors.js';
import { collect } from '../options.js';
import { addLogFormatOption, type LogFormatCliOptions } from '../logging.js';
import { addRedisOptions, type RedisCliOptions } from '../redis-options.js';

export interface ReportOptions extends RedisCliOptions, LogFormatCliOptions {
  from?: string;
  httpToken?: string;
  zones?: string[];
  clients: 'default' | 'none';
  json: boolean;
  html?: string;
  timeout: number;
}

const FETCH_TIMEOUT_MS = 10_000;

/** `http://host:port` (or its `/report`, or the dashboard `/`) → the `/report` URL. */
export function reportUrl(from: string, clients: 'default' | 'none'): URL {
  let url: URL;
  try {
    url = new URL(from);
  } catch {
    throw new ConfigError('REPORT_SOURCE_INVALID', `--from must be the admin address, e.g. http://127.0.0.1:8053 (got ${JSON.stringify(from)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('REPORT_SOURCE_INVALID', `--from must be an http:// or https:// URL (got ${JSON.stringify(url.protocol)})`);
  if (!url.pathname.endsWith('/report')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/report`;
  url.search = clients === 'none' ? '?clients=none' : '';
  url.username = '';
  url.password = '';
  return url;
}

export function reportCommand(): Command {
  const cmd = new Command('report')
    .description('show the caching-skew report: intended vs answered vs estimated vs measured share per member, resolvers, drain, advice')
    .option('--from <url>', 'a running server’s admin address (rondo serve --http), e.g. http://127.0.0.1:8053')
    .addOption(new Option('--http-token <token>', 'bearer token for --from').env('RONDO_HTTP_TOKEN'))
    .option('-z, --zones <path>', 'with --redis: zone files, to add the load the backends report (repeatable)', collect(String))
    .addOption(new Option('--clients <model>', 'client caching assumed by the estimate: default (browsers, stubs, sticky apps) or none (clients keep no answers)').choices(['default', 'none']).default('default'))
    .option('--json', 'print the report model as JSON', false)
    .option('--html <file>', 'also write a self-contained HTML page (inline SVG charts, no external assets)')
    .addOption(new Option('--timeout <ms>', 'how long to wait for --from').argParser((v) => Number(v)).default(FETCH_TIMEOUT_MS).hideHelp());
  return addLogFormatOption(addRedisOptions(cmd)).action(async (opts: ReportOptions) => {
    const { runReport } = await import('./report-run.js');
    await runReport(opts);
  });
}
