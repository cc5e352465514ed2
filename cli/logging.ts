import { Option } from 'commander';
import { createRootLogger, LOG_LEVELS, type Logger } from '../lib/logger.js';
import type { LevelWithSilent } from 'pino';

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as string[]).default('info').env('LOG_LEVEL');
}

export function rootLogger(level: string): Logger {
  return createRootLogger(level as LevelWithSilent);
}
