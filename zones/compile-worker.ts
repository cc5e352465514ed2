/**
 * The zone worker thread: compiles zones (compile-files.ts) off the query thread and posts the
 * compact result back with its buffers transferred (no copy). One job at a time, at a lower CPU
 * priority than the query thread (thread-priority.ts).
 */
import { parentPort } from 'node:worker_threads';
import { compileZoneFiles, type CompileJob, type CompileOutcome } from './compile-files.js';
import { transferList } from './compact.js';
import { lowerThreadPriority } from './thread-priority.js';

export interface WorkerRequest {
  readonly id: number;
  readonly job: CompileJob;
}

/** `nice`: this thread's scheduling priority (undefined where it could not be lowered). */
export type WorkerReply = { readonly id: number; readonly outcome: CompileOutcome; readonly nice?: number } | { readonly id: number; readonly crashed: string; readonly nice?: number };

const port = parentPort;
if (port) {
  // The query thread comes first: this thread only gets the CPU it leaves over.
  const nice = lowerThreadPriority();
  port.on('message', (request: WorkerRequest) => {
    compileZoneFiles(request.job).then(
      (outcome) => {
        const reply: WorkerReply = { id: request.id, outcome, nice };
        port.postMessage(reply, outcome.status === 'loaded' ? transferList(outcome.zone) : []);
      },
      (err: unknown) => {
        const reply: WorkerReply = { id: request.id, crashed: err instanceof Error ? (err.stack ?? err.message) : String(err), nice };
        port.postMessage(reply);
      },
    );
  });
}
