/**
 * Operator overrides shared by the whole cluster through Redis:
 *   rondo drain <name> <address> [--for 10m]     stop handing the address out (maintenance)
 *   rondo undrain <name> <address>
 *   rondo force up|down|clear <name> <address> [--for 10m]
 */
import { Command, InvalidArgumentError } from 'commander';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { parseDuration } from '../options.js';
import { addLogFormatOption, rootLogger, type LogFormatCliOptions } from '../logging.js';
import { addRedisOptions, requireRedis, type RedisCliOptions, redisKeys } from '../redis-options.js';
import { connectRedis, closeClient } from '../../health/redis-connection.js';
import type { OverrideScope } from '../../health/keys.js';
import { clearOverride, setOverride } from '../../health/overrides.js';
import type { OverrideKind } from '../../model/health.js';
import { parseAddress } from '../../lib/ip.js';

interface OverrideOptions extends RedisCliOptions, LogFormatCliOptions {
  for?: number;
  reason?: string;
}

function poolName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function memberScope(name: string, address: string): OverrideScope {
  const parsed = isIP(address) ? parseAddress(address) : undefined;
  if (!parsed) throw new InvalidArgumentError(`"${address}" is not an IP address`);
  return { kind: 'member', pool: poolName(name), address: parsed.address };
}

async function apply(opts: OverrideOptions, scope: OverrideScope, kind: OverrideKind | undefined): Promise<void> {
  const connection = requireRedis(opts, 'overrides');
  const redis = await connectRedis(connection, rootLogger('error', opts));
  try {
    const keys = redisKeys(opts);
    const target = scope.kind === 'member' ? `${scope.pool} ${scope.address}` : scope.targetId;
    if (kind === undefined) {
      const had = await clearOverride(redis, keys, scope);
      console.log(had ? `${target}: override cleared` : `${target}: had no override`);
    } else {
      const record = await setOverride(redis, keys, scope, kind, { ttlMs: opts.for, reason: opts.reason, by: `${hostname()}:${process.pid}` });
      const until = record.expiresAt === undefined ? 'until cleared' : `until ${new Date(record.expiresAt).toISOString()}`;
      console.log(`${target}: ${kind} ${until}`);
    }
  } finally {
    await closeClient(redis);
  }
}

function withCommon(cmd: Command, expiry: boolean): Command {
  if (expiry) cmd.option('--for <duration>', 'lapse by itself after this long (e.g. 30m)', parseDuration).option('--reason <text>', 'shown in status');
  return addLogFormatOption(addRedisOptions(cmd));
}

export function overrideCommands(): Command[] {
  const drain = withCommon(
    new Command('drain').description('stop handing out an address of a pool, on every server (maintenance)').argument('<name>', 'pool name, e.g. www.example.test').argument('<address>'),
    true,
  ).action((name: string, address: string, opts: OverrideOptions) => apply(opts, memberScope(name, address), 'drain'));

  const undrain = withCommon(
    new Command('undrain').description('hand a drained address out again').argument('<name>').argument('<address>'),
    false,
  ).action((name: string, address: string, opts: OverrideOptions) => apply(opts, memberScope(name, address), undefined));

  const force = withCommon(
    new Command('force')
      .description('force an address up or down whatever the checks say; `clear` removes the override')
      .argument('<state>', 'up, down or clear')
      .argument('<name>')
      .argument('<address>'),
    true,
  ).action((state: string, name: string, address: string, opts: OverrideOptions) => {
    const kinds: Record<string, OverrideKind | undefined> = { up: 'force-up', down: 'force-down', clear: undefined };
    if (!(state in kinds)) throw new InvalidArgumentError(`state must be up, down or clear (got "${state}")`);
    return apply(opts, memberScope(name, address), kinds[state]);
  });
  return [drain, undrain, force];
}
