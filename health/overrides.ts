/**
 * Operator overrides: `drain`, `force-up`, `force-down`, for a checked target or for a pool member
 * (pool name + address, which also covers members that have no check). Stored as one key each,
 * with `PX` when they expire, and announced on the change channel so every DNS server applies them
 * at once. `rondo drain` / `rondo undrain` / `rondo force` call these.
 */
import type { Redis } from 'ioredis';
import { ConfigError, StateStoreError } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { decodeOverride, encodeMessage, encodeOverride, OVERRIDE_KINDS, type OverrideKind, type OverrideRecord } from './codec.js';
import { announceIn, scanKeys } from './redis-connection.js';
import { scopeId, type HealthKeys, type OverrideScope } from './keys.js';

export type { OverrideKind, OverrideRecord };

export interface StoredOverride {
  readonly scope: OverrideScope;
  readonly record: OverrideRecord;
}

export interface SetOverrideOptions {
  /** Milliseconds until the override lapses by itself; undefined = until cleared. */
  readonly ttlMs?: number | undefined;
  readonly reason?: string | undefined;
  readonly by?: string | undefined;
  readonly clock?: Clock | undefined;
}

export function parseOverrideKind(text: string): OverrideKind {
  if (OVERRIDE_KINDS.includes(text as OverrideKind)) return text as OverrideKind;
  throw new ConfigError('OVERRIDE_KIND_INVALID', `override must be one of ${OVERRIDE_KINDS.join(', ')} (got ${JSON.stringify(text)})`);
}

/** Writes the override and announces it (one MULTI, so readers never see the message first). */
export async function setOverride(
  redis: Redis,
  keys: HealthKeys,
  scope: OverrideScope,
  kind: OverrideKind,
  options: SetOverrideOptions = {},
): Promise<OverrideRecord> {
  const ttlMs = options.ttlMs;
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs <= 0)) {
    throw new ConfigError('OVERRIDE_TTL_INVALID', `override expiry must be a positive whole number of milliseconds (got ${ttlMs})`);
  }
  const now = (options.clock ?? systemClock).now();
  const record: OverrideRecord = {
    kind,
    at: now,
    expiresAt: ttlMs === undefined ? undefined : now + ttlMs,
    reason: options.reason,
    by: options.by,
  };
  const key = keys.overrideKey(scope);
  const tx = redis.multi();
  if (ttlMs === undefined) tx.set(key, encodeOverride(record));
  else tx.set(key, encodeOverride(record), 'PX', ttlMs);
  announceIn(tx, redis, keys.channel, encodeMessage({ kind: 'override', scope, override: record }));
  await execOrThrow(tx.exec(), `set override ${key}`);
  return record;
}

/** Removes the override; resolves true if there was one. */
export async function clearOverride(redis: Redis, keys: HealthKeys, scope: OverrideScope): Promise<boolean> {
  const key = keys.overrideKey(scope);
  const tx = redis.multi();
  tx.del(key);
  announceIn(tx, redis, keys.channel, encodeMessage({ kind: 'override', scope, override: null }));
  const results = await execOrThrow(tx.exec(), `clear override ${key}`);
  return results[0] === 1;
}

/**
 * Every override currently stored, keyed by `scopeId`. Malformed keys are skipped. With `now`
 * (the reader's clock), an expiring override's `expiresAt` is rebased on it from the key's PTTL,
 * so when it lapses never depends on the setter's clock agreeing with the reader's.
 */
export async function loadOverrides(redis: Redis, keys: HealthKeys, now?: () => number): Promise<Map<string, StoredOverride>> {
  const found = await scanKeys(redis, keys.overridePattern);
  const out = new Map<string, StoredOverride>();
  for (let i = 0; i < found.length; i += 500) {
    const batch = found.slice(i, i + 500);
    const values = await redis.mget(...batch);
    const ttls = now === undefined ? [] : await Promise.all(batch.map((key) => redis.pttl(key)));
    const at = now?.();
    batch.forEach((key, j) => {
      const scope = keys.scopeOf(key);
      const text = values[j];
      let record = text === null || text === undefined ? undefined : decodeOverride(text);
      const ttl = ttls[j];
      if (record?.expiresAt !== undefined && at !== undefined && ttl !== undefined && ttl >= 0) record = { ...record, expiresAt: at + ttl };
      if (scope !== undefined && record !== undefined) out.set(scopeId(scope), { scope, record });
    });
  }
  return out;
}

/** An override heard in a change message, its expiry rebased on the reader's clock (`now`). */
export function rebaseOverride(record: OverrideRecord, now: number): OverrideRecord {
  return record.expiresAt === undefined ? record : { ...record, expiresAt: now + Math.max(0, record.expiresAt - record.at) };
}

/** True while the override applies (Redis expires the key too; this covers the time in between). */
export function overrideActive(record: OverrideRecord, nowMs: number): boolean {
  return record.expiresAt === undefined || nowMs < record.expiresAt;
}

async function execOrThrow(pending: Promise<[Error | null, unknown][] | null>, what: string): Promise<unknown[]> {
  let results: [Error | null, unknown][] | null;
  try {
    results = await pending;
  } catch (err) {
    throw new StateStoreError('REDIS_COMMAND_FAILED', `redis: could not ${what}`, { cause: err });
  }
  if (results === null) throw new StateStoreError('REDIS_COMMAND_FAILED', `redis: could not ${what} (transaction aborted)`);
  const failed = results.find(([err]) => err !== null);
  if (failed) throw new StateStoreError('REDIS_COMMAND_FAILED', `redis: could not ${what}`, { cause: failed[0] });
  return results.map(([, value]) => value);
}
