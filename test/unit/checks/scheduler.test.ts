import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckScheduler, type TransitionEvent } from '../../../checks/scheduler.js';
import type { Probe, ProbeResult } from '../../../checks/types.js';
import type { Verdict } from '../../../model/health.js';
import { CheckError } from '../../../lib/errors.js';
import { createRootLogger, silentLogger, type Logger } from '../../../lib/logger.js';
import { seededRandom } from '../../../lib/random.js';
import { targetList, type CheckSpec, type Target } from '../../../model/zone.js';
import { checkTarget } from '../../helpers/check-targets.js';

interface Call {
  readonly target: Target;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  resolve(result: ProbeResult): void;
}

/** A probe the test drives: `auto` answers at once, otherwise each call waits for resolve(). */
class FakeProbe implements Probe {
  readonly calls: Call[] = [];
  running = 0;
  maxRunning = 0;
  auto: ((target: Target) => ProbeResult) | undefined;
  preflight?: (signal: AbortSignal) => Promise<void>;

  run(target: Target, signal: AbortSignal): Promise<ProbeResult> {
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise<ProbeResult>((resolve) => {
      const finish = (result: ProbeResult) => {
        this.running -= 1;
        resolve(result);
      };
      this.calls.push({ target, signal, startedAt: Date.now(), resolve: finish });
      if (this.auto) finish(this.auto(target));
    });
  }

  callsOf(targetId: string): Call[] {
    return this.calls.filter((c) => c.target.id === targetId);
  }
}

function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createRootLogger('debug', stream), lines };
}

function target(n: number, spec: Partial<CheckSpec> = {}): Target {
  return checkTarget('tcp', { address: `192.0.2.${n}`, port: 80 }, spec);
}

const OK: ProbeResult = { ok: true, latencyMs: 5 };
const REFUSED: ProbeResult = { ok: false, latencyMs: 1, reason: 'ECONNREFUSED' };

let probe: FakeProbe;
let verdicts: Verdict[];
let transitions: TransitionEvent[];
let scheduler: CheckScheduler | undefined;

function makeScheduler(options: { maxConcurrent?: number; logger?: Logger } = {}): CheckScheduler {
  const s = new CheckScheduler({
    sink: { publish: (v) => verdicts.push(v) },
    nodeId: 'node-a',
    logger: options.logger ?? silentLogger(),
    random: seededRandom(42),
    probes: () => probe,
    ...(options.maxConcurrent === undefined ? {} : { maxConcurrent: options.maxConcurrent }),
  });
  s.on('transition', (t) => transitions.push(t));
  scheduler = s;
  return s;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  probe = new FakeProbe();
  verdicts = [];
  transitions = [];
});

afterEach(async () => {
  if (scheduler) {
    const stopping = scheduler.stop();
    await vi.runOnlyPendingTimersAsync();
    await stopping;
    scheduler = undefined;
  }
  vi.useRealTimers();
});

describe('CheckScheduler timing', () => {
  it('spreads the first probes of 1,000 targets over the first interval', async () => {
    probe.auto = () => OK;
    const s = makeScheduler({ maxConcurrent: 2000 });
    s.setTargets(Array.from({ length: 1000 }, (_, i) => checkTarget('tcp', { address: '192.0.2.1', port: 1000 + i })));
    await s.start();
    await vi.advanceTimersByTimeAsync(999);
    const offsets = probe.calls.map((c) => c.startedAt - 1_000_000);
    expect(offsets).toHaveLength(1000);
    const buckets = Array.from({ length: 10 }, (_, b) => offsets.filter((o) => Math.floor(o / 100) === b).length);
    // Uniform would be 100 per 100 ms bucket; allow generous noise but no pile-up.
    for (const count of buckets) expect(count).toBeGreaterThan(60);
    for (const count of buckets) expect(count).toBeLessThan(140);
  });

  it('probes each target every interval after its first probe', async () => {
    probe.auto = () => OK;
    const s = makeScheduler();
    s.setTargets([target(1, { intervalMs: 1000 })]);
    await s.start();
    await vi.advanceTimersByTimeAsync(5000);
    const times = probe.calls.map((c) => c.startedAt);
    expect(times.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBe(1000);
  });

  it('keeps jittered intervals within interval ± jitter', async () => {
    probe.auto = () => OK;
    const s = makeScheduler();
    s.setTargets([target(1, { intervalMs: 1000, jitterMs: 200 })]);
    await s.start();
    await vi.advanceTimersByTimeAsync(20_000);
    const gaps = probe.calls.slice(1).map((c, i) => c.startedAt - probe.calls[i]!.startedAt);
    expect(gaps.length).toBeGreaterThan(15);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1200);
    expect(new Set(gaps).size).toBeGreaterThan(3);
  });
});

