import { Option, type Command } from 'commander';
import { createRootLogger, defaultLogFormat, LOG_FORMATS, LOG_LEVELS, type LogFormat, type Logger } from '../lib/logger.js';
import type { LevelWithSilent } from 'pino';

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as string[]).default('info').env('LOG_LEVEL');
}

/** `--log-format json|pretty`; without it, pretty when the log goes to a terminal, JSON otherwise. */
export function logFormatOption(): Option {
  return new Option('--log-format <format>', 'log format (default: pretty on a terminal, json otherwise)').choices(LOG_FORMATS as string[]).env('LOG_FORMAT');
}

export interface LogFormatCliOptions {
  logFormat?: string;
}

export function addLogFormatOption(cmd: Command): Command {
  return cmd.addOption(logFormatOption());
}

/** The format asked for, else the default for the log's file descriptor (1 stdout, 2 stderr). */
export function logFormat(opts: LogFormatCliOptions, fd: 1 | 2 = 1): LogFormat {
  return (opts.logFormat as LogFormat | undefined) ?? defaultLogFormat(fd);
}

/** The root logger on stdout. */
export function rootLogger(level: string, opts: LogFormatCliOptions = {}): Logger {
  return createRootLogger(level as LevelWithSilent, undefined, logFormat(opts));
}
