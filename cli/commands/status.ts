/** `rondo status`: every pool and target, each checker's verdict and its age, consensus, overrides, live servers. */
import { Command } from 'commander';
import { collect } from '../options.js';
import { addLogFormatOption, rootLogger, type LogFormatCliOptions } from '../logging.js';
import { addRedisOptions, requireRedis, type RedisCliOptions, redisKeys } from '../redis-options.js';
import { connectRedis, closeClient } from '../../health/redis-connection.js';
import { readStatus, renderStatusTable } from '../../health/status.js';
import { findZoneFiles, loadZoneFile } from '../../zones/load.js';
import type { Zone } from '../../model/zone.js';
import { keyStatusLines } from './dnssec.js';

interface StatusOptions extends RedisCliOptions {
  zones?: string[];
  json: boolean;
  dnssecKeys?: string;
}

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

export function statusCommand(): Command {
  const cmd = new Command('status')
    .description('show the shared health state: pools, targets, verdicts per checker, consensus, overrides, live nodes')
    .option('-z, --zones <path>', 'zone files or directories, to name pools and members (repeatable)', collect(String))
    .option('--json', 'print JSON for scripts', false)
    .option('--dnssec-keys <dir>', 'also show the zones signed with the BIND key files in this directory, and their keys\' roles and states (without --redis: only that)');
  return addLogFormatOption(addRedisOptions(cmd)).action(async (opts: StatusOptions & LogFormatCliOptions) => {
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
      console.log(opts.json ? JSON.stringify(model, null, 2) : renderStatusTable(model));
    } finally {
      await closeClient(redis);
    }
  });
}
