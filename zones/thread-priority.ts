/**
 * Lowers the scheduling priority of the calling thread (the zone worker), so that compiling a large
 * zone never takes CPU from the thread that answers queries: on a machine with few cores, a worker
 * at the same priority competes with the query thread for a core for the whole compile (seconds
 * for a million records), and every query waiting behind it is late.
 *
 * Linux only: setpriority(PRIO_PROCESS, tid) changes one thread (os.setPriority takes the thread
 * id, read from /proc/thread-self). Elsewhere, or when /proc is missing, nothing changes. Lowering
 * a priority needs no privilege. A process already at nice 19 stays there (the lowest).
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much nicer than the process the zone worker runs. */
export const WORKER_NICE_STEP = 10;
const LOWEST = 19;

/** The calling thread's new nice value, or undefined when it could not be changed. */
export function lowerThreadPriority(step = WORKER_NICE_STEP): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    const nice = Math.min(LOWEST, getPriority(tid) + step);
    setPriority(tid, nice);
    return nice;
  } catch {
    return undefined; // no /proc, or a sandbox that refuses: the worker runs at the process's priority
  }
}
