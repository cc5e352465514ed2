/**
 * Redis on a slow network under `rondo serve` and `rondo check` (issue 7: "Redis: killed,
 * restarted, paused (SIGSTOP), network-slow — answers never stop, state converges afterwards").
 * Killed/restarted and paused are covered by test/integration/cluster/redis-outage.test.ts and
 * redis-pause.test.ts; this one puts a TCP proxy between both processes and a real redis-server
 * that delays every byte, in order, in both directions:
 *
 *   1. 300 ms each way and 32 KiB/s: slow, but within the store's 2 s command timeout;
 *   2. 1.5 s each way: every command times out (3 s round trip) and every verdict arrives stale.
 *
 * Throughout, a query every 20 ms is answered (never SERVFAIL, never late: an answer that waited
 * on Redis would take a round trip, 600 ms or 3 s), and the store does not pile up commands: the
 * bytes held in the proxy stay bounded. Then a backend goes down and the delay is removed: both
 * processes converge on the truth (the checker's verdict in Redis, the server's answers).
 *
 * Both backends are up during the slow phases: this file is about answers never waiting and
 * commands not piling up. That a member already down stays out while Redis does not answer (the
 * server judges verdicts as of the last time Redis answered, so they do not lapse to `unknown`)
 * is shown with a hung Redis in redis-pause.test.ts.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { stopAllRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';
import {
  checkLine,
  logTails,
  queryA,
  startBackends,
  startChecker,
  startDnsNode,
  waitForAnswers,
  waitForStoredVerdict,
  webTarget,
  zoneDir,
  ZONE_HEAD,
  type Backends,
  type DnsNode,
  type ZoneDir,
} from '../cluster/fixture.js';

const [B1, B2] = ['127.0.0.51', '127.0.0.52'] as const;
const NAME = 'www.example.test';

interface Shaping {
  /** Added to every chunk, each way. */
  readonly delayMs: number;
  /** Bytes per second each way, per connection; 0: unlimited. */
  readonly bytesPerSecond: number;
}

/**
 * A TCP proxy that delays and throttles what crosses it, keeping the order of the bytes: a chunk
 * leaves `delayMs` after it arrived, never before the chunk ahead of it (and, throttled, not
 * before the link has had time to carry the ones ahead). Changing the shaping affects new chunks.
 */
class SlowProxy {
  shaping: Shaping = { delayMs: 0, bytesPerSecond: 0 };
  /** Bytes received and not yet passed on, now and at most (since the last resetPeak()). */
  held = 0;
  peakHeld = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly upstream: { host: string; port: number }) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  resetPeak(): void {
    this.peakHeld = this.held;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const server = net.connect(this.upstream);
    for (const s of [client, server]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        server.destroy();
      });
    }
    this.pipe(client, server);
    this.pipe(server, client);
  }

  private pipe(from: net.Socket, to: net.Socket): void {
    const queue: { chunk: Buffer; dueAt: number }[] = [];
    let lastDueAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const pump = (): void => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.dueAt <= now) {
        const { chunk } = queue.shift()!;
        this.held -= chunk.length;
        if (!to.destroyed) to.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0]!.dueAt - now));
    };
    from.on('data', (chunk: Buffer) => {
      const { delayMs, bytesPerSecond } = this.shaping;
      const now = performance.now();
      const carried = bytesPerSecond > 0 ? (chunk.length / bytesPerSecond) * 1000 : 0;
      lastDueAt = Math.max(now + delayMs, lastDueAt + carried);
      queue.push({ chunk, dueAt: lastDueAt });
      this.held += chunk.length;
      this.peakHeld = Math.max(this.peakHeld, this.held);
      timer ??= setTimeout(pump, Math.max(1, lastDueAt - now));
    });
    from.on('close', () => {
      clearTimeout(timer);
      for (const { chunk } of queue.splice(0)) this.held -= chunk.length;
    });
  }
}

let redis: RedisServer;
let proxy: SlowProxy;
let backends: Backends;
let zones: ZoneDir;
let server: DnsNode;
let checker: RondoProcess;

