/**
 * Listen addresses and limits of the running server: `--listen`, `--http` and the RFC 7766 TCP
 * limits. The DNS room owns the socket; this is how an operator names one.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../lib/errors.js';
import type { ListenAddress } from '../dns/server.js';

export type { ListenAddress };

/** RFC 7766 limits of the TCP listener (`rondo serve --tcp-*`). */
export interface TcpLimits {
  readonly tcpIdleTimeoutMs: number;
  readonly maxTcpConnections: number;
  readonly maxTcpQueriesInFlight: number;
}


/** `127.0.0.1:5353`, `[::1]:5353`, `:5353` (all IPv4), `5353`. */
export function parseListenAddress(value: string): ListenAddress {
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
    if (i < 0) throw new ConfigError('CONFIG_LISTEN', `expected address:port, e.g. 127.0.0.1:5353 or [::1]:5353 (got "${value}")`);
    host = value.slice(0, i) || '0.0.0.0';
    portText = value.slice(i + 1);
    if (host.includes(':')) throw new ConfigError('CONFIG_LISTEN', `put IPv6 addresses in brackets, e.g. [::1]:5353 (got "${value}")`);
  }
  if (!isIP(host)) throw new ConfigError('CONFIG_LISTEN', `"${host}" is not an IP address (got "${value}")`);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('CONFIG_LISTEN', `port must be 0-65535 (got "${portText}")`);
  return { host, port };
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
