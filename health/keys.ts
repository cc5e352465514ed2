/**
 * Every Redis key and channel Rondo uses, built from one prefix (`--redis-prefix`, default
 * `rondo`). Layout:
 *
 * - `{prefix}:v:{targetId}`   HASH, one field per checker (node id) → verdict JSON
 *                             (`state`, `latencyMs`, `load`, `reason`, `at`, `ttlMs`).
 * - `{prefix}:o:t:{targetId}` STRING override of one target (JSON), with `PX` when it expires.
 * - `{prefix}:o:m:{pool}/{address}` STRING override of one pool member, for members without a check.
 * - `{prefix}:node:{nodeId}`  STRING heartbeat (JSON), `PX` = 3 × heartbeat interval.
 * - `{prefix}:changes`        pub/sub channel for verdict and override changes.
 * - `{prefix}:obs:{nodeId}`   STRING a DNS server's observation snapshot for the skew report
 *                             (JSON), `PX` 3 × its write interval; built in report/redis-transport.ts.
 *
 * The prefix may not contain `:` or glob characters, so `SCAN MATCH {prefix}:v:*` can never see
 * another prefix's keys.
 *
 * Why one hash per target (not one key per target and checker): a change message or a status
 * line needs "every checker's verdict for this target", which is one HGETALL here but a keyspace
 * SCAN with per-checker keys; a full load is SCAN over `{prefix}:v:*` (one key per target) plus
 * pipelined HGETALLs. Redis 7.0 has no per-field TTL, so each field carries `at` and `ttlMs` and
 * readers ignore it once past `at + ttlMs`; the hash itself gets PEXPIRE (≥ the longest ttl
 * written) so a target nobody checks any more vanishes, and readers HDEL fields long dead.
 *
 * Cost, measured with bench/redis-commandstats.ts (1,000 targets, 2 checkers probing every 1 s,
 * ttl 3 s, 2 DNS servers with the default 5 s resync): per verdict one EVALSHA (inside it HSET +
 * PTTL, and PEXPIRE about once per key per ttl), so ~2,000 EVALSHA/s sent in ~10 pipelines/s per
 * checker; readers ~200 HGETALL/s each (resync); PUBLISH only on state changes; heartbeats
 * 0.5 SET/s per node. About 2,400 commands/s sent, ~6,500/s executed as INFO commandstats counts
 * them (script-internal calls included), ~1% of one core of redis-server.
 */
import { ConfigError } from '../lib/errors.js';

export const DEFAULT_REDIS_PREFIX = 'rondo';

const PREFIX_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Where an override applies: a checked target, or a pool member named by pool and address. */
export type OverrideScope =
  | { readonly kind: 'target'; readonly targetId: string }
  | { readonly kind: 'member'; readonly pool: string; readonly address: string };

export interface HealthKeys {
  readonly prefix: string;
  readonly channel: string;
  verdictKey(targetId: string): string;
  /** SCAN MATCH pattern for every verdict hash. */
  readonly verdictPattern: string;
  /** The target id of a verdict key, or undefined if the key is not one. */
  targetIdOf(verdictKey: string): string | undefined;
  overrideKey(scope: OverrideScope): string;
  readonly overridePattern: string;
  scopeOf(overrideKey: string): OverrideScope | undefined;
  nodeKey(nodeId: string): string;
  readonly nodePattern: string;
  nodeIdOf(nodeKey: string): string | undefined;
}

/** Throws ConfigError when the prefix could collide with another prefix's keys. */
export function validateRedisPrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) {
    throw new ConfigError(
      'REDIS_PREFIX_INVALID',
      `redis prefix must be 1-64 characters from A-Z a-z 0-9 _ . - (got ${JSON.stringify(prefix)})`,
    );
  }
  return prefix;
}

/** Pool names are compared lowercase and absolute; addresses lowercase (IPv6 text). */
export function memberKey(pool: string, address: string): string {
  const name = pool.toLowerCase();
  return `${name.endsWith('.') ? name : `${name}.`}/${address.toLowerCase()}`;
}

/**
 * The keys under `prefix`. With `cluster` (Redis Cluster), the prefix is written as a hash tag,
 * `{rondo}:v:…`, so every key and the change channel hash to one slot: the verdict and override
 * scripts, pipelines and MULTIs then never span slots, and SPUBLISH goes to the shard that holds
 * the data. `prefix` is then the tagged text, so keys built from it elsewhere (the observation
 * snapshots) land in the same slot.
 */
export function healthKeys(plainPrefix: string = DEFAULT_REDIS_PREFIX, options: { readonly cluster?: boolean | undefined } = {}): HealthKeys {
  validateRedisPrefix(plainPrefix);
  const prefix = options.cluster === true ? `{${plainPrefix}}` : plainPrefix;
  const v = `${prefix}:v:`;
  const ot = `${prefix}:o:t:`;
  const om = `${prefix}:o:m:`;
  const node = `${prefix}:node:`;
  const strip = (key: string, head: string) => (key.startsWith(head) && key.length > head.length ? key.slice(head.length) : undefined);
  return {
    prefix,
    channel: `${prefix}:changes`,
    verdictKey: (targetId) => v + targetId,
    verdictPattern: `${v}*`,
    targetIdOf: (key) => strip(key, v),
    overrideKey: (scope) => (scope.kind === 'target' ? ot + scope.targetId : om + memberKey(scope.pool, scope.address)),
    overridePattern: `${prefix}:o:*`,
    scopeOf(key) {
      const targetId = strip(key, ot);
      if (targetId !== undefined) return { kind: 'target', targetId };
      const member = strip(key, om);
      if (member === undefined) return undefined;
      // Addresses never contain '/', so the last one separates pool from address.
      const slash = member.lastIndexOf('/');
      if (slash <= 0 || slash === member.length - 1) return undefined;
      return { kind: 'member', pool: member.slice(0, slash), address: member.slice(slash + 1) };
    },
    nodeKey: (nodeId) => node + nodeId,
    nodePattern: `${node}*`,
    nodeIdOf: (key) => strip(key, node),
  };
}

/** The in-memory key of an override scope (same text as in Redis, without the prefix). */
export function scopeId(scope: OverrideScope): string {
  return scope.kind === 'target' ? `t:${scope.targetId}` : `m:${memberKey(scope.pool, scope.address)}`;
}