describe('CheckScheduler overlap and concurrency', () => {
  it('never runs two probes of one target at once: skips rounds, warns once per streak, and times out the probe', async () => {
    const { logger, lines } = captureLogger();
    const s = makeScheduler({ logger });
    const skips: string[] = [];
    s.on('skip', ({ targetId }) => skips.push(targetId));
    const t = target(1, { intervalMs: 100, timeoutMs: 350, fall: 1 });
    s.setTargets([t]);
    await s.start();
    await vi.advanceTimersByTimeAsync(100); // first probe starts within [0, 100)
    expect(probe.calls).toHaveLength(1);
    const firstAt = probe.calls[0]!.startedAt;
    // The probe ignores its signal; the scheduler's deadline still ends it at +350 ms.
    await vi.advanceTimersByTimeAsync(firstAt + 349 - Date.now());
    expect(probe.calls).toHaveLength(1);
    expect(skips.length).toBe(3);
    expect(verdicts).toHaveLength(0);
    // The deadline's abort runs on the next turn (the scheduler paces them); a fake immediate is 1 ms.
    await vi.advanceTimersByTimeAsync(2);
    expect(probe.calls[0]!.signal.aborted).toBe(true);
    expect(verdicts).toEqual([expect.objectContaining({ state: 'down', reason: 'timeout after 350ms' })]);
    const warns = lines.filter((l) => l.msg === 'check round skipped: previous probe still running');
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ level: 40, target: t.id });

    // The next round runs a new probe; a second streak of overruns warns once more.
    await vi.advanceTimersByTimeAsync(100);
    expect(probe.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(400);
    expect(lines.filter((l) => l.msg === 'check round skipped: previous probe still running')).toHaveLength(2);
  });

  it('runs at most maxConcurrent probes and queues the rest in order', async () => {
    const s = makeScheduler({ maxConcurrent: 3 });
    const targets = Array.from({ length: 10 }, (_, i) => target(i + 1, { intervalMs: 1000, timeoutMs: 900 }));
    s.setTargets(targets);
    await s.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(probe.calls).toHaveLength(3);
    expect(s.activeProbes).toBe(3);
    // Each answer frees a slot for the next queued target.
    for (let i = 0; i < 7; i += 1) {
      probe.calls[i]!.resolve(OK);
      await vi.advanceTimersByTimeAsync(0);
      expect(probe.calls).toHaveLength(4 + i);
    }
    for (const call of probe.calls.slice(7)) call.resolve(OK);
    await vi.advanceTimersByTimeAsync(0);
    expect(probe.maxRunning).toBe(3);
    expect(new Set(probe.calls.map((c) => c.target.id)).size).toBe(10);
    expect(verdicts).toHaveLength(10);
  });
});

describe('CheckScheduler launches per turn', () => {
  /** Two launches per turn; timers fake (rounds and deadlines come due together), setImmediate real (the turns). */
  function turnScheduler(): CheckScheduler {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const s = new CheckScheduler({
      sink: { publish: (v) => verdicts.push(v) },
      nodeId: 'node-a',
      logger: silentLogger(),
      random: { next: () => 0 },
      probes: () => probe,
      launchesPerTurn: 2,
    });
    scheduler = s;
    return s;
  }

  it('starts at most launchesPerTurn probes per event-loop turn, the rest on the next turns, in order', async () => {
    const s = turnScheduler();
    const targets = Array.from({ length: 5 }, (_, i) => target(i + 1, { intervalMs: 1000, timeoutMs: 900 }));
    s.setTargets(targets);
    await s.start();
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    vi.advanceTimersByTime(1);
    expect(probe.calls).toHaveLength(2);
    await nextTurn();
    expect(probe.calls).toHaveLength(4);
    await nextTurn();
    expect(probe.calls.map((c) => c.target.id)).toEqual(targets.map((t) => t.id));
    for (const call of probe.calls) call.resolve(OK);
    await nextTurn();
    expect(verdicts).toHaveLength(5);
  });

  it('aborts at most launchesPerTurn timed-out probes per turn, the rest on the next turns', async () => {
    const s = turnScheduler();
    s.setTargets(Array.from({ length: 5 }, (_, i) => target(i + 1, { intervalMs: 1000, timeoutMs: 300 })));
    await s.start();
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    vi.advanceTimersByTime(1);
    await nextTurn();
    await nextTurn();
    // Launched over three turns of the same fake millisecond: all five deadlines fall in one timers
    // phase, and the probes ignore their signal.
    expect(probe.calls).toHaveLength(5);
    vi.advanceTimersByTime(300);
    const aborted = () => probe.calls.filter((c) => c.signal.aborted).length;
    expect(aborted()).toBe(0);
    await nextTurn();
    expect(aborted()).toBe(2);
    await nextTurn();
    expect(aborted()).toBe(4);
    await nextTurn();
    expect(aborted()).toBe(5);
  });
});

