import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The one root logger. Created in cli/, injected everywhere else, which derive children from it. */
export function createRootLogger(level: LevelWithSilent = 'info', destination?: pino.DestinationStream): Logger {
  return destination ? pino({ level, base: { pid: process.pid } }, destination) : pino({ level, base: { pid: process.pid } });
}

/** A logger that discards everything: the default for components built in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