const everyone = (): RondoProcess[] => [server.process, checker];

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = new SlowProxy({ host: redis.host, port: redis.port });
  const proxyPort = await proxy.listen();
  backends = await startBackends([B1, B2]);
  zones = await zoneDir();
  await zones.write('example.test.zone', [ZONE_HEAD, checkLine(backends.port), ';@pool www check=web', `www 5 IN A ${B1}`, `www 5 IN A ${B2}`].join('\n'));
  const redisArgs = ['--redis', `redis://127.0.0.1:${proxyPort}`];
  [server, checker] = await Promise.all([startDnsNode('dns-slow', zones.dir, redisArgs), startChecker('chk-slow', zones.dir, redisArgs)]);
  await waitForAnswers([server], NAME, [B1, B2], everyone());
}, 30_000);

afterAll(async () => {
  await stopAllRondo();
  await proxy?.close();
  await backends?.close();
  await redis?.stop();
  await zones?.remove();
});

interface Steady {
  readonly rounds: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

/**
 * A query every 20 ms for at least `minMs`, and on until `done()` holds (at most `maxMs`): each
 * must be answered with exactly `expected`. Returns the latencies and whether `done()` came true.
 */
async function steadyAnswers(expected: readonly string[], minMs: number, maxMs = minMs, done: () => boolean = () => true): Promise<Steady & { done: boolean }> {
  const want = [...expected].join(',');
  const latencies: number[] = [];
  const started = performance.now();
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= maxMs || (elapsed >= minMs && done())) break;
    const sent = performance.now();
    const answer = await queryA(server.port, NAME, 1000);
    latencies.push(performance.now() - sent);
    if (answer.rcode !== 0 || answer.addresses.join(',') !== want) {
      throw new Error(`wanted [${want}] steadily, got rcode ${answer.rcode} [${answer.addresses.join(', ')}] after ${latencies.length} queries\n${logTails(everyone())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  latencies.sort((a, b) => a - b);
  return { rounds: latencies.length, medianMs: latencies[Math.floor(latencies.length / 2)] ?? 0, maxMs: latencies.at(-1) ?? 0, done: done() };
}

describe('Redis on a slow network', () => {
  it('answers every 20 ms without waiting on Redis through 300 ms and 1.5 s of latency, then converges', async () => {
    // 1. Slow but within the command timeout; throttled too.
    proxy.shaping = { delayMs: 300, bytesPerSecond: 32 * 1024 };
    proxy.resetPeak();
    const slow = await steadyAnswers([B1, B2], 2500);
    expect(slow.rounds).toBeGreaterThan(40);
    // A query that waited on Redis would take at least a round trip (600 ms).
    expect(slow.maxMs).toBeLessThan(300);

    // 2. Slower than the command timeout (2 s): every command times out, every verdict arrives stale.
    proxy.shaping = { delayMs: 1500, bytesPerSecond: 0 };
    // On until both processes have seen a command time out (so the slow regime was really reached).
    const timedOut = (p: RondoProcess): boolean => p.logRecords().some((r) => JSON.stringify(r.err ?? '').includes('timed out'));
    const slower = await steadyAnswers([B1, B2], 3000, 8000, () => timedOut(server.process) && timedOut(checker));
    expect(slower.done, `no command timed out in both processes\n${logTails(everyone())}`).toBe(true);
    expect(slower.rounds).toBeGreaterThan(60);
    expect(slower.maxMs).toBeLessThan(300);
    // Commands are not piled up: what waits in the proxy is a few small batches, not a growing queue.
    expect(proxy.peakHeld).toBeLessThan(64 * 1024);

    // 3. The truth changes and the network recovers: both processes converge on it.
    await backends.stop(B2);
    proxy.shaping = { delayMs: 0, bytesPerSecond: 0 };
    const direct = await redis.client();
    await waitForStoredVerdict(direct, webTarget(B2, backends.port), 'chk-slow', 'down', 10_000);
    await waitForAnswers([server], NAME, [B1], everyone(), 10_000);
    await backends.start(B2);
    await waitForStoredVerdict(direct, webTarget(B2, backends.port), 'chk-slow', 'up', 10_000);
    await waitForAnswers([server], NAME, [B1, B2], everyone(), 10_000);
    // Neither process gave up on Redis or died meanwhile.
    expect(server.process.running && checker.running).toBe(true);
    console.info(`redis-slow: 300 ms: ${slow.rounds} queries, median ${slow.medianMs.toFixed(1)} ms, max ${slow.maxMs.toFixed(1)} ms; 1.5 s: ${slower.rounds} queries, median ${slower.medianMs.toFixed(1)} ms, max ${slower.maxMs.toFixed(1)} ms; proxy held at most ${proxy.peakHeld} bytes`);
  }, 40_000);
});
