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
  /** Clears the deadline and detaches from the parents; call when the probe has ended. */
  dispose(): void;
}

export function probeSignal(parents: readonly AbortSignal[], timeoutMs: number): ProbeSignal {
  const controller = new AbortController();
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
  const timer = controller.signal.aborted
    ? undefined
    : setTimeout(() => controller.abort(new DOMException(`timeout after ${timeoutMs}ms`, 'TimeoutError')), timeoutMs);
  return {
    signal: controller.signal,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      for (const undo of detach) undo();
      detach.length = 0;
    },
  };
}
