import { EventEmitter, setMaxListeners } from 'node:events';
import type { Verdict, VerdictSink, TargetState } from '../model/health.js';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import { CheckError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Random } from '../lib/random.js';
import { systemRandom } from '../lib/random.js';
import { targetList, type CheckKind, type CheckSpec, type Target, type TargetSource } from '../model/zone.js';
import { abortReason, elapsedMs, errorReason } from './abort-reason.js';
import { runSliced, SLICE_BUDGET_MS, type SlicedRun } from '../lib/sliced.js';
import { DueQueue, type Due } from '../lib/due-queue.js';
import { advance, INITIAL_TRACK, type HealthTrack } from './hysteresis.js';
import { probeSignal, type ProbeSignal } from './probe-signal.js';
import { probeFor, type ProbeRegistry } from './probes.js';
import type { ProbeResult } from './types.js';

/** How long a kind's preflight (e.g. one `ping` of 127.0.0.1) may take. */
const PREFLIGHT_TIMEOUT_MS = 5_000;

export interface CheckSchedulerOptions {
  readonly sink: VerdictSink;
  /** This checker's id; it signs every verdict. */
  readonly nodeId: string;
  readonly logger: Logger;
  /** Probes in flight at once, across all targets; more wait in a FIFO queue. Default 64. */
  readonly maxConcurrent?: number;
  /**
   * Probes started per event-loop turn at most; more wait in the queue for the next turn, so that
   * I/O (DNS queries in the same process) is read in between. Default 16.
   */
  readonly launchesPerTurn?: number;
  /** Jitter source. */
  readonly random?: Random;
  /** Stamps verdicts (`at`). */
  readonly clock?: Clock;
  /** Which probe runs each kind; tests swap in fakes. */
  readonly probes?: ProbeRegistry;
}

export interface TransitionEvent {
  readonly target: string;
  readonly from: TargetState;
  readonly to: TargetState;
  readonly reason: string;
  readonly at: number;
}

export interface ProbeEvent {
  readonly targetId: string;
  readonly result: ProbeResult;
}

export interface SchedulerEvents {
  verdict: [Verdict];
  transition: [TransitionEvent];
  probe: [ProbeEvent];
  /** A round was skipped because the target's previous probe had not finished. */
  skip: [{ readonly targetId: string }];
}

/**
 * A target being checked. Its Target is not kept: the entry points at its row in the zone that
 * serves it (made into a Target for each probe), and its rounds are due in one DueQueue instead
 * of a timer each, so a million targets cost a few hundred MB less.
 */
interface Entry extends Due {
  readonly id: string;
  /** Where the target is (updated by every sync that keeps it, so an old zone version is let go). */
  source: TargetSource;
  index: number;
  track: HealthTrack;
  /** Queued or running: a round that finds it set is skipped. */
  busy: boolean;
  /** In a streak of skipped rounds (warned once). */
  skipping: boolean;
  removed: boolean;
  /** The signal of this target's running probe, aborted directly on removal or stop(). */
  probe: ProbeSignal | undefined;
  /** The last sync that wanted it (startSync). */
  seen: number;
}

/** One pass over the wanted targets, told a few at a time; finish() drops the targets it was not told. */
export interface TargetSync {
  /** Target i of `source`, whose id is `id`. */
  keep(id: string, source: TargetSource, i: number): void;
  finish(): void;
}

/**
 * Runs every target's probe on its own timer, turns results into states through hysteresis, and
 * publishes a verdict after every probe (the sink dedups; the Redis store needs the refreshes).
 *
 * Timing: a target's first probe runs at a random offset in [0, interval), so that targets loaded
 * together do not fire together; then every interval ± jitter. A target never has two probes at
 * once: a round that comes due while the previous one is still queued or running is skipped with
 * one warning per streak. At most `maxConcurrent` probes run at once.
 */
export class CheckScheduler extends EventEmitter<SchedulerEvents> {
  private readonly sink: VerdictSink;
  private readonly nodeId: string;
  private readonly log: Logger;
  private readonly maxConcurrent: number;
  private readonly launchesPerTurn: number;
  private readonly random: Random;
  private readonly clock: Clock;
  private readonly probes: ProbeRegistry;

