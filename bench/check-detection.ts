/**
 * How long a stopped backend keeps being answered: the time from closing a TCP listener to the
 * scheduler's `down` transition, with interval=1s, timeout=500ms, fall=2 (rise=2).
 *
 * Expected: the stop lands at a random phase of the probe cycle, so the first failing probe comes
 * U(0, interval) later and the `fall`-th one (fall - 1) intervals after that: between 1 s and 2 s,
 * about 1.5 s on average. A refused connect fails at once, so the timeout does not add here.
 *
 * Run: npm run build && node dist/bench/check-detection.js [trials]
 * Loopback only; bounded (trials × about 4 s).
 */
import { once } from 'node:events';
import net from 'node:net';
import { CheckScheduler, type TransitionEvent } from '../checks/scheduler.js';
import { MemoryHealthStore } from '../health/memory-store.js';
import { silentLogger } from '../lib/logger.js';
import type { CheckSpec, Target } from '../model/zone.js';

const TRIALS = Number(process.argv[2] ?? 10);
const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
const FALL = 2;
const RISE = 2;

async function listen(port: number): Promise<{ server: net.Server; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => socket.end());
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { server, sockets };
}

async function close({ server, sockets }: { server: net.Server; sockets: Set<net.Socket> }): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  for (const socket of sockets) socket.destroy();
  await closed;
}

function spec(): CheckSpec {
  return {
    name: 'bench',
    kind: 'tcp',
    port: undefined,
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    rise: RISE,
    fall: FALL,
    jitterMs: 0,
    path: '/',
    host: undefined,
    method: 'GET',
    expect: [[200, 399]],
    body: undefined,
    bodyRegex: undefined,
    loadHeader: undefined,
    loadJson: undefined,
    insecure: false,
    qname: undefined,
    qtype: 'SOA',
    rcode: 'NOERROR',
    source: { file: 'bench', line: 1, column: 1 },
  };
}

function waitFor(scheduler: CheckScheduler, to: 'up' | 'down'): Promise<TransitionEvent> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      scheduler.off('transition', onTransition);
      reject(new Error(`no transition to ${to} within 10 s`));
    }, 10_000);
    const onTransition = (event: TransitionEvent) => {
      if (event.to !== to) return;
      clearTimeout(deadline);
      scheduler.off('transition', onTransition);
      resolve(event);
    };
    scheduler.on('transition', onTransition);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

async function main(): Promise<void> {
  let backend = await listen(0);
  const address = backend.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const port = address.port;
  const target: Target = { id: `bench./bench/127.0.0.1/${port}`, zone: 'bench.', check: spec(), address: '127.0.0.1', port };
  const store = new MemoryHealthStore();
  const scheduler = new CheckScheduler({ sink: store, nodeId: 'bench', logger: silentLogger() });
  scheduler.setTargets([target]);

  const samples: number[] = [];
  try {
    let up = waitFor(scheduler, 'up');
    await scheduler.start();
    for (let trial = 1; trial <= TRIALS; trial += 1) {
      await up;
      // Stop at a random phase of the probe cycle.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * INTERVAL_MS));
      const down = waitFor(scheduler, 'down');
      await close(backend);
      const stoppedAt = performance.now();
      await down;
      const ms = performance.now() - stoppedAt;
      samples.push(ms);
      console.log(`trial ${trial}: down after ${ms.toFixed(0)} ms`);
      if (trial === TRIALS) break;
      up = waitFor(scheduler, 'up');
      backend = await listen(port);
    }
  } finally {
    await scheduler.stop();
    store.close();
    if (backend.server.listening) await close(backend);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  console.log(
    `stop -> down, interval=${INTERVAL_MS}ms timeout=${TIMEOUT_MS}ms fall=${FALL}, ${samples.length} trials: ` +
      `median ${percentile(sorted, 0.5).toFixed(0)} ms, worst ${(sorted.at(-1) ?? NaN).toFixed(0)} ms, best ${(sorted[0] ?? NaN).toFixed(0)} ms`,
  );
}

await main();
