/**
 * `rondo status`: every pool and target, each checker's verdict and its age, consensus, overrides,
 * live servers. Its options here; what it runs in status-run.ts, imported when the command is run.
 */
import { Command } from 'commander';
import { collect } from '../options.js';
import { addLogFormatOption, type LogFormatCliOptions } from '../logging.js';
import { addRedisOptions, type RedisCliOptions } from '../redis-options.js';

export interface StatusOptions extends RedisCliOptions, LogFormatCliOptions {
  zones?: string[];
  json: boolean;
  dnssecKeys?: string;
}

export function statusCommand(): Command {
  const cmd = new Command('status')
    .description('show the shared health state: pools, targets, verdicts per checker, consensus, overrides, live nodes')
    .option('-z, --zones <path>', 'zone files or directories, to name pools and members (repeatable)', collect(String))
    .option('--json', 'print JSON for scripts', false)
    .option('--dnssec-keys <dir>', 'also show the zones signed with the BIND key files in this directory, and their keys\' roles and states (without --redis: only that)');
  return addLogFormatOption(addRedisOptions(cmd)).action(async (opts: StatusOptions) => {
    const { runStatus } = await import('./status-run.js');
    await runStatus(opts);
  });
}