  private readonly entries = new Map<string, Entry>();
  /** Every entry's next round. */
  private readonly rounds = new DueQueue<Entry>((entry) => this.round(entry));
  /** Syncs started (startSync), the last one's number marks the entries it wanted. */
  private syncs = 0;
  private queue: Entry[] = [];
  private active = 0;
  /** Probes started in this event-loop turn, reset by `turnEnd` (set while it is > 0). */
  private launchedThisTurn = 0;
  private turnEnd: NodeJS.Immediate | undefined;
  /** When this turn's launches have used their SLICE_BUDGET_MS. */
  private turnLaunchUntil = 0;
  /** Deadline aborts due, worked off over turns by `deadlineRun`. */
  private deadlines: (() => void)[] = [];
  private deadlineRun: SlicedRun | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Present from start() to stop(). */
  private shutdown: AbortController | undefined;
  private running = false;
  private readonly preflighted = new Set<CheckKind>();

  constructor(options: CheckSchedulerOptions) {
    super();
    this.sink = options.sink;
    this.nodeId = options.nodeId;
    this.log = options.logger.child({ component: 'checks' });
    this.maxConcurrent = Math.max(1, Math.floor(options.maxConcurrent ?? 64));
    this.launchesPerTurn = Math.max(1, Math.floor(options.launchesPerTurn ?? 16));
    this.random = options.random ?? systemRandom;
    this.clock = options.clock ?? systemClock;
    this.probes = options.probes ?? probeFor;
  }

  /**
   * Replaces the set of targets (zone load or reload). Targets whose id is kept keep their state
   * and timer and take the new spec from their next round; new ones start at a jittered offset;
   * removed ones stop, their in-flight probe aborted and its result dropped. New targets named in
   * `probeNow` (members added through the API) are probed at once instead of at a jittered offset.
   */
  setTargets(targets: readonly Target[], probeNow?: ReadonlySet<string>): void {
    const sync = this.startSync(probeNow);
    const source = targetList(targets);
    for (let i = 0; i < source.count; i++) {
      const id = source.id(i);
      if (id !== undefined) sync.keep(id, source, i);
    }
    sync.finish();
  }

  /**
   * setTargets() in steps: keep() each wanted target (from any number of sources, over as many
   * event-loop turns as the caller likes), then finish(). A reload of a zone with 100,000 targets
   * does not hold the query thread for the whole pass. A sync started later supersedes this one:
   * its finish() drops what neither wanted, this one's finish() must then not be called.
   */
  startSync(probeNow?: ReadonlySet<string>): TargetSync {
    const generation = ++this.syncs;
    return {
      keep: (id, source, i) => {
        const existing = this.entries.get(id);
        if (existing) {
          existing.seen = generation;
          // A new spec under the same id (interval, path...) applies from the next round.
          existing.source = source;
          existing.index = i;
          return;
        }
        if (source.checkOf(i)) this.add(id, source, i, generation, probeNow);
      },
      finish: () => {
        for (const entry of this.entries.values()) if (entry.seen !== generation) this.remove(entry);
      },
    };
  }

  private add(id: string, source: TargetSource, index: number, generation: number, probeNow: ReadonlySet<string> | undefined): void {
    const entry: Entry = { id, source, index, track: INITIAL_TRACK, busy: false, skipping: false, removed: false, probe: undefined, seen: generation, dueAt: 0, dueSeq: 0, heapAt: -1 };
    this.entries.set(id, entry);
    if (this.running) {
      this.preflightLater(checkOf(entry).kind);
      if (probeNow?.has(id)) this.rounds.schedule(entry, 0);
      else this.scheduleFirst(entry);
    }
  }

  /**
   * Checks that every kind in use can run here (CheckError CHECK_ICMP_UNAVAILABLE when icmp
   * targets exist and `ping` cannot work), then starts the timers.
   */
  async start(): Promise<void> {
    if (this.shutdown) return;
    const shutdown = new AbortController();
    // Preflights listen on the shutdown signal (probes do not: stop() aborts them one by one, which
    // spares every probe an add/remove of listeners); several at once is by design, not a leak.
    setMaxListeners(0, shutdown.signal);
    this.shutdown = shutdown;
    try {
      const kinds = new Set<CheckKind>();
      for (const entry of this.entries.values()) kinds.add(checkOf(entry).kind);
      await this.preflight(kinds, shutdown.signal);
    } catch (err) {
      this.shutdown = undefined;
      throw err;
    }
    if (shutdown.signal.aborted) return;
    this.running = true;
    for (const entry of this.entries.values()) this.scheduleFirst(entry);
    this.log.info({ targets: this.entries.size, maxConcurrent: this.maxConcurrent }, 'checks started');
  }

