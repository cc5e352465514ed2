/**
 * Heartbeats: every Rondo process writes `{prefix}:node:{nodeId}` every interval with `PX` = 3 ×
 * interval, so `rondo status` can list the live DNS servers and checkers; a dead process's key
 * lapses by itself.
 */
import os from 'node:os';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { HealthKeys } from './keys.js';
import { redisErrorForLog, scanKeys } from './redis-connection.js';

export type NodeRole = 'dns' | 'checker' | 'both';

export interface NodeInfo {
  readonly nodeId: string;
  readonly role: NodeRole;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /** Epoch milliseconds of this heartbeat. */
  readonly at: number;
  readonly version: string;
  readonly pid: number;
  readonly host: string;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2000;

/** `--node-id` default: host name and process id, unique among live processes. */
export function defaultNodeId(): string {
  return `${os.hostname()}:${process.pid}`;
}

export interface HeartbeatOptions {
  readonly nodeId: string;
  readonly role: NodeRole;
  readonly version: string;
  readonly intervalMs?: number | undefined;
  readonly clock?: Clock | undefined;
}

export class Heartbeat {
  private readonly redis: Redis;
  private readonly keys: HealthKeys;
  private readonly options: HeartbeatOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(redis: Redis, keys: HealthKeys, options: HeartbeatOptions, log: Logger) {
    this.redis = redis;
    this.keys = keys;
    this.options = options;
    this.log = log;
    this.clock = options.clock ?? systemClock;
    this.intervalMs = options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.startedAt = this.clock.now();
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
    void this.beat();
  }

  /** Writes one heartbeat now (also called after a reconnect so status sees us at once). */
  async beat(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const info: NodeInfo = {
      nodeId: this.options.nodeId,
      role: this.options.role,
      startedAt: this.startedAt,
      at: this.clock.now(),
      version: this.options.version,
      pid: process.pid,
      host: os.hostname(),
    };
    try {
      await this.redis.set(this.keys.nodeKey(info.nodeId), JSON.stringify(info), 'PX', this.intervalMs * 3);
      this.failing = false;
    } catch (err) {
      // The connection watch reports outages; only say something if Redis answers with an error.
      if (!this.failing) this.log.warn({ err: redisErrorForLog(err) }, 'heartbeat write failed');
      this.failing = true;
    }
  }

  /** Stops beating and removes the key, so status stops listing this node at once. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.redis.status !== 'ready') return;
    await this.redis.del(this.keys.nodeKey(this.options.nodeId)).catch(() => undefined);
  }
}

/** The live nodes (whose heartbeat key has not lapsed), sorted by node id. */
export async function listNodes(redis: Redis, keys: HealthKeys): Promise<NodeInfo[]> {
  const found = await scanKeys(redis, keys.nodePattern);
  const out: NodeInfo[] = [];
  for (let i = 0; i < found.length; i += 500) {
    const batch = found.slice(i, i + 500);
    const values = await redis.mget(...batch);
    batch.forEach((key, j) => {
      const nodeId = keys.nodeIdOf(key);
      const node = nodeId === undefined ? undefined : parseNode(nodeId, values[j] ?? null);
      if (node !== undefined) out.push(node);
    });
  }
  return out.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
}

function parseNode(nodeId: string, text: string | null): NodeInfo | undefined {
  if (text === null) return undefined;
  try {
    const raw = JSON.parse(text) as Partial<NodeInfo>;
    const role = raw.role === 'dns' || raw.role === 'checker' || raw.role === 'both' ? raw.role : undefined;
    if (role === undefined || typeof raw.at !== 'number') return undefined;
    return {
      nodeId,
      role,
      startedAt: typeof raw.startedAt === 'number' ? raw.startedAt : raw.at,
      at: raw.at,
      version: typeof raw.version === 'string' ? raw.version : '',
      pid: typeof raw.pid === 'number' ? raw.pid : 0,
      host: typeof raw.host === 'string' ? raw.host : '',
    };
  } catch {
    return undefined;
  }
}
