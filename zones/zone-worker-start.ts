/**
 * Where the zone worker's script is, and a worker started ahead of the first job, possibly with
 * that job already posted. Kept apart from zone-compiler.ts so that cli/index.ts can start the
 * worker before importing anything else: this module imports nothing of the zone compiler itself.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { CompileJob } from './compile-files.js';
import type { WorkerReply, WorkerRequest } from './compile-worker.js';
import { signatureSync } from './file-signature.js';

/** The request id of the job posted with the prestarted worker (the compiler's own ids start at 1). */
export const EARLY_JOB_ID = 0;

/**
 * A job posted to the prestarted worker before anyone asked for it: the first zone of `rondo
 * serve`, guessed from the command line. The ZoneCompiler takes it over only for the same job on
 * files unchanged since (their signatures), and otherwise compiles as usual.
 */
export interface EarlyJob {
  readonly job: CompileJob;
  /** Signatures of `job.deps`, taken before the job was posted, so before the worker read them. */
  readonly signatures: ReadonlyMap<string, string>;
  /** Its reply, once it came back. */
  reply: WorkerReply | undefined;
}

/** The worker script: beside this file when built; from dist/ when this file runs as TypeScript (vitest). */
export function workerScript(): URL {
  const here = new URL('./compile-worker.js', import.meta.url);
  if (import.meta.url.endsWith('.js')) return here;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const built = path.join(root, 'dist', 'zones', 'compile-worker.js');
  return new URL(`file://${built}`);
}

/** A worker started ahead of the first job (prestartZoneWorker), waiting to be taken. */
let spare: Worker | undefined;
/** What this module listens to on the spare, removed when it is taken. */
let dropSpare: (() => void) | undefined;
/** The job posted to the spare, if any. */
let spareJob: EarlyJob | undefined;

/**
 * Starts the zone worker now, before the first job: booting a worker thread and loading its
 * modules takes about 0.1 s, which then overlaps the query thread's own start-up (importing the
 * server) instead of delaying the first zone load (`rondo serve`, cli/index.ts). With `first`,
 * that job is posted at once, so the zone compiles during those imports too. The first
 * ZoneCompiler takes the worker (and the job, if it asks for the same); unused, it does not keep
 * the process alive. Returns the job posted, if any.
 */
export function prestartZoneWorker(first?: CompileJob): EarlyJob | undefined {
  if (spare || !existsSync(fileURLToPath(workerScript()))) return undefined;
  const worker = new Worker(workerScript());
  let early: EarlyJob | undefined;
  if (first) {
    const deps = first.deps ?? [path.resolve(first.file)];
    // Stat before posting: the worker reads the files after this, so equal signatures later mean
    // the compile saw what the caller would have.
    early = { job: { ...first, deps }, signatures: new Map(deps.map((d) => [d, signatureSync(d)])), reply: undefined };
    const request: WorkerRequest = { id: EARLY_JOB_ID, job: early.job };
    worker.postMessage(request);
  }
  const drop = () => {
    if (spare === worker) {
      spare = undefined;
      spareJob = undefined;
    }
  };
  const keepReply = (reply: WorkerReply) => {
    if (early && reply.id === EARLY_JOB_ID) early.reply = reply;
  };
  worker.on('error', drop);
  worker.on('exit', drop);
  worker.on('message', keepReply);
  dropSpare = () => {
    worker.off('error', drop);
    worker.off('exit', drop);
    worker.off('message', keepReply);
  };
  worker.unref();
  spare = worker;
  spareJob = early;
  return early;
}

/** The prestarted worker, if one is waiting (and still alive), with the job posted to it, if any. */
export function takeSpare(resourceLimits: ResourceLimits | undefined): { worker: Worker; early: EarlyJob | undefined } | undefined {
  const worker = spare;
  const early = spareJob;
  spare = undefined;
  spareJob = undefined;
  if (!worker) return undefined;
  if (resourceLimits !== undefined) {
    // Started without these limits: not this compiler's worker.
    void worker.terminate();
    return undefined;
  }
  // Only this module's listeners: removeAllListeners() also drops Node's own hooks that ref and
  // start the worker's message port as 'message' listeners come and go.
  dropSpare?.();
  dropSpare = undefined;
  worker.ref();
  return { worker, early };
}
