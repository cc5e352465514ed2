/** Option parsers shared by the commands. They throw commander's InvalidArgumentError with the value received. */
import { InvalidArgumentError } from 'commander';
import { isIP } from 'node:net';
import { parseDurationMs } from '../lib/duration.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `127.0.0.1:5353`, `[::1]:5353`, `:5353` (all IPv4), `5353`. */
export function parseListen(value: string): ListenAddress {
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2] ?? '';
  } else if (/^\d+$/.test(value)) {
    host = '127.0.0.1';
    portText = value;
  } else {
    const i = value.lastIndexOf(':');
    if (i < 0) throw new InvalidArgumentError(`expected address:port, e.g. 127.0.0.1:5353 or [::1]:5353 (got "${value}")`);
    host = value.slice(0, i) || '0.0.0.0';
    portText = value.slice(i + 1);
    if (host.includes(':')) throw new InvalidArgumentError(`put IPv6 addresses in brackets, e.g. [::1]:5353 (got "${value}")`);
  }
  if (!isIP(host)) throw new InvalidArgumentError(`"${host}" is not an IP address (got "${value}")`);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`port must be 0-65535 (got "${portText}")`);
  return { host, port };
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

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
