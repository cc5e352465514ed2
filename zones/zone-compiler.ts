/**
 * Compiles zones in a worker thread (compile-worker.ts), so parsing a large zone never stalls the
 * thread that answers queries: the compiled zone comes back as transferred buffers (compact.ts),
 * which the caller wraps in a CompactZone and swaps in at once.
 *
 * One worker, one job at a time (jobs queue). The worker is started on demand and ended when no
 * job is left, so its heap (the parse's garbage) is given back between reloads. A worker that
 * dies during a job (out of memory, a bug) is reported (log, `crashes`, the 'crash' event) and
 * started again, and the job retried once; a second crash fails the job with
 * ZONE_COMPILER_CRASHED, so the caller keeps its last good zone.
 *
 * The first worker may be one started ahead (zone-worker-start.ts) and already compiling the job
 * the command line named (`rondo serve`). A job takes that compile over when it is the same job
 * and the caller's signatures of its files equal those taken before the early job was posted;
 * anything else is compiled as usual, so the result and its errors are the same either way.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { EARLY_JOB_ID, takeSpare, workerScript, type EarlyJob } from './zone-worker-start.js';
import type { Logger } from '../lib/logger.js';
import { compileZoneFiles, toPlain, type CompileJob, type CompileOutcome } from './compile-files.js';
import type { WorkerReply, WorkerRequest } from './compile-worker.js';
import { zoneError } from './diagnostics.js';

export { workerScript };

export interface ZoneCompilerOptions {
  readonly logger: Logger;
  /** Compile in a worker thread (default true); false compiles in this thread (tools, tests). */
  readonly thread?: boolean;
  /** V8 limits of the worker (tests use a small heap to make it crash). */
  readonly resourceLimits?: ResourceLimits;
}

export interface ZoneCompilerStats {
  jobs: number;
  /** Workers that died during a job. */
  crashes: number;
  /** Workers started (the first one included). */
  starts: number;
  /** The last worker's nice value (it runs below the query thread, thread-priority.ts); undefined: unchanged or unknown. */
  workerNice?: number;
  /** Jobs answered by the compile the prestarted worker began before they were asked for (zone-worker-start.ts). */
  earlyTaken: number;
}

interface Pending {
  request: WorkerRequest;
  readonly resolve: (outcome: CompileOutcome) => void;
  attempts: number;
  /** The caller's signatures of the job's files, taken before it asked (see compile()). */
  readonly seen: ReadonlyMap<string, string> | undefined;
}

export class ZoneCompiler extends EventEmitter {
  readonly stats: ZoneCompilerStats = { jobs: 0, crashes: 0, starts: 0, earlyTaken: 0 };
  private readonly log: Logger;
  private readonly queue: Pending[] = [];
  private worker: Worker | undefined;
  private current: Pending | undefined;
  /** The job the current worker was given before it was taken, until a job takes it over. */
  private early: EarlyJob | undefined;
  private nextId = 1;
  private closed = false;
  private readonly thread: boolean;

  constructor(private readonly options: ZoneCompilerOptions) {
    super();
    this.log = options.logger.child({ component: 'zone-compiler' });
    const script = workerScript();
    this.thread = options.thread !== false && existsSync(fileURLToPath(script));
    if (options.thread !== false && !this.thread) this.log.warn({ script: script.href }, 'zone worker script missing (run npm run build); compiling zones in the main thread');
  }

  /** Whether jobs run in a worker thread. */
  get threaded(): boolean {
    return this.thread;
  }

  /**
   * `seen`: the signatures (file-signature.ts) of `job.deps` as the caller took them before this
   * call; with them, a compile of the same job begun earlier on the same files may answer it.
   */
  compile(job: CompileJob, seen?: ReadonlyMap<string, string>): Promise<CompileOutcome> {
    this.stats.jobs++;
    if (!this.thread) return compileZoneFiles(job);
    return new Promise((resolve) => {
      this.queue.push({ request: { id: this.nextId++, job }, resolve, attempts: 0, seen });
      this.pump();
    });
  }

