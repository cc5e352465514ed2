/** `rondo check`: a dedicated checker. Probes the targets of the zone files and writes verdicts to Redis; no DNS. */
import { Command, Option } from 'commander';
import { collect } from '../options.js';
import { logFormatOption, logLevelOption, type LogFormatCliOptions } from '../logging.js';
import { addRedisOptions, type RedisCliOptions } from '../redis-options.js';
import { addHttpOptions, type HttpCliOptions } from '../http-options.js';

export interface CheckOptions extends LogFormatCliOptions, RedisCliOptions, HttpCliOptions {
  zones: string[];
  logLevel: string;
  nodeId?: string;
  allowIncludeOutside: boolean;
}

export function checkCommand(): Command {
  const cmd = new Command('check')
    .description('run the health checks of the zone files and share the verdicts through Redis (no DNS listener)')
    .requiredOption('-z, --zones <path>', 'zone file or directory of *.zone files (repeatable)', collect(String))
    .addOption(new Option('--node-id <id>', 'name of this checker in shared state (default host:pid)').env('RONDO_NODE_ID'))
    .option('--allow-include-outside', 'let $INCLUDE read files outside the zone file directory', false)
    .addOption(logLevelOption())
    .addOption(logFormatOption());
  return addHttpOptions(addRedisOptions(cmd)).action(async (opts: CheckOptions) => {
    const { runCheck } = await import('./check-run.js');
    await runCheck(opts);
  });
}