  /** Stops the timers, aborts in-flight probes (their results are dropped) and waits for them to end. */
  async stop(): Promise<void> {
    const shutdown = this.shutdown;
    if (!shutdown) return;
    this.running = false;
    const reason = new Error('check scheduler stopped');
    shutdown.abort(reason);
    this.rounds.clear();
    for (const entry of this.entries.values()) entry.probe?.abort(reason);
    for (const entry of this.queue) entry.busy = false;
    this.queue = [];
    if (this.turnEnd !== undefined) clearImmediate(this.turnEnd);
    this.turnEnd = undefined;
    this.launchedThisTurn = 0;
    this.deadlineRun?.cancel();
    this.deadlineRun = undefined;
    this.deadlines = [];
    await Promise.all([...this.inFlight]);
    this.shutdown = undefined;
    this.log.info('checks stopped');
  }

  /** The hysteresis state of one target (tests, status pages). */
  trackOf(targetId: string): HealthTrack | undefined {
    return this.entries.get(targetId)?.track;
  }

  get targetCount(): number {
    return this.entries.size;
  }

  /** Probes currently running (not queued). */
  get activeProbes(): number {
    return this.active;
  }

  private async preflight(kinds: ReadonlySet<CheckKind>, parent: AbortSignal): Promise<void> {
    for (const kind of kinds) {
      if (this.preflighted.has(kind)) continue;
      const probe = this.probes(kind);
      if (probe.preflight) {
        const { signal, dispose } = probeSignal([parent], PREFLIGHT_TIMEOUT_MS);
        try {
          await probe.preflight(signal);
        } catch (err) {
          if (err instanceof CheckError) throw err;
          throw new CheckError('CHECK_PREFLIGHT_FAILED', `${kind} checks cannot run here: ${errorReason(err)}`, { cause: err });
        } finally {
          dispose();
        }
      }
      this.preflighted.add(kind);
    }
  }

  /** A kind first seen on reload: check it in the background; its probes report their own failures anyway. */
  private preflightLater(kind: CheckKind): void {
    if (this.preflighted.has(kind) || !this.shutdown) return;
    this.preflight(new Set([kind]), this.shutdown.signal).catch((err: unknown) => {
      this.log.error({ err, kind }, 'check kind unavailable');
    });
  }

  private remove(entry: Entry): void {
    entry.removed = true;
    this.rounds.cancel(entry);
    entry.probe?.abort(new Error('target removed'));
    this.entries.delete(entry.id);
  }

  private scheduleFirst(entry: Entry): void {
    this.rounds.schedule(entry, Math.floor(this.random.next() * checkOf(entry).intervalMs));
  }

  private nextDelay(entry: Entry): number {
    const { intervalMs, jitterMs } = checkOf(entry);
    return Math.max(0, Math.round(intervalMs + (this.random.next() * 2 - 1) * jitterMs));
  }

  private round(entry: Entry): void {
    if (!this.running || entry.removed) return;
    this.rounds.schedule(entry, this.nextDelay(entry));
    if (entry.busy) {
      if (!entry.skipping) {
        entry.skipping = true;
        this.log.warn({ target: entry.id, intervalMs: checkOf(entry).intervalMs }, 'check round skipped: previous probe still running');
      }
      this.emit('skip', { targetId: entry.id });
      return;
    }
    entry.skipping = false;
    entry.busy = true;
    this.queue.push(entry);
    this.drainQueue();
  }

  private launch(entry: Entry): void {
    this.active += 1;
    const done = this.probeOnce(entry).finally(() => {
      this.active -= 1;
      entry.busy = false;
      this.inFlight.delete(done);
      this.drainQueue();
    });
    this.inFlight.add(done);
  }

  /**
   * Starts queued probes while slots are free, at most `launchesPerTurn` (and SLICE_BUDGET_MS) per event-loop turn: after
   * a stall (GC, a busy host) many rounds come due in one timers phase, and starting them all there
   * would hold up the DNS queries waiting in the poll phase. The rest start on the next turns.
   */
  private drainQueue(): void {
    while (this.running && this.active < this.maxConcurrent && this.queue.length > 0) {
      if (this.launchedThisTurn >= this.launchesPerTurn) return;
      if (this.launchedThisTurn > 0 && performance.now() >= this.turnLaunchUntil) return;
      const entry = this.queue.shift();
      if (!entry || entry.removed) continue;
      if (this.launchedThisTurn === 0) {
        this.turnEnd = setImmediate(() => this.nextTurn());
        this.turnLaunchUntil = performance.now() + SLICE_BUDGET_MS;
      }
      this.launchedThisTurn += 1;
      this.launch(entry);
    }
  }