  close(): void {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
    const left = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = undefined;
    for (const p of left) p.resolve(this.failure(p.request.job, 'the zone compiler was closed'));
  }

  private pump(): void {
    if (this.closed || this.current) return;
    const next = this.queue.shift();
    if (!next) {
      // Idle: end the worker so the parse's heap goes back to the system.
      const w = this.worker;
      this.worker = undefined;
      this.early = undefined;
      if (w) {
        w.removeAllListeners();
        w.on('error', () => undefined);
        void w.terminate();
      }
      return;
    }
    this.current = next;
    next.attempts++;
    const worker = this.ensureWorker();
    const early = this.early;
    if (early && next.attempts === 1 && sameJob(early, next)) {
      // The worker is compiling (or has compiled) this very job: wait for that reply.
      this.early = undefined;
      this.stats.earlyTaken++;
      next.request = { id: EARLY_JOB_ID, job: next.request.job };
      const reply = early.reply;
      if (reply) queueMicrotask(() => this.onReply(reply));
      return;
    }
    worker.postMessage(next.request);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const spare = takeSpare(this.options.resourceLimits);
    const worker = spare?.worker ?? new Worker(workerScript(), { resourceLimits: this.options.resourceLimits });
    this.early = spare?.early;
    this.stats.starts++;
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (err) => this.onDeath(worker, err));
    worker.on('exit', (code) => this.onDeath(worker, new Error(`zone worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: WorkerReply): void {
    if (reply.id === EARLY_JOB_ID && this.early) {
      // The early job finished while another job ran: kept for its own job, if that comes.
      this.early.reply = reply;
      return;
    }
    const p = this.current;
    if (!p || p.request.id !== reply.id) return;
    this.current = undefined;
    this.stats.workerNice = reply.nice;
    if ('crashed' in reply) {
      this.log.error({ file: p.request.job.file, err: reply.crashed }, 'zone compile threw');
      p.resolve(this.failure(p.request.job, `the zone compiler failed: ${reply.crashed.split('\n')[0] ?? ''}`));
    } else p.resolve(reply.outcome);
    this.pump();
  }

  private onDeath(worker: Worker, err: Error): void {
    if (worker !== this.worker) return; // an idle worker we ended, or one already replaced
    this.worker = undefined;
    this.early = undefined;
    worker.removeAllListeners();
    worker.on('error', () => undefined);
    void worker.terminate();
    const p = this.current;
    this.current = undefined;
    if (this.closed) return;
    if (p) {
      this.stats.crashes++;
      const retry = p.attempts < 2;
      this.log.error({ err, file: p.request.job.file, retry }, retry ? 'zone worker crashed; restarting it and retrying the zone' : 'zone worker crashed again on this zone; keeping the last good version');
      this.emit('crash', err, p.request.job.file);
      if (retry) this.queue.unshift(p);
      else p.resolve(this.failure(p.request.job, `the zone worker crashed twice compiling this zone (${err.message})`));
    }
    this.pump();
  }

  private failure(job: CompileJob, detail: string): CompileOutcome {
    const error = zoneError('ZONE_COMPILER_CRASHED', detail, { file: job.file, line: 1, column: 1 });
    return { status: 'failed', hash: undefined, deps: job.deps ?? [path.resolve(job.file)], files: [job.file], errors: [toPlain(error)], durationMs: 0 };
  }
}

/** Whether a pending job is the early one, on files unchanged since that was posted. */
function sameJob(early: EarlyJob, p: Pending): boolean {
  const a = early.job;
  const b = p.request.job;
  const deps = b.deps ?? [path.resolve(b.file)];
  if (a.file !== b.file || a.previousHash !== b.previousHash || a.shared !== b.shared || JSON.stringify(a.options ?? {}) !== JSON.stringify(b.options ?? {})) return false;
  if (a.deps?.length !== deps.length) return false;
  return deps.every((d, i) => a.deps?.[i] === d && p.seen?.get(d) !== undefined && p.seen.get(d) === early.signatures.get(d));
}
