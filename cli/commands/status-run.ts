/** What `rondo status` runs (its options: status.ts), imported when the command is run; loadZonesForTools is also `rondo report`'s. */
import { rootLogger } from '../logging.js';
import { requireRedis, redisKeys } from '../redis-options.js';
import { connectRedis, closeClient } from '../../health/redis-connection.js';
import { readStatus, renderStatusTable } from '../../health/status.js';
import { findZoneFiles, loadZoneFile } from '../../zones/load.js';
import type { Zone } from '../../model/zone.js';
import { keyStatusLines } from './dnssec.js';
import { renderSiteTable, sitesFromSharedStatus } from '../../server/site-maps.js';
import type { StatusOptions } from './status.js';

/** Loads the zones that parse; status is a read-only view, so a broken file is reported and skipped. */
export async function loadZonesForTools(paths: readonly string[]): Promise<Zone[]> {
  const zones: Zone[] = [];
  for (const file of await findZoneFiles([...paths])) {
    const result = await loadZoneFile(file);
    if (result.ok) zones.push(result.zone);
    else console.error(`${file}: skipped, ${result.errors.length} error(s); run \`rondo zone check ${file}\``);
  }
  return zones;
}

export async function runStatus(opts: StatusOptions): Promise<void> {
  if (opts.dnssecKeys !== undefined) {
    const lines = await keyStatusLines(opts.dnssecKeys);
    console.log(opts.json ? JSON.stringify({ dnssec: lines }, null, 2) : ['DNSSEC', ...lines].join('\n'));
    if (opts.redis === undefined && opts.redisSentinel === undefined) return;
  }
  const connection = requireRedis(opts, 'rondo status');
  const logger = rootLogger('error', opts);
  const zones = await loadZonesForTools(opts.zones ?? []);
  const redis = await connectRedis(connection, logger);
  try {
    const model = await readStatus(redis, redisKeys(opts), zones);
    // Pools with map= (issue 12): each site's up share of weight against its threshold.
    const sites = sitesFromSharedStatus(model, zones);
    if (opts.json) console.log(JSON.stringify(sites.length > 0 ? { ...model, sites } : model, null, 2));
    else console.log(renderStatusTable(model) + (sites.length > 0 ? `\n${renderSiteTable(sites)}` : ''));
  } finally {
    await closeClient(redis);
  }
}
