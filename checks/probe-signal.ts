/**
 * The signal one probe runs under: aborted by any parent (scheduler shutdown, target removed) or
 * by its own deadline, whose reason is a `TimeoutError` as with `AbortSignal.timeout`.
 *
 * Same meaning as `AbortSignal.any([...parents, AbortSignal.timeout(ms)])`, built by hand so that
 * the deadline is an ordinary timer (cleared as soon as the probe ends, and driven by fake timers in
 * tests) and no dependant signals pile up on the long-lived shutdown signal.
 */
export interface ProbeSignal {
  readonly signal: AbortSignal;
  /**
   * Aborts now with `reason`, as a parent would: lets an owner that tracks its probes (the
   * scheduler) abort them directly instead of each probe listening on a shared parent signal.
   */
  abort(reason: unknown): void;
  /** Clears the deadline and detaches from the parents; call when the probe has ended. */
  dispose(): void;
}

/**
 * The deadline's abort reason, made once per timeout value and shared: a DOMException captures a
 * stack when made, and a thousand probes timing out together made a thousand of them (issue 7).
 * Nothing reads more of it than its name (abort-reason.ts).
 */
const timeoutReasons = new Map<number, DOMException>();

function timeoutReason(timeoutMs: number): DOMException {
  let reason = timeoutReasons.get(timeoutMs);
  if (reason === undefined) {
    reason = new DOMException(`timeout after ${timeoutMs}ms`, 'TimeoutError');
    // Bounded: one entry per distinct timeout in the zones, a handful in practice.
    if (timeoutReasons.size < 1024) timeoutReasons.set(timeoutMs, reason);
  }
  return reason;
}

/**
 * Runs a deadline's abort, now or later: the scheduler queues them so that a thousand deadlines
 * falling in one timers phase are worked off a few per event-loop turn, between DNS queries.
 */
export type DeadlineRunner = (abort: () => void) => void;

export function probeSignal(parents: readonly AbortSignal[], timeoutMs: number, runDeadline?: DeadlineRunner): ProbeSignal {
  const controller = new AbortController();
  let disposed = false;
  const detach: (() => void)[] = [];
  for (const parent of parents) {
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    detach.push(() => parent.removeEventListener('abort', onAbort));
  }
  const expire = (): void => {
    if (!disposed) controller.abort(timeoutReason(timeoutMs));
  };
  const timer = controller.signal.aborted
    ? undefined
    : setTimeout(runDeadline === undefined ? expire : () => runDeadline(expire), timeoutMs);
  return {
    signal: controller.signal,
    abort(reason: unknown) {
      controller.abort(reason);
    },
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const undo of detach) undo();
      detach.length = 0;
    },
  };
}
