import { pino, type Logger, type LevelWithSilent } from 'pino';
import type pinoPretty from 'pino-pretty';
import { onFirstUse } from './on-first-use.js';

/** Only `--log-format pretty` (a terminal) renders through pino-pretty: loaded then. */
const pretty = onFirstUse<typeof pinoPretty>('pino-pretty');

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `json`: one pino JSON object a line; `pretty`: the same records rendered for a person (pino-pretty). */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** What a log written to this file descriptor defaults to: `pretty` on a terminal, `json` otherwise. */
export function defaultLogFormat(fd: 1 | 2 = 1): LogFormat {
  return (fd === 1 ? process.stdout : process.stderr).isTTY === true ? 'pretty' : 'json';
}

/**
 * The one root logger. Created in cli/, injected everywhere else, which derive children from it.
 * `destination` defaults to stdout. `pretty` renders the same records (the same fields) through
 * pino-pretty, synchronously in this process (no worker thread to flush at exit).
 */
export function createRootLogger(level: LevelWithSilent = 'info', destination?: pino.DestinationStream, format: LogFormat = 'json'): Logger {
  const options = { level, base: { pid: process.pid } };
  if (format === 'pretty') return pino(options, pretty()({ destination: destination ?? 1, sync: true }));
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that discards everything: the default for components built in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
