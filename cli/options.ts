/** Option parsers shared by the commands. They throw commander's InvalidArgumentError with the value received. */
import { InvalidArgumentError } from 'commander';
import { parseListenAddress, type ListenAddress } from '../server/listen.js';
import { parseDurationMs } from '../lib/duration.js';

/** `127.0.0.1:5353`, `[::1]:5353`, `:5353` (all IPv4), `5353`. */
export function parseListen(value: string): ListenAddress {
  try {
    return parseListenAddress(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

export function collect<T>(parse: (v: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer (got "${value}")`);
  return n;
}

export function parseDuration(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new InvalidArgumentError(`expected a duration like 500ms, 10s, 5m, 1h (got "${value}")`);
  return ms;
}

export { formatListen, type ListenAddress } from '../server/listen.js';
