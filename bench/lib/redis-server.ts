/**
 * Real redis-server processes for tests (and the Redis benchmarks): each on a free loopback port,
 * with no persistence, in its own temp dir. Never the shared 6379, never FLUSHALL.
 *
 *   const redis = await startRedisServer();
 *   afterAll(() => redis.stop());
 *
 * Fault injection: `kill()` (SIGKILL), `pause()`/`resume()` (SIGSTOP/SIGCONT: a hung server),
 * `restart()` (same port, empty data). `startSentinelSet()` gives one primary, one replica and
 * three sentinels. No vitest import here, so bench scripts can use it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

const START_DEADLINE_MS = 10_000;

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Kills the process (default SIGKILL) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  /** Starts the server again on the same port (after kill/stop-like faults); data is gone. */
  restart(): Promise<void>;
  /** The last lines of the server's log. */
  logTail(lines?: number): Promise<string>;
  /** A one-off client (no retries) for assertions; closed by `stop()`. */
  client(): Promise<Redis>;
}

export interface StartRedisOptions {
  /** Extra arguments after the standard ones, e.g. `['--replicaof', '127.0.0.1', '6380']`. */
  readonly args?: readonly string[];
  /** Password for the default user (`--requirepass`). */
  readonly password?: string;
}

const live = new Set<ManagedRedis>();
process.once('exit', () => {
  // Last resort if a test file forgot its afterAll: never leave redis-server processes behind.
  for (const server of live) server.killSync();
});

/** A port nobody listens on right now: bind port 0, read it, close. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (port === 0) throw new Error('could not find a free port');
  return port;
}

export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-redis-'));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--logfile', path.join(dir, 'redis.log'),
    ...(options.password !== undefined ? ['--requirepass', options.password] : []),
    ...(options.args ?? []),
  ];
  const server = new ManagedRedis(port, dir, () => args, options.password);
  await server.launch();
  return server;
}

/** A sentinel process watching `primaryPort` as master group `name`. */
async function startSentinel(primaryPort: number, name: string): Promise<ManagedRedis> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  // Sentinel rewrites its config file, so it must be writable and its own.
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${path.join(dir, 'redis.log')}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 3000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  const server = new ManagedRedis(port, dir, () => [conf, '--sentinel']);
  await server.launch();
  return server;
}

export interface SentinelSet {
  readonly name: string;
  readonly primary: RedisServer;
  readonly replica: RedisServer;
  readonly sentinels: readonly RedisServer[];
  readonly sentinelAddresses: readonly { host: string; port: number }[];
  /** The port Sentinel currently names as primary. */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/** One primary, one replica, three sentinels (quorum 2), ready for a failover. */
export async function startSentinelSet(name = 'rondo-test'): Promise<SentinelSet> {
  const started: RedisServer[] = [];
  try {
    const primary = await startRedisServer();
    started.push(primary);
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    started.push(replica);
    await waitFor(async () => (await info(replica, 'replication')).includes('master_link_status:up'), 'replica in sync', replica);
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < 3; i++) {
      const sentinel = await startSentinel(primary.port, name);
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    // A failover needs the sentinels to know the replica and each other (hello messages, ~2 s).
    for (const sentinel of sentinels) {
      await waitFor(
        async () => {
          const fields = await sentinelMaster(sentinel, name);
          return fields.get('num-slaves') === '1' && fields.get('num-other-sentinels') === '2';
        },
        'sentinels discovered each other',
        sentinel,
        20_000,
      );
    }
    return {
      name,
      primary,
      replica,
      sentinels,
      sentinelAddresses: sentinels.map((s) => ({ host: s.host, port: s.port })),
      async currentPrimaryPort() {
        for (const sentinel of sentinels) {
          try {
            const c = await sentinel.client();
            const reply = (await c.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
            if (reply) return Number(reply[1]);
          } catch {
            // try the next sentinel
          }
        }
        throw new Error('no sentinel answered get-master-addr-by-name');
      },
      async stop() {
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
}

/** `INFO section` as text. */
export async function info(server: RedisServer, section: string): Promise<string> {
  const c = await server.client();
  return c.info(section);
}

async function sentinelMaster(sentinel: RedisServer, name: string): Promise<Map<string, string>> {
  const c = await sentinel.client();
  const flat = (await c.call('SENTINEL', 'master', name)) as string[];
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i] as string, flat[i + 1] as string);
  return out;
}

async function waitFor(check: () => Promise<boolean>, what: string, server: RedisServer, deadlineMs = START_DEADLINE_MS): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (let attempt = 0; Date.now() < until; attempt++) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await delay(Math.min(25 * 2 ** attempt, 250));
  }
  throw new Error(`timed out after ${deadlineMs}ms waiting for ${what} (port ${server.port})\n${await server.logTail()}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One raw PING over a fresh socket: true on `+PONG` (or `-NOAUTH`, which also means "up"). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let text = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n')) done(text.startsWith('+PONG') || text.startsWith('-NOAUTH'));
    });
  });
}

class ManagedRedis implements RedisServer {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  private readonly args: () => string[];
  private readonly password: string | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly clients: Redis[] = [];
  private stopped = false;

  constructor(port: number, dir: string, args: () => string[], password?: string) {
    this.port = port;
    this.dir = dir;
    this.args = args;
    this.password = password;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async launch(): Promise<void> {
    const child = spawn('redis-server', this.args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    this.child = child;
    live.add(this);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const until = Date.now() + START_DEADLINE_MS;
    for (let attempt = 0; Date.now() < until; attempt++) {
      if (spawnError !== undefined || child.exitCode !== null) break;
      if (await ping(this.port)) return;
      await delay(Math.min(10 * 2 ** attempt, 200));
    }
    const why = spawnError ? `could not run redis-server: ${spawnError.message}` : child.exitCode !== null ? `exited with ${child.exitCode}` : `no PONG within ${START_DEADLINE_MS}ms`;
    child.kill('SIGKILL');
    live.delete(this);
    throw new Error(`redis-server on port ${this.port}: ${why}\n${stderr}${await this.logTail()}`);
  }

  async client(): Promise<Redis> {
    const c = new Redis({
      host: this.host,
      port: this.port,
      password: this.password,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      commandTimeout: 5000,
    });
    c.on('error', () => {});
    await c.connect();
    this.clients.push(c);
    return c;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.closeClients();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    await this.exited;
    live.delete(this);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
    this.closeClients();
    live.delete(this);
    await rm(this.dir, { recursive: true, force: true });
  }

  killSync(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async logTail(lines = 30): Promise<string> {
    try {
      const text = await readFile(path.join(this.dir, 'redis.log'), 'utf8');
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '(no redis log)';
    }
  }

  private closeClients(): void {
    for (const c of this.clients.splice(0)) c.disconnect();
  }
}
