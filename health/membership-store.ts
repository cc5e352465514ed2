/**
 * The overlay in Redis, shared by every server (`rondo serve --redis`, `rondo member --redis`).
 *
 * - `{prefix}:m:{zone}` STRING: the zone's whole overlay as JSON, with its `version`.
 * - `{prefix}:membership` pub/sub channel: every stored overlay is published in full, so the
 *   servers apply it without a round trip, like verdict messages.
 *
 * Writes are compare-and-set (one Lua script: GET, compare the version, SET, PUBLISH), so two
 * servers taking API calls at once never lose each other's change: the loser reads again and
 * retries. Servers resync on every reconnect of the subscriber (messages may have been missed).
 *
 * Redis restarts: with persistence (AOF/RDB) the keys come back by themselves. Without it (or
 * after a flush) every server announces its last known overlays again when the command
 * connection is back: a script stores each one only when Redis holds nothing newer for that zone,
 * so the highest version wins and a stale server cannot roll a zone back. Each server also keeps
 * a copy in its state file, so one restarted while Redis is away still serves the overlay.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { StateStoreError } from '../lib/errors.js';
import type { MembershipStore, ZoneOverlay } from '../model/membership.js';
import { closeClient, createRedisClient, describeRedisTarget, waitReady, type RedisConnectionOptions } from './redis-connection.js';
import { DEFAULT_REDIS_PREFIX, validateRedisPrefix } from './keys.js';
import { decodeOverlay, encodeOverlay } from './membership-codec.js';
import type { FileMembershipStore } from './membership-file.js';

/** Stores ARGV[1] if the stored version equals ARGV[2]; publishes it on ARGV[3]. 1 stored, 0 conflict. */
const CAS_LUA = `
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then
  local ok, doc = pcall(cjson.decode, cur)
  if ok and type(doc) == 'table' and tonumber(doc.version) then v = tonumber(doc.version) end
end
if v ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[1])
return 1
`;

/** Stores ARGV[1] (version ARGV[2]) unless Redis holds the same or a newer version; publishes it. */
const ANNOUNCE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, doc = pcall(cjson.decode, cur)
  if ok and type(doc) == 'table' and tonumber(doc.version) and tonumber(doc.version) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[1])
