/** RFC 7766 limits of the TCP listener, as `rondo serve` options. */
import { Command } from 'commander';
import { parseDuration, parsePositiveInt } from './options.js';
import type { TcpLimits } from '../server/listen.js';

export interface TcpCliOptions {
  tcpIdleTimeout: number;
  tcpMaxConnections: number;
  tcpMaxInFlight: number;
}


export function addTcpOptions(cmd: Command): Command {
  return cmd
    .option('--tcp-idle-timeout <duration>', 'close a TCP connection that sends no complete query for this long (RFC 7766 §6.2.3)', parseDuration, 10_000)
    .option('--tcp-max-connections <n>', 'TCP connections open at once; more are closed on accept', parsePositiveInt, 1000)
    .option('--tcp-max-in-flight <n>', 'queries one TCP connection may have answered before it yields to others', parsePositiveInt, 100);
}

export function tcpLimits(opts: TcpCliOptions): TcpLimits {
  return { tcpIdleTimeoutMs: opts.tcpIdleTimeout, maxTcpConnections: opts.tcpMaxConnections, maxTcpQueriesInFlight: opts.tcpMaxInFlight };
}