describe('CheckScheduler verdicts and transitions', () => {
  it('publishes a verdict after every probe with the smoothed latency and a ttl of 3 intervals + timeout', async () => {
    probe.auto = () => OK;
    const s = makeScheduler();
    const t = target(1, { intervalMs: 2000, timeoutMs: 500, rise: 2 });
    s.setTargets([t]);
    await s.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toEqual({
      targetId: t.id,
      checker: 'node-a',
      state: 'unknown',
      latencyMs: 5,
      load: undefined,
      reason: 'ok',
      at: probe.calls[0]!.startedAt,
      ttlMs: 6500,
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(verdicts.map((v) => v.state)).toEqual(['unknown', 'up']);
  });

  it('logs one info line per transition even when a target flaps', async () => {
    const { logger, lines } = captureLogger();
    let n = 0;
    probe.auto = () => (n++ % 2 === 0 ? OK : REFUSED);
    const s = makeScheduler({ logger });
    s.setTargets([target(1, { intervalMs: 100, rise: 1, fall: 1 })]);
    await s.start();
    await vi.advanceTimersByTimeAsync(1000);
    const changes = lines.filter((l) => l.msg === 'target state changed');
    expect(transitions.length).toBeGreaterThanOrEqual(9);
    expect(changes).toHaveLength(transitions.length);
    expect(lines.filter((l) => l.level === 30 && l.msg !== 'target state changed' && l.msg !== 'checks started')).toHaveLength(0);
    expect(changes[1]).toMatchObject({ from: 'up', to: 'down', reason: 'ECONNREFUSED' });
    expect(lines.filter((l) => l.msg === 'probe finished' && l.level === 20).length).toBe(probe.calls.length);
  });
});

describe('CheckScheduler setTargets', () => {
  it('keeps the state of kept targets, starts new ones, and stops removed ones (dropping their in-flight result)', async () => {
    probe.auto = () => OK;
    const s = makeScheduler();
    const a = target(1, { rise: 1 });
    const b = target(2, { rise: 1 });
    s.setTargets([a, b]);
    await s.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.trackOf(a.id)?.state).toBe('up');
    expect(s.trackOf(b.id)?.state).toBe('up');

    // Let the next probes hang, then remove b while its probe is in flight.
    probe.auto = undefined;
    await vi.advanceTimersByTimeAsync(1000);
    const inFlightB = probe.callsOf(b.id).at(-1)!;
    const c = target(3, { rise: 1 });
    const aReloaded = { ...a, check: { ...a.check, fall: 5 } };
    s.setTargets([aReloaded, c]);
    expect(inFlightB.signal.aborted).toBe(true);
    expect(s.trackOf(a.id)?.state).toBe('up');
    expect(s.trackOf(b.id)).toBeUndefined();
    expect(s.trackOf(c.id)?.state).toBe('unknown');
    const verdictsBefore = verdicts.length;
    inFlightB.resolve(OK);
    for (const call of probe.calls) call.resolve(OK);
    probe.auto = () => REFUSED;
    await vi.advanceTimersByTimeAsync(0);
    expect(verdicts.slice(verdictsBefore).some((v) => v.targetId === b.id)).toBe(false);

    const bCalls = probe.callsOf(b.id).length;
    await vi.advanceTimersByTimeAsync(3000);
    expect(probe.callsOf(b.id)).toHaveLength(bCalls);
    expect(probe.callsOf(c.id).length).toBeGreaterThan(0);
    // a keeps its state and uses the reloaded spec: 3 failures are not enough with fall=5.
    expect(probe.callsOf(a.id).length).toBeGreaterThanOrEqual(5);
    expect(s.trackOf(a.id)).toMatchObject({ state: 'up', failures: 3 });
    expect(s.trackOf(c.id)?.state).toBe('down');
  });
});

describe('CheckScheduler sync in steps (large zones)', () => {
  it('keeps what a sync is told over several steps, drops the rest at finish, and a newer sync supersedes an unfinished one', async () => {
    probe.auto = () => OK;
    const s = makeScheduler();
    const all = Array.from({ length: 10 }, (_, i) => target(i + 1, { rise: 1 }));
    s.setTargets(all.slice(0, 6));
    await s.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.trackOf(all[0]!.id)?.state).toBe('up');

    // Told in two steps: 0-2 kept (state and timers), 6-7 added; 3-5 stay until finish().
    const first = s.startSync();
    const source = targetList(all);
    for (const i of [0, 1, 2]) first.keep(all[i]!.id, source, i);
    await vi.advanceTimersByTimeAsync(0);
    for (const i of [6, 7]) first.keep(all[i]!.id, source, i);
    expect(s.targetCount).toBe(8);
    expect(s.trackOf(all[3]!.id)?.state).toBe('up');

    // A newer sync before the first finishes: its finish() alone decides (0, 8 and 9 wanted).
    const second = s.startSync();
    for (const i of [0, 8, 9]) second.keep(all[i]!.id, source, i);
    second.finish();
    expect(all.filter((t) => s.trackOf(t.id) !== undefined).map((t) => t.address)).toEqual(['192.0.2.1', '192.0.2.9', '192.0.2.10']);
    expect(s.trackOf(all[0]!.id)?.state).toBe('up');
    const removedCalls = probe.callsOf(all[1]!.id).length;
    await vi.advanceTimersByTimeAsync(3000);
    expect(probe.callsOf(all[1]!.id)).toHaveLength(removedCalls);
    expect(s.trackOf(all[9]!.id)?.state).toBe('up');
  });
});