return 1
`;

/** The overlay's key and channel, under the same prefix as every other Rondo key (health/keys.ts). */
export function membershipKeys(prefix: string = DEFAULT_REDIS_PREFIX): { key(zone: string): string; readonly channel: string } {
  validateRedisPrefix(prefix);
  return { key: (zone) => `${prefix}:m:${zone.toLowerCase()}`, channel: `${prefix}:membership` };
}

/** Milliseconds a read or write waits for a reconnecting Redis before it fails (503 to the API). */
const RECONNECT_WAIT_MS = 3000;

type MembershipRedis = Redis & {
  rondoOverlayCas(key: string, doc: string, expected: number, channel: string): Promise<number>;
  rondoOverlayAnnounce(key: string, doc: string, version: number, channel: string): Promise<number>;
};

export interface RedisMembershipStoreOptions {
  readonly connection: RedisConnectionOptions;
  readonly prefix?: string | undefined;
  readonly logger: Logger;
  readonly nodeId: string;
  /** The state file kept as a copy (restarts while Redis is away, re-announcement). */
  readonly cache?: FileMembershipStore | undefined;
  /** Milliseconds start() waits for Redis before serving from the state file. Default 3000. */
  readonly startTimeoutMs?: number | undefined;
  /** Milliseconds before a command without reply fails. Default 2000. */
  readonly commandTimeoutMs?: number | undefined;
}

export class RedisMembershipStore implements MembershipStore {
  readonly kind = 'redis' as const;
  private readonly log: Logger;
  private readonly client: MembershipRedis;
  private readonly subscriber: Redis;
  private readonly keys: ReturnType<typeof membershipKeys>;
  private readonly listeners = new Set<(overlay: ZoneOverlay) => void>();
  /** The newest overlay seen per zone (own writes, messages, reads): what a re-announcement sends. */
  private readonly known = new Map<string, ZoneOverlay>();
  private zones = new Set<string>();
  private started = false;
  private stopped = false;
  private subscribed = false;
  private commandsReadyBefore = false;
  private subscriberReadyBefore = false;
  private readonly target: string;

  constructor(private readonly options: RedisMembershipStoreOptions) {
    this.log = options.logger.child({ component: 'membership', store: 'redis' });
    this.keys = membershipKeys(options.prefix);
    this.target = describeRedisTarget(options.connection);
    const name = `rondo:membership:${options.nodeId}`.replace(/[^\x21-\x7e]/g, '_');
    this.client = createRedisClient(options.connection, 'commands', this.log, { connectionName: name, commandTimeoutMs: options.commandTimeoutMs }) as MembershipRedis;
    this.client.defineCommand('rondoOverlayCas', { numberOfKeys: 1, lua: CAS_LUA });
    this.client.defineCommand('rondoOverlayAnnounce', { numberOfKeys: 1, lua: ANNOUNCE_LUA });
    this.subscriber = createRedisClient(options.connection, 'subscriber', this.log, { connectionName: `${name}:sub` });
    this.subscriber.on('message', (channel: string, text: string) => this.onMessage(channel, text));
    this.client.on('ready', () => this.onCommandsReady());
    this.subscriber.on('ready', () => this.onSubscriberReady());
    // Connect now: the server loads its zones meanwhile, and start() finds the connections ready.
    this.client.connect().catch(() => undefined);
    this.subscriber.connect().catch(() => undefined);
  }

  /** The command connection (tests, status). */
  get redis(): Redis {
    return this.client;
  }

  get connected(): boolean {
    return this.client.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Connects, subscribes and reads every zone's overlay; without Redis within the timeout, the
   * state file's copy (logged once; the store catches up on reconnect).
   */
  async start(zones: readonly string[]): Promise<Map<string, ZoneOverlay>> {
    this.zones = new Set(zones.map((z) => z.toLowerCase()));
    const cached = (await this.options.cache?.start(zones)) ?? new Map<string, ZoneOverlay>();
    for (const overlay of this.options.cache?.all() ?? []) this.remember(overlay);
    const timeoutMs = this.options.startTimeoutMs ?? 3000;
    const ready = (await waitReady(this.client, timeoutMs)) && (await waitReady(this.subscriber, timeoutMs));
    this.started = true;
    if (!ready) {
      this.log.error({ redis: this.target, timeoutMs }, 'redis unreachable at start: serving the membership overlay from the state file');
      return cached;
    }
    await this.ensureSubscribed();
    const out = new Map<string, ZoneOverlay>();
    for (const zone of this.zones) {
      const stored = await this.read(zone).catch(() => undefined);
      const copy = cached.get(zone);
      const best = stored && (!copy || stored.version >= copy.version) ? stored : copy;
      if (best) out.set(zone, best);
    }
    // A Redis that lost the keys gets this server's copies back.
    await this.announceAll();
    return out;
  }

  setZones(zones: readonly string[]): void {
    this.zones = new Set(zones.map((z) => z.toLowerCase()));
  }

  async read(zone: string): Promise<ZoneOverlay | undefined> {
    await this.connection();
    let text: string | null;
    try {
      text = await this.client.get(this.keys.key(zone));
    } catch (err) {
      throw new StateStoreError('REDIS_COMMAND_FAILED', `redis: could not read the membership of ${zone}`, { cause: err });
    }
    if (text === null) return undefined;
    const overlay = decodeOverlay(text);
    if (!overlay) {
      this.log.warn({ zone }, 'membership overlay in redis is not one this version understands; ignored');
      return undefined;
    }
    this.remember(overlay);
    return overlay;
  }

  async write(next: ZoneOverlay, expected: number): Promise<boolean> {
    await this.connection();
    let stored: number;
    try {
      stored = await this.client.rondoOverlayCas(this.keys.key(next.zone), encodeOverlay(next), expected, this.keys.channel);
    } catch (err) {
      throw new StateStoreError('REDIS_COMMAND_FAILED', `redis: could not store the membership of ${next.zone}`, { cause: err });
    }
    if (stored !== 1) return false;
    this.remember(next);
    // The local copy is written in the background: Redis holds the change already.
    void this.options.cache?.remember(next).catch((err: unknown) => this.log.warn({ err }, 'could not keep a copy of the overlay in the state file'));
    return true;
  }

  subscribe(listener: (overlay: ZoneOverlay) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.options.cache?.stop();
    await Promise.all([closeClient(this.client), closeClient(this.subscriber)]);
  }

  /** A change that comes while Redis is reconnecting waits a moment for it rather than fail at once. */
  private async connection(): Promise<void> {
    if (this.client.status !== 'ready' && !this.stopped) await waitReady(this.client, RECONNECT_WAIT_MS);
  }

  private remember(overlay: ZoneOverlay): boolean {
    const current = this.known.get(overlay.zone);
    if (current && current.version >= overlay.version) return false;
    this.known.set(overlay.zone, overlay);
    return true;
  }

  private deliver(overlay: ZoneOverlay): void {
    if (!this.remember(overlay)) return;
    void this.options.cache?.remember(overlay).catch((err: unknown) => this.log.warn({ err }, 'could not keep a copy of the overlay in the state file'));
    if (!this.zones.has(overlay.zone)) return;
    for (const listener of this.listeners) {
      try {
        listener(overlay);
      } catch (err) {
        this.log.error({ err, zone: overlay.zone }, 'membership listener threw');
      }
    }
  }

  private onMessage(channel: string, text: string): void {
    if (channel !== this.keys.channel) return;
    const overlay = decodeOverlay(text);
    if (overlay) this.deliver(overlay);
    else this.log.warn('membership message is not one this version understands; ignored');
  }

  /** After a reconnect: announce what this server knows (a restarted Redis may have lost it). */
  private onCommandsReady(): void {
    const again = this.commandsReadyBefore;
    this.commandsReadyBefore = true;
    if (again && this.started && !this.stopped) void this.announceAll();
  }

  /** After a resubscribe: messages were missed, read every zone again. */
  private onSubscriberReady(): void {
    const again = this.subscriberReadyBefore;
    this.subscriberReadyBefore = true;
    if (!this.started || this.stopped) return;
    void this.ensureSubscribed().then(() => (again ? this.resync() : undefined));
  }

  private async resync(): Promise<void> {
    for (const zone of this.zones) {
      try {
        const text = await this.client.get(this.keys.key(zone));
        const overlay = text === null ? undefined : decodeOverlay(text);
        if (overlay) this.deliver(overlay);
      } catch (err) {
        this.log.debug({ err: { message: (err as Error).message }, zone }, 'membership resync failed; will retry on the next reconnect');
        return;
      }
    }
  }

  private async announceAll(): Promise<void> {
    let announced = 0;
    for (const overlay of this.known.values()) {
      if (overlay.version === 0) continue;
      try {
        announced += await this.client.rondoOverlayAnnounce(this.keys.key(overlay.zone), encodeOverlay(overlay), overlay.version, this.keys.channel);
      } catch (err) {
        this.log.debug({ err: { message: (err as Error).message } }, 'membership re-announcement failed; will retry on the next reconnect');
        return;
      }
    }
    if (announced > 0) this.log.info({ zones: announced }, 'membership overlays announced again (redis had lost them or held older versions)');
  }

  private async ensureSubscribed(): Promise<void> {
    if (this.subscribed || this.subscriber.status !== 'ready') return;
    try {
      await this.subscriber.subscribe(this.keys.channel);
      this.subscribed = true;
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'membership subscription failed; will retry on reconnect');
    }
  }
}
