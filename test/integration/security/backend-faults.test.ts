/**
 * Backend faults (issue 7): a backend that flaps every check interval is damped by rise/fall
 * (few transitions for many flips) and does not flood the logs; a thousand targets whose backend
 * accepts and never answers all time out while DNS answers stay fast. Of 200 queries during the
 * storm, 99% are answered within 20 ms and all within 50 ms (a twentieth of the 1 s probe timeout
 * an answer would wait if it depended on a probe), counting the time the process had the CPU it
 * asked for: on a 2-core host shared with other test files, the kernel now and then leaves the
 * whole process waiting 30-300 ms for a core, which no code of ours can prevent, so the time this
 * thread spent runnable but not running (Linux schedstat) is taken out. Wall-clock latency is
 * held to the correctness bound: 90% under 50 ms, none over 500 ms.
 *
 * What used to stall the event loop for 30-90 ms here, and is gone: a stack trace formatted per
 * timeout (Node formats the stack of any error a stream is destroyed with, and under vitest every
 * stack goes through source maps; probes now reuse pre-made reasons, checks/abort-reason.ts and
 * checks/probe-signal.ts), a health view and plan rebuild per verdict (verdicts are applied once
 * per turn, `batchVerdicts`, as the runtime does), and every round that came due after a stall
 * starting in one timers phase (`launchesPerTurn`). What remains is V8's young-generation GC
 * (5-12 ms pauses with a thousand requests in flight) and the sockets' own connect/close work.
 *
 * The wiring is the runtime's (zone → health store → planned selector → DNS server; scheduler →
 * store), built here so the scheduler can run all thousand probes at once.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import { CheckScheduler, type TransitionEvent } from '../../../checks/scheduler.js';
import { PlannedSelector } from '../../../dns/planned-selector.js';
import { DnsServer } from '../../../dns/server.js';
import { ZoneSnapshot } from '../../../dns/zone-set.js';
import { decodeMessage } from '../../../bench/lib/dns-decode.js';
import { MemoryHealthStore } from '../../../health/memory-store.js';
import { createRootLogger, silentLogger, type Logger } from '../../../lib/logger.js';
import { startHangingBackend, startHttpBackend } from '../../helpers/backends.js';
import { checkTarget } from '../../helpers/check-targets.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { zoneFromText } from '../../helpers/dns-zones.js';

function captureLogs(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
  const raw: string[] = [];
  const logger = createRootLogger('info', { write: (s: string) => void raw.push(s) });
  return { logger, lines: () => raw.map((s) => JSON.parse(s) as { level: number; msg: string }) };
}

/**
 * Milliseconds this thread has spent runnable but waiting for a CPU (Linux schedstat `run_delay`),
 * or undefined where that cannot be read (not Linux, or the test not on the process's main thread).
 */
