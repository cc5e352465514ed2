/**
 * `rondo demo`: health-aware load balancing in one process, explained as it runs. Starts three
 * local web backends and Rondo in front of them, prints the dig commands to try, and lets the
 * user stop and start backends (keys 1-3 on a terminal, or HTTP) to watch answers follow health.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { createRootLogger, LOG_LEVELS } from '../../lib/logger.js';
import { logFormat, logFormatOption, type LogFormatCliOptions } from '../logging.js';
import type { LevelWithSilent } from 'pino';
import { Demo } from '../demo/demo.js';
import { CTRL_C, onKeyPress } from '../demo/keys.js';
import { parseListen, type ListenAddress } from '../options.js';

interface DemoCommandOptions extends LogFormatCliOptions {
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
      // stdout is for the human lines; logs go to stderr or a file.
      const destination = pino.destination({ dest: opts.logFile ?? 2, sync: true, mkdir: opts.logFile !== undefined });
      // A log file is JSON unless pretty is asked for; stderr is pretty on a terminal.
      const format = opts.logFile === undefined ? logFormat(opts, 2) : logFormat({ logFormat: opts.logFormat ?? 'json' });
      const logger = createRootLogger(opts.logLevel as LevelWithSilent, destination, format);
      const demo = new Demo({ listen: opts.listen, controlPort: opts.controlPort, logger, print: (line) => console.log(line) });
      await demo.start();
      const interactive = process.stdin.isTTY === true;
      console.log(demo.intro(interactive));

      let quit: () => void = () => undefined;
      const quitting = new Promise<void>((resolve) => (quit = resolve));
      const onSignal = (): void => quit();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const restoreTerminal = interactive
        ? onKeyPress(process.stdin, (key) => {
            if (key === 'q' || key === CTRL_C) quit();
            else if (key === 's') console.log(demo.statusLines());
            else if (/^[1-9]$/.test(key)) {
              demo.setBackend(Number(key), 'toggle').catch((err: unknown) => console.error(`rondo demo: ${err instanceof Error ? err.message : String(err)}`));
            }
          })
        : () => undefined;
      try {
        await quitting;
      } finally {
        restoreTerminal();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        console.log('stopping the demo…');
        await demo.stop();
        destination.flushSync();
      }
    });
}
