/**
 * The zone worker thread: compiles zones (compile-files.ts) off the query thread and posts the
 * compact result back with its buffers transferred (no copy). One job at a time.
 */
import { parentPort } from 'node:worker_threads';
import { compileZoneFiles, type CompileJob, type CompileOutcome } from './compile-files.js';
import { transferList } from './compact.js';

export interface WorkerRequest {
  readonly id: number;
  readonly job: CompileJob;
}

export type WorkerReply = { readonly id: number; readonly outcome: CompileOutcome } | { readonly id: number; readonly crashed: string };

const port = parentPort;
if (port) {
  port.on('message', (request: WorkerRequest) => {
    compileZoneFiles(request.job).then(
      (outcome) => {
        const reply: WorkerReply = { id: request.id, outcome };
        port.postMessage(reply, outcome.status === 'loaded' ? transferList(outcome.zone) : []);
      },
      (err: unknown) => {
        const reply: WorkerReply = { id: request.id, crashed: err instanceof Error ? (err.stack ?? err.message) : String(err) };
        port.postMessage(reply);
      },
    );
  });
}
