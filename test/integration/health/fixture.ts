/**
 * Shared set-up for the Redis health tests: stores on a given redis-server with short timings,
 * stopped after each test, and a log capture.
 */
import { afterEach } from 'vitest';
import { createRootLogger, silentLogger, type Logger } from '../../../lib/logger.js';
import { RedisHealthStore, type RedisHealthStoreOptions } from '../../../health/redis-store.js';
import type { NodeRole } from '../../../health/heartbeat.js';
import type { TargetState, Verdict } from '../../../model/health.js';
import type { RedisConnectionOptions } from '../../../health/redis-connection.js';

/** Fast timings so every test is bounded to a few seconds. */
export const FAST = {
  batchMs: 50,
  sweepIntervalMs: 50,
  resyncIntervalMs: 1000,
  heartbeatIntervalMs: 200,
  maxRetryDelayMs: 100,
  startTimeoutMs: 3000,
  commandTimeoutMs: 1000,
} as const;

let counter = 0;
/** A prefix no other test in this file uses (isolation on one redis-server). */
export function freshPrefix(): string {
  return `t${++counter}`;
}

export interface Opened {
  (role: NodeRole, nodeId: string, extra?: Partial<RedisHealthStoreOptions>): Promise<RedisHealthStore>;
}

/** `open(role, nodeId)` starts a store on `connection()`; all are stopped after each test. */
export function storeFactory(connection: () => RedisConnectionOptions, prefix: () => string): Opened {
  const stores: RedisHealthStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.stop()));
  });
  return async (role, nodeId, extra = {}) => {
    const store = new RedisHealthStore({
      connection: connection(),
      role,
      nodeId,
      prefix: prefix(),
      logger: silentLogger(),
      ...FAST,
      ...extra,
    });
    stores.push(store);
    await store.start();
    return store;
  };
}

export function verdict(targetId: string, checker: string, state: TargetState, extra: Partial<Verdict> = {}): Verdict {
  return { targetId, checker, state, latencyMs: state === 'up' ? 5 : undefined, load: undefined, reason: `${checker}: ${state}`, at: Date.now(), ttlMs: 30_000, ...extra };
}

export function captureLogs(level: 'debug' | 'info' = 'debug'): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const raw: string[] = [];
  const logger = createRootLogger(level, { write: (s: string) => void raw.push(s) });
  return {
    logger,
    lines: () => raw.map((s) => JSON.parse(s) as Record<string, unknown>),
    text: () => raw.join(''),
  };
}

export function stateOf(store: RedisHealthStore, targetId: string): TargetState | undefined {
  return store.view().get(targetId)?.state;
}
