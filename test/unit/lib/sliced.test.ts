import { describe, expect, it } from 'vitest';
import { runSliced } from '../../../lib/sliced.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('runSliced', () => {
  it('runs nothing in the calling turn, then steps until done, yielding between slices', async () => {
    let steps = 0;
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    // Each step takes about 1 ms: a 2 ms budget fits a few steps per turn.
    const run = runSliced(
      () => {
        const until = performance.now() + 1;
        while (performance.now() < until);
        return ++steps === 20;
      },
      { budgetMs: 2 },
    );
    expect(steps).toBe(0);
    expect(run.finished).toBe(false);
    await run.settled;
    counting = false;
    expect(steps).toBe(20);
    expect(run.finished).toBe(true);
    expect(turns).toBeGreaterThanOrEqual(5); // other work ran between the slices
  });

  it('takes at most maxStepsPerTurn steps in one turn, time left or not', async () => {
    let steps = 0;
    const run = runSliced(() => ++steps === 5, { budgetMs: 1000, maxStepsPerTurn: 2 });
    await turn();
    expect(steps).toBe(2);
    await turn();
    expect(steps).toBe(4);
    await run.settled;
    expect(steps).toBe(5);
  });

  it('stops at cancel()', async () => {
    let steps = 0;
    const run = runSliced(
      () => {
        steps++;
        return false;
      },
      { budgetMs: 0 },
    );
    await turn();
    await turn();
    run.cancel();
    const seen = steps;
    await run.settled;
    await turn();
    await turn();
    expect(steps).toBe(seen);
    expect(run.finished).toBe(true);
  });

  it('hands a throwing step to onError and ends the run', async () => {
    const errors: unknown[] = [];
    const run = runSliced(
      () => {
        throw new Error('boom');
      },
      { onError: (err) => errors.push(err) },
    );
    await run.settled;
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('boom');
  });
});
