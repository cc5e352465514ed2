/** Dynamic membership options of `rondo serve` (`--state-file`, `--externaldns`) and the service they build. */
import { Command } from 'commander';
import type { Logger } from '../lib/logger.js';
import { DEFAULT_STATE_FILE, FileMembershipStore } from '../health/membership-file.js';
import { RedisMembershipStore } from '../health/membership-store.js';
import { MembershipService } from '../server/membership.js';
import { parseListen, type ListenAddress } from './options.js';
import { redisConnection, type RedisCliOptions } from './redis-options.js';

export interface MembershipCliOptions {
  stateFile: string;
  externaldns?: ListenAddress;
}

export function addMembershipOptions(cmd: Command): Command {
  return cmd
    .option(
      '--state-file <path>',
      'where members added through the API are kept (written atomically; without Redis the only copy, with Redis a local copy for restarts while Redis is away)',
      DEFAULT_STATE_FILE,
    )
    .option('--externaldns <addr:port>', 'serve the ExternalDNS webhook provider here (loopback, e.g. 127.0.0.1:8888: run Rondo as ExternalDNS\'s sidecar)', parseListen);
}

/** The overlay service: stored in Redis (with the state file as a local copy) or in the state file alone. */
export function membershipService(opts: MembershipCliOptions & RedisCliOptions, nodeId: string, logger: Logger): MembershipService {
  const file = new FileMembershipStore({ file: opts.stateFile, logger });
  const connection = redisConnection(opts);
  const store = connection ? new RedisMembershipStore({ connection, prefix: opts.redisPrefix, logger, nodeId, cache: file }) : file;
  return new MembershipService({ store, logger });
}
