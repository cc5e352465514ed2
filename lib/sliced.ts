/**
 * Work spread over event-loop turns, so a long job (a pass over every pool of a large zone after a
 * reload) never holds the query thread for more than a few milliseconds: `step` does a small batch
 * and returns true once everything is done; each turn calls it until `budgetMs` has passed, then
 * yields (setImmediate), so the I/O queued meanwhile (queries) runs before the next slice.
 *
 * A step that throws ends the run and is handed to `onError` (a throw inside setImmediate would
 * end the process). cancel() stops a run that a newer one replaces.
 */

/** Default time a run may take in one event-loop turn. */
export const SLICE_BUDGET_MS = 2;

export interface SlicedRun {
  /** Stops the run; steps not taken yet are never taken. */
  cancel(): void;
  /** True once `step` returned true, threw, or the run was cancelled. */
  readonly finished: boolean;
  /** Resolves when the run finishes (whichever way). */
  readonly settled: Promise<void>;
}

export interface SlicedOptions {
  readonly budgetMs?: number;
  /** Steps one turn may take at most, whatever the time left (default: no limit). */
  readonly maxStepsPerTurn?: number;
  readonly onError?: (err: unknown) => void;
}

/** Runs `step` over as many turns as it needs; the first slice runs on the next turn, not now. */
export function runSliced(step: () => boolean, options: SlicedOptions = {}): SlicedRun {
  const budget = options.budgetMs ?? SLICE_BUDGET_MS;
  const maxSteps = options.maxStepsPerTurn ?? Number.POSITIVE_INFINITY;
  let finished = false;
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const finish = (): void => {
    finished = true;
    settle();
  };
  const slice = (): void => {
    if (finished) return;
    const until = performance.now() + budget;
    let steps = 0;
    try {
      do {
        if (step()) {
          finish();
          return;
        }
      } while (++steps < maxSteps && performance.now() < until);
    } catch (err) {
      finish();
      options.onError?.(err);
      return;
    }
    setImmediate(slice);
  };
  setImmediate(slice);
  return {
    cancel: finish,
    get finished() {
      return finished;
    },
    settled,
  };
}
