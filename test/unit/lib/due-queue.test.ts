/**
 * Many deadlines on one timer (lib/due-queue.ts): items fire in due order, ties in scheduling
 * order, moved and cancelled ones where they now belong, with a single timer pending however many
 * items wait, and an item made due at once from its own firing waits for the next timer.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DueQueue, unscheduled, type Due } from '../../../lib/due-queue.js';
import { seededRandom } from '../../../lib/random.js';

type Item = Due & { readonly name: string };

const item = (name: string): Item => ({ name, ...unscheduled() });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('due queue', () => {
  it('fires in due order, ties in the order scheduled, on one timer', async () => {
    const fired: string[] = [];
    const queue = new DueQueue<Item>((i) => fired.push(i.name));
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(item) as [Item, Item, Item, Item];
    queue.schedule(c, 30);
    queue.schedule(a, 10);
    queue.schedule(d, 30);
    queue.schedule(b, 20);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(fired).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(20);
    expect(fired).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('moves a rescheduled item, drops a cancelled one, and clear() stops everything', async () => {
    const fired: string[] = [];
    const queue = new DueQueue<Item>((i) => fired.push(i.name));
    const [a, b, c] = ['a', 'b', 'c'].map(item) as [Item, Item, Item];
    queue.schedule(a, 10);
    queue.schedule(b, 20);
    queue.schedule(c, 30);
    queue.schedule(a, 25); // later than b now
    queue.cancel(b);
    queue.cancel(b); // not in the queue: nothing
    await vi.advanceTimersByTimeAsync(30);
    expect(fired).toEqual(['a', 'c']);
    queue.schedule(a, 5);
    queue.schedule(b, 5);
    queue.clear();
    expect([a.heapAt, b.heapAt, vi.getTimerCount()]).toEqual([-1, -1, 0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toEqual(['a', 'c']);
  });

  it('an item rescheduled at once from its own firing waits for the next timer', async () => {
    let fires = 0;
    const queue: DueQueue<Item> = new DueQueue<Item>((i) => {
      fires++;
      queue.schedule(i, 0);
    });
    queue.schedule(item('a'), 0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fires).toBe(1);
    await vi.advanceTimersByTimeAsync(3);
    expect(fires).toBe(4);
  });

  it('keeps the order through many random schedules and cancels', async () => {
    const random = seededRandom(7);
    const fired: Item[] = [];
    const queue = new DueQueue<Item>((i) => fired.push(i));
    const items = Array.from({ length: 2000 }, (_, n) => item(String(n)));
    for (const i of items) queue.schedule(i, Math.floor(random.next() * 1000));
    for (const i of items.filter((_, n) => n % 3 === 0)) queue.schedule(i, Math.floor(random.next() * 1000));
    const cancelled = new Set(items.filter((_, n) => n % 7 === 0));
    for (const i of cancelled) queue.cancel(i);
    const expected = items.filter((i) => !cancelled.has(i)).sort((x, y) => x.dueAt - y.dueAt || x.dueSeq - y.dueSeq);
    await vi.advanceTimersByTimeAsync(1001);
    expect(fired.map((i) => i.name)).toEqual(expected.map((i) => i.name));
  });
});
