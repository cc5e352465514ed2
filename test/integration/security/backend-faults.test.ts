/**
 * Backend faults (issue 7): a backend that flaps every check interval is damped by rise/fall
 * (few transitions for many flips) and does not flood the logs; a thousand targets whose backend
 * accepts and never answers all time out together while DNS answers stay fast: of 200 queries
 * during the storm, 90% under 50 ms and the slowest under 500 ms, half the 1 s probe timeout an
 * answer would wait if it depended on a probe (correctness bounds, not a benchmark). The slowest
 * is not held to 50 ms: with a thousand probes in the same process, garbage collection, socket
 * teardown and per-verdict health-view rebuilds stall the event loop for 30-90 ms now and then
 * (measured on a loaded 2-core host); a dedicated `rondo check` process keeps that away from the
 * DNS server.
 *
 * The wiring is the runtime's (zone → health store → planned selector → DNS server; scheduler →
 * store), built here so the scheduler can run all thousand probes at once.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import { CheckScheduler, type TransitionEvent } from '../../../checks/scheduler.js';
import { PlannedSelector } from '../../../dns/planned-selector.js';
import { DnsServer } from '../../../dns/server.js';
import { ZoneSnapshot } from '../../../dns/zone-set.js';
import { decodeMessage } from '../../../dns/wire/decode.js';
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
  it('answers DNS within 50 ms throughout the storm', async () => {
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

    const store = new MemoryHealthStore();
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
    const ask = async (id: number, name: string, type: number): Promise<{ ms: number; response: Buffer }> => {
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
      return { ms: performance.now() - started, response };
    };

    await scheduler.start();
    // First probes start within the first interval and time out a second later: query through it.
    await expect.poll(() => hanging.accepted(), { timeout: 5000 }).toBeGreaterThanOrEqual(900);
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const { ms, response } = await ask(i + 1, i % 2 ? `p${i % 10}.example.test.` : 'static.example.test.', i % 2 ? 28 : 1);
      const decoded = decodeMessage(response);
      expect(decoded.ok && decoded.message.rcode).toBe(0);
      expect(decoded.ok && decoded.message.answer.length).toBeGreaterThan(0);
      latencies.push(ms);
      await new Promise((resolve) => setTimeout(resolve, 10)); // spread the queries over the storm
    }
    // The storm really happened while we asked.
    expect(timeouts).toBeGreaterThanOrEqual(900);
    latencies.sort((a, b) => a - b);
    const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? Infinity;
    if (process.env.RONDO_STORM_VERBOSE) console.log(`storm latency ms: p50 ${at(0.5).toFixed(1)} p90 ${at(0.9).toFixed(1)} p99 ${at(0.99).toFixed(1)} max ${at(1).toFixed(1)}`);
    expect(at(0.9)).toBeLessThan(50);
    expect(at(1)).toBeLessThan(500);
  });
});
