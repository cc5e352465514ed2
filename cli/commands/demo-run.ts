/** What `rondo demo` runs (its options: demo.ts), imported when the command is run. */
import { pino, type LevelWithSilent } from 'pino';
import { createRootLogger } from '../../lib/logger.js';
import { logFormat } from '../logging.js';
import { Demo } from '../demo/demo.js';
import { CTRL_C, onKeyPress } from '../demo/keys.js';
import type { DemoCommandOptions } from './demo.js';

export async function runDemo(opts: DemoCommandOptions): Promise<void> {
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
}
