/** The response-rate-limiting options of `rondo serve` (dns/rrl.ts; docs/security.md). */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ResponseRateLimiter } from '../dns/rrl.js';
import { collect } from './options.js';

export interface RrlCliOptions {
  rrlRate: number;
  rrlSlip: number;
  rrlWindow: number;
  rrlIpv4Prefix: number;
  rrlIpv6Prefix: number;
  rrlExempt?: string[][];
  rrlExemptLoopback: boolean;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number (got "${value}")`);
  return n;
}

function cidrList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function addRrlOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--rrl-rate <n>', 'UDP response rate limit: responses per second per client prefix and answer (0 = off)').argParser(wholeNumber).default(0).env('RONDO_RRL_RATE'))
    .addOption(new Option('--rrl-slip <n>', 'send every Nth rate-limited response truncated (TC=1) so real clients retry over TCP; 0 drops them all').argParser(wholeNumber).default(2))
    .addOption(new Option('--rrl-window <seconds>', 'seconds of burst a client may spend at once (the bucket holds rate × window)').argParser(wholeNumber).default(1))
    .addOption(new Option('--rrl-ipv4-prefix <bits>', 'IPv4 clients share a limit per prefix of this length').argParser(wholeNumber).default(24))
    .addOption(new Option('--rrl-ipv6-prefix <bits>', 'IPv6 clients share a limit per prefix of this length').argParser(wholeNumber).default(56))
    .option('--rrl-exempt <cidr,...>', 'networks never rate limited (repeatable), besides loopback', collect(cidrList))
    .option('--no-rrl-exempt-loopback', 'rate-limit loopback clients too (127.0.0.0/8 and ::1 are exempt by default)');
}

/** The limiter, or undefined when --rrl-rate is 0. Throws a ConfigError for bad values. */
export function rrlFromOptions(opts: RrlCliOptions): ResponseRateLimiter | undefined {
  const rrl = new ResponseRateLimiter({
    responsesPerSecond: opts.rrlRate,
    slip: opts.rrlSlip,
    windowSeconds: opts.rrlWindow,
    ipv4PrefixLength: opts.rrlIpv4Prefix,
    ipv6PrefixLength: opts.rrlIpv6Prefix,
    exemptLoopback: opts.rrlExemptLoopback,
    exempt: (opts.rrlExempt ?? []).flat(),
  });
  return rrl.enabled ? rrl : undefined;
}