function runqueueWaitMs(): number | undefined {
  if (!isMainThread) return undefined;
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    const ns = Number(fields[1]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

describe('a flapping backend', () => {
  it('flipping every interval with rise=2 fall=2 makes few transitions and one log line per transition', async () => {
    const backend = await startHttpBackend();
    onTestFinished(() => backend.close());
    const store = new MemoryHealthStore();
    onTestFinished(() => store.close());
    const logs = captureLogs();
    const scheduler = new CheckScheduler({ sink: store, nodeId: 'chk', logger: logs.logger });
    onTestFinished(() => scheduler.stop());
    const intervalMs = 100;
    const target = checkTarget('http', backend, { intervalMs, timeoutMs: 60, rise: 2, fall: 2 });
    scheduler.setTargets([target]);
    const transitions: TransitionEvent[] = [];
    scheduler.on('transition', (t) => transitions.push(t));
    let probes = 0;
    scheduler.on('probe', () => probes++);

    // Healthy first, so the flapping starts from `up`.
    const up = once(scheduler, 'transition', { signal: AbortSignal.timeout(5000) });
    await scheduler.start();
    await up;
    const before = transitions.length;
    const linesBefore = logs.lines().length;

    // Flip half an interval after a probe, every interval: probes see up, down, up, down...
    await once(scheduler, 'probe', { signal: AbortSignal.timeout(5000) });
    await new Promise((resolve) => setTimeout(resolve, intervalMs / 2)); // phase the flips between probes
    let flips = 0;
    let healthy = true;
    const flapper = setInterval(() => {
      healthy = !healthy;
      backend.set({ status: healthy ? 200 : 503 });
      flips++;
    }, intervalMs);
    onTestFinished(() => clearInterval(flapper));
    const probesBefore = probes;
    await expect.poll(() => flips, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(30);
    clearInterval(flapper);

    const during = transitions.slice(before);
    const lines = logs.lines().slice(linesBefore);
    expect(probes - probesBefore).toBeGreaterThanOrEqual(20);
    // Damped: an alternating target never strings two equal results together, so (nearly) never changes state.
    expect(during.length).toBeLessThanOrEqual(Math.floor(flips / 5));
    // One info line per transition, nothing at warn or above, no per-probe noise at info.
    expect(lines.filter((l) => l.msg === 'target state changed')).toHaveLength(during.length);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.length).toBeLessThanOrEqual(during.length);
  });
});

describe('a thousand targets timing out at once', () => {
  it('answers DNS within 50 ms (99% within 20 ms) throughout the storm', async () => {
    const hanging = await startHangingBackend();
    onTestFinished(() => hanging.close());
    // 1000 checks against the one hanging listener, each a member of one of ten pools.
    const lines = ['$ORIGIN example.test.', '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 192.0.2.53', 'static IN A 192.0.2.40'];
    for (let i = 0; i < 1000; i++) lines.push(`;@check c${i} http port=${hanging.port} path=/ interval=1500ms timeout=1s rise=1 fall=1`);
    for (let p = 0; p < 10; p++) {
      lines.push(`;@pool p${p} answers=4 all-down=serve-all`);
      for (let m = 0; m < 100; m++) lines.push(`p${p} 5 IN AAAA 2001:db8::${p}:${m} ;@ check=c${p * 100 + m} probe=127.0.0.1`);
    }
    const zone = zoneFromText(lines.join('\n') + '\n');
    expect(zone.targets).toHaveLength(1000);

    const store = new MemoryHealthStore({ batchVerdicts: true });
    onTestFinished(() => store.close());
    const selector = new PlannedSelector({ health: store, buildPlan, logger: silentLogger() });
    onTestFinished(() => selector.close());
    selector.setPools(zone.pools);
    const zones = new ZoneSnapshot([zone]);
    const server = new DnsServer({ zones: () => zones, selector, logger: silentLogger() });
    onTestFinished(() => server.close());
    await server.start([{ host: '127.0.0.1', port: 0 }]);
    const port = server.addresses()[0]?.port ?? 0;
    const scheduler = new CheckScheduler({ sink: store, nodeId: 'chk', logger: silentLogger(), maxConcurrent: 1000 });
    onTestFinished(() => scheduler.stop());
    scheduler.setTargets(zone.targets);
    let timeouts = 0;
    scheduler.on('probe', (p) => {
      if (!p.result.ok) timeouts++;
    });

    const socket = dgram.createSocket('udp4');
    onTestFinished(() => {
      socket.close();
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    /** `ms`: wall-clock latency; `ownMs`: the same less the time the host kept this thread waiting for a CPU. */
    const ask = async (id: number, name: string, type: number): Promise<{ ms: number; ownMs: number; response: Buffer }> => {
      const waitedBefore = runqueueWaitMs();
      const started = performance.now();
      const answered = new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`query ${id} unanswered within 2 s`)), 2000);
        const onMessage = (m: Buffer): void => {
          if (m.readUInt16BE(0) !== id) return;
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve(m);
        };
        socket.on('message', onMessage);
      });
      socket.send(buildQuery({ id, name, type }), port, '127.0.0.1');
      const response = await answered;
      const ms = performance.now() - started;
      const waitedAfter = runqueueWaitMs();
      const stolen = waitedBefore === undefined || waitedAfter === undefined ? 0 : waitedAfter - waitedBefore;
      return { ms, ownMs: Math.max(0, ms - stolen), response };
    };

    await scheduler.start();
    // First probes start within the first interval and time out a second later: query through it.
    await expect.poll(() => hanging.accepted(), { timeout: 5000 }).toBeGreaterThanOrEqual(900);
    const loopDelay = monitorEventLoopDelay({ resolution: 2 });
    loopDelay.enable();
    onTestFinished(() => {
      loopDelay.disable();
    });
    const latencies: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < 200; i++) {
      const { ms, ownMs, response } = await ask(i + 1, i % 2 ? `p${i % 10}.example.test.` : 'static.example.test.', i % 2 ? 28 : 1);
      const decoded = decodeMessage(response);
      expect(decoded.ok && decoded.message.rcode).toBe(0);
      expect(decoded.ok && decoded.message.answer.length).toBeGreaterThan(0);
      latencies.push(ms);
      own.push(ownMs);
      await new Promise((resolve) => setTimeout(resolve, 10)); // spread the queries over the storm
    }
    loopDelay.disable();
    // The storm really happened while we asked.
    expect(timeouts).toBeGreaterThanOrEqual(900);
    const quantile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))] ?? Infinity;
    if (process.env.RONDO_STORM_VERBOSE) {
      const ms = (values: number[]) => `p50 ${quantile(values, 0.5).toFixed(1)} p90 ${quantile(values, 0.9).toFixed(1)} p99 ${quantile(values, 0.99).toFixed(1)} max ${quantile(values, 1).toFixed(1)}`;
      console.log(`storm latency ms: ${ms(latencies)}; own ${ms(own)}; loop delay ms: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} max ${(loopDelay.max / 1e6).toFixed(1)}`);
    }
    // What the process did to the answers (host scheduling delays taken out): 99% within 20 ms, all within 50 ms.
    expect(quantile(own, 0.99)).toBeLessThan(20);
    expect(quantile(own, 1)).toBeLessThan(50);
    // As the client saw it, on a host that may be busy with other work: never anywhere near a probe timeout.
    expect(quantile(latencies, 0.9)).toBeLessThan(50);
    expect(quantile(latencies, 1)).toBeLessThan(500);
  });
});
