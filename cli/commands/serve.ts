/**
 * `rondo serve`: the authoritative DNS server, with checks in-process unless told otherwise. Its
 * options here; what it runs in serve-run.ts, imported when the command is run (the other
 * commands do not load the server).
 */
import { Command, Option } from 'commander';
import { collect, parseListen, parsePositiveInt, type ListenAddress } from '../options.js';
import { logFormatOption, logLevelOption, type LogFormatCliOptions } from '../logging.js';
import { addRedisOptions, type RedisCliOptions } from '../redis-options.js';
import { addRrlOptions, type RrlCliOptions } from '../rrl-options.js';
import { addTcpOptions, type TcpCliOptions } from '../tcp-options.js';
import { addHttpOptions, type HttpCliOptions } from '../http-options.js';
import { addMembershipOptions, type MembershipCliOptions } from '../membership-options.js';

export interface ServeOptions extends LogFormatCliOptions, RedisCliOptions, RrlCliOptions, HttpCliOptions, TcpCliOptions, MembershipCliOptions {
  zones: string[];
  listen?: ListenAddress[];
  logLevel: string;
  checks: boolean;
  nodeId?: string;
  allowIncludeOutside: boolean;
  workers: number;
  dnssecKeys?: string;
  geoip?: string;
}

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('serve zone files as an authoritative DNS server with health-checked, load-balanced pools')
    .requiredOption('-z, --zones <path>', 'zone file or directory of *.zone files (repeatable)', collect(String))
    .option('-l, --listen <addr:port>', 'address to listen on, UDP and TCP (repeatable; [::1]:5353 for IPv6; default 127.0.0.1:5353)', collect(parseListen))
    .option('--no-checks', 'run no health checks here: take health from Redis only (needs --redis)')
    .addOption(new Option('--node-id <id>', 'name of this process in shared state (default host:pid)').env('RONDO_NODE_ID'))
    .option('--allow-include-outside', 'let $INCLUDE read files outside the zone file directory', false)
    .option('--dnssec-keys <dir>', 'sign the zones that have BIND key files (K<zone>.+<alg>+<tag>.key/.private) in this directory')
    .option('--geoip <file>', 'MaxMind-format database (.mmdb) for the country: and continent: rules of ;@map')
    .option('--workers <n>', 'DNS worker processes sharing the listen sockets; health stays in one primary process', parsePositiveInt, 1)
    .addOption(logLevelOption())
    .addOption(logFormatOption());
  return addMembershipOptions(addHttpOptions(addTcpOptions(addRrlOptions(addRedisOptions(cmd))))).action(async (opts: ServeOptions) => {
    const { runServe } = await import('./serve-run.js');
    await runServe(opts);
  });
}