describe('CheckScheduler start and stop', () => {
  it('stop() aborts in-flight probes, waits for them, publishes nothing more and clears its timers', async () => {
    const s = makeScheduler();
    s.setTargets([target(1, { intervalMs: 1000, timeoutMs: 5000 }), target(2, { intervalMs: 1000, timeoutMs: 5000 })]);
    await s.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(probe.calls).toHaveLength(2);
    expect(probe.calls.some((c) => c.signal.aborted)).toBe(false);
    let stopped = false;
    const stopping = s.stop().then(() => {
      stopped = true;
    });
    expect(probe.calls.every((c) => c.signal.aborted)).toBe(true);
    await stopping;
    expect(stopped).toBe(true);
    for (const call of probe.calls) call.resolve(OK);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probe.calls).toHaveLength(2);
    expect(verdicts).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses to start when a kind in use fails its preflight', async () => {
    probe.preflight = () => Promise.reject(new CheckError('CHECK_ICMP_UNAVAILABLE', 'no ping'));
    const s = makeScheduler();
    s.setTargets([target(1)]);
    await expect(s.start()).rejects.toMatchObject({ code: 'CHECK_ICMP_UNAVAILABLE' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe.calls).toHaveLength(0);
  });

  it('wraps an unexpected preflight failure in CHECK_PREFLIGHT_FAILED', async () => {
    probe.preflight = () => Promise.reject(new Error('boom'));
    const s = makeScheduler();
    s.setTargets([target(1)]);
    await expect(s.start()).rejects.toMatchObject({ code: 'CHECK_PREFLIGHT_FAILED', message: 'tcp checks cannot run here: boom' });
  });

  it('turns a probe that throws into a failed result', async () => {
    probe.run = () => Promise.reject(new Error('bug'));
    const s = makeScheduler();
    s.setTargets([target(1, { fall: 1 })]);
    await s.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(verdicts[0]).toMatchObject({ state: 'down', reason: 'probe failed: bug' });
  });
});
