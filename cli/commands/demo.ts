/**
 * `rondo demo`: health-aware load balancing in one process, explained as it runs. Starts three
 * local web backends and Rondo in front of them, prints the dig commands to try, and lets the
 * user stop and start backends (keys 1-3 on a terminal, or HTTP) to watch answers follow health.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS } from '../../lib/logger.js';
import { logFormatOption, type LogFormatCliOptions } from '../logging.js';
import { parseListen, type ListenAddress } from '../options.js';

export interface DemoCommandOptions extends LogFormatCliOptions {
  listen: ListenAddress;
  controlPort: number;
  logLevel: string;
  logFile?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`port must be 0-65535 (got "${value}")`);
  return port;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('run three local web backends behind Rondo and watch DNS answers follow their health')
    .addOption(new Option('-l, --listen <addr:port>', 'where DNS listens, UDP and TCP').argParser(parseListen).default(parseListen('127.0.0.1:5353'), '127.0.0.1:5353'))
    .option('--control-port <port>', 'port of the HTTP control endpoint on 127.0.0.1 (0: any free port)', parsePort, 0)
    .addOption(new Option('--log-level <level>', 'level of the logs').choices(LOG_LEVELS as string[]).default('warn'))
    .option('--log-file <path>', 'write the logs to this file instead of stderr')
    .addOption(logFormatOption())
    .action(async (opts: DemoCommandOptions) => {
      const { runDemo } = await import('./demo-run.js');
      await runDemo(opts);
    });
}
