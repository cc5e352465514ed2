/**
 * `rondo report`: the caching-skew report, from a running server's admin endpoint (`--from`) or
 * from the observation snapshots every server writes to Redis (`--redis`, the whole cluster).
 * A terminal table by default; `--json` for the model; `--html FILE` for a self-contained page.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ConfigError, RondoError } from '../../lib/errors.js';
import { closeClient, connectRedis, withClusterScan } from '../../health/redis-connection.js';
import { readStatus } from '../../health/status.js';
import { buildReport } from '../../report/build-report.js';
import { DEFAULT_DEMAND_OPTIONS } from '../../report/demand.js';
import type { ReportModel } from '../../report/model.js';
import { readSnapshots } from '../../report/redis-transport.js';
import { renderReportPage } from '../../report/render/html.js';
import { renderReportJson } from '../../report/render/json.js';
import { renderReportTable } from '../../report/render/table.js';
import { emptySnapshot, mergeAllSnapshots } from '../../report/snapshot.js';
import { collect } from '../options.js';
import { addLogFormatOption, rootLogger, type LogFormatCliOptions } from '../logging.js';
import { addRedisOptions, redisConnection, type RedisCliOptions, redisKeys } from '../redis-options.js';
import { loadZonesForTools } from './status.js';

interface ReportOptions extends RedisCliOptions, LogFormatCliOptions {
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

function looksLikeReport(value: unknown): value is ReportModel {
  const v = value as Partial<ReportModel> | null;
  return typeof v === 'object' && v !== null && (v.kind === 'observed' || v.kind === 'simulated') && Array.isArray(v.pools) && Array.isArray(v.notes);
}

async function fetchReport(url: URL, token: string | undefined, timeoutMs: number): Promise<ReportModel> {
  const shown = `${url.origin}${url.pathname}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    throw new RondoError('REPORT_FETCH_FAILED', `could not reach ${shown}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, { cause: err });
  }
  if (res.status === 401) throw new RondoError('REPORT_FETCH_FAILED', `${shown} wants a bearer token: give --http-token or RONDO_HTTP_TOKEN`);
  if (!res.ok) throw new RondoError('REPORT_FETCH_FAILED', `${shown} answered HTTP ${res.status}`);
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw new RondoError('REPORT_FETCH_FAILED', `${shown} did not send JSON`, { cause: err });
  }
  if (!looksLikeReport(body)) throw new RondoError('REPORT_FETCH_FAILED', `${shown} did not send a report model`);
  return body;
}

async function reportFromRedis(opts: ReportOptions): Promise<ReportModel> {
  const connection = redisConnection(opts);
  if (!connection) throw new ConfigError('REPORT_SOURCE_REQUIRED', 'give --from <admin URL> or --redis <url>');
  const logger = rootLogger('error', opts);
  const zones = await loadZonesForTools(opts.zones ?? []);
  const redis = await connectRedis(connection, logger);
  try {
    const keys = redisKeys(opts);
    const { snapshots, skipped } = await readSnapshots(withClusterScan(redis), keys.prefix);
    const merged = mergeAllSnapshots(snapshots.map((s) => s.snapshot)) ?? emptySnapshot(Date.now());
    let measuredLoad: ((poolKey: string, address: string) => number | undefined) | undefined;
    if (zones.length > 0) {
      // The load the backends report, as the checkers' consensus in Redis has it.
      const status = await readStatus(redis, keys, zones);
      const loads = new Map(status.targets.map((t) => [t.id, t.consensus.load]));
      const targetOf = new Map<string, string>();
      for (const z of zones) for (const p of z.pools) for (const m of p.members) if (m.targetId !== undefined) targetOf.set(`${p.key}|${m.address}`, m.targetId);
      measuredLoad = (poolKey, address) => {
        const id = targetOf.get(`${poolKey}|${address}`);
        return id === undefined ? undefined : loads.get(id);
      };
    }
    const model = buildReport(merged, {
      ...(measuredLoad ? { measuredLoad } : {}),
      ...(opts.clients === 'none' ? { demand: { ...DEFAULT_DEMAND_OPTIONS, clients: null } } : {}),
    });
    const notes = [...model.notes];
    if (snapshots.length === 0) notes.push(`No observation snapshots under ${keys.prefix}:obs:* — are the servers running with --redis?`);
    else notes.push(`Servers: ${snapshots.map((s) => s.nodeId).join(', ')}.`);
    if (skipped.length > 0) notes.push(`Skipped ${skipped.length} snapshot(s) this version cannot read: ${skipped.join(', ')}.`);
    if (opts.clients === 'none') notes.push('Estimated as if clients kept no answers of their own (--clients none).');
    return { ...model, notes };
  } finally {
    await closeClient(redis);
  }
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
    const fromRedis = opts.redis !== undefined || opts.redisSentinel !== undefined;
    if (opts.from !== undefined && fromRedis) throw new ConfigError('REPORT_SOURCE_CONFLICT', '--from and --redis are exclusive: read one server’s endpoint, or every server’s snapshots in Redis');
    if (opts.from === undefined && !fromRedis) throw new ConfigError('REPORT_SOURCE_REQUIRED', 'give --from <admin URL> (one server) or --redis <url> (every server sharing that Redis)');
    const model = opts.from !== undefined ? await fetchReport(reportUrl(opts.from, opts.clients), opts.httpToken, opts.timeout) : await reportFromRedis(opts);
    if (opts.html !== undefined) {
      await writeFile(opts.html, renderReportPage(model));
      console.error(`wrote ${opts.html}`);
    }
    process.stdout.write(opts.json ? `${renderReportJson(model)}\n` : renderReportTable(model));
  });
}
