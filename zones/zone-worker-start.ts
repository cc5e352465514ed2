/**
 * Where the zone worker's script is, and a worker started ahead of the first job. Kept apart from
 * zone-compiler.ts so that cli/index.ts can start the worker before importing anything else: this
 * module imports nothing of the zone compiler itself.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

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

/**
 * Starts the zone worker now, before the first job: booting a worker thread and loading its
 * modules takes about 0.1 s, which then overlaps the query thread's own start-up (importing the
 * server) instead of delaying the first zone load (`rondo serve`, cli/index.ts). The first
 * ZoneCompiler takes it; unused, it does not keep the process alive.
 */
export function prestartZoneWorker(): void {
  if (spare || !existsSync(fileURLToPath(workerScript()))) return;
  const worker = new Worker(workerScript());
  const drop = () => {
    if (spare === worker) spare = undefined;
  };
  worker.on('error', drop);
  worker.on('exit', drop);
  dropSpare = () => {
    worker.off('error', drop);
    worker.off('exit', drop);
  };
  worker.unref();
  spare = worker;
}

/** The prestarted worker, if one is waiting (and still alive). */
export function takeSpare(resourceLimits: ResourceLimits | undefined): Worker | undefined {
  const worker = spare;
  spare = undefined;
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
  return worker;
}