  private nextTurn(): void {
    this.turnEnd = undefined;
    this.launchedThisTurn = 0;
    this.drainQueue();
  }

  /**
   * Queues a probe's deadline abort. Destroying a probe's socket is not free, and probes launched
   * over a few milliseconds time out in one timers phase: run there, a thousand of them held the
   * DNS queries of that turn for 10-25 ms. The queue is worked off a few per turn.
   */
  private readonly runDeadline = (abort: () => void): void => {
    this.deadlines.push(abort);
    if (this.deadlineRun !== undefined && !this.deadlineRun.finished) return;
    // In a (sampling) profile of the 1,000-target storm, 16 aborts took a 10 ms turn, mostly in
    // socket destroys: at most launchesPerTurn a turn, and no more than lib/sliced's budget.
    this.deadlineRun = runSliced(
      () => {
        this.deadlines.shift()?.();
        return this.deadlines.length === 0;
      },
      { maxStepsPerTurn: this.launchesPerTurn, onError: (err) => this.log.error({ err }, 'aborting a timed-out probe failed') },
    );
  };

  private async probeOnce(entry: Entry): Promise<void> {
    const shutdown = this.shutdown;
    if (!shutdown) return;
    const target = entry.source.target(entry.index);
    if (shutdown.signal.aborted || entry.removed || target === undefined) return;
    const spec = target.check;
    const probe = probeSignal([], spec.timeoutMs, this.runDeadline);
    entry.probe = probe;
    let result: ProbeResult;
    try {
      result = await this.runProbe(target, probe.signal);
    } finally {
      probe.dispose();
      if (entry.probe === probe) entry.probe = undefined;
    }
    if (!this.running || entry.removed) return;

    this.emit('probe', { targetId: target.id, result });
    // One logger for all targets (a child per target cost 0.5 µs and a few hundred bytes each, made at every load).
    this.log.debug(
      result.ok ? { target: target.id, ok: true, latencyMs: result.latencyMs, load: result.load } : { target: target.id, ok: false, latencyMs: result.latencyMs, reason: result.reason },
      'probe finished',
    );

    const step = advance(entry.track, result, spec);
    entry.track = step.track;
    const at = this.clock.now();
    if (step.transition) {
      const { from, to } = step.transition;
      this.log.info({ target: target.id, from, to, reason: step.track.reason }, 'target state changed');
      this.emit('transition', { target: target.id, from, to, reason: step.track.reason, at });
    }
    const verdict: Verdict = {
      targetId: target.id,
      checker: this.nodeId,
      state: step.track.state,
      latencyMs: step.track.latencyMs === undefined ? undefined : Math.round(step.track.latencyMs * 1000) / 1000,
      load: step.track.load,
      reason: step.track.reason,
      at,
      ttlMs: 3 * spec.intervalMs + spec.timeoutMs,
    };
    try {
      this.sink.publish(verdict);
    } catch (err) {
      this.log.error({ err, target: target.id }, 'publishing a verdict failed');
    }
    this.emit('verdict', verdict);
  }

  /**
   * Runs the probe, but settles at the deadline even if a probe ignores its signal, and turns a
   * probe that throws (a bug) into a failed result.
   */
  private async runProbe(target: Target, signal: AbortSignal): Promise<ProbeResult> {
    const start = performance.now();
    let onAbort: (() => void) | undefined;
    const deadline = new Promise<ProbeResult>((resolve) => {
      onAbort = () => resolve({ ok: false, latencyMs: elapsedMs(start), reason: abortReason(signal, target) });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.probes(target.check.kind).run(target, signal), deadline]);
    } catch (err) {
      return { ok: false, latencyMs: elapsedMs(start), reason: `probe failed: ${errorReason(err)}` };
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}

/** The entry's check, from the zone that serves it now. */
function checkOf(entry: Entry): CheckSpec {
  const check = entry.source.checkOf(entry.index);
  // A source hands out only targets that have a check (startSync's keep skips the others).
  if (check === undefined) throw new Error(`target ${entry.id} has no check`);
  return check;
}
