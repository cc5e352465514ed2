/** What `rondo report` runs (its options and reportUrl: report.ts), imported when the command is run. */
import { writeFile } from 'node:fs/promises';
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
import { rootLogger } from '../logging.js';
import { redisConnection, redisKeys } from '../redis-options.js';
import { loadZonesForTools } from './status-run.js';
import { reportUrl, type ReportOptions } from './report.js';

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

export async function runReport(opts: ReportOptions): Promise<void> {
  const fromRedis = opts.redis !== undefined || opts.redisSentinel !== undefined;
  if (opts.from !== undefined && fromRedis) throw new ConfigError('REPORT_SOURCE_CONFLICT', '--from and --redis are exclusive: read one server’s endpoint, or every server’s snapshots in Redis');
  if (opts.from === undefined && !fromRedis) throw new ConfigError('REPORT_SOURCE_REQUIRED', 'give --from <admin URL> (one server) or --redis <url> (every server sharing that Redis)');
  const model = opts.from !== undefined ? await fetchReport(reportUrl(opts.from, opts.clients), opts.httpToken, opts.timeout) : await reportFromRedis(opts);
  if (opts.html !== undefined) {
    await writeFile(opts.html, renderReportPage(model));
    console.error(`wrote ${opts.html}`);
  }
  process.stdout.write(opts.json ? `${renderReportJson(model)}\n` : renderReportTable(model));
}
