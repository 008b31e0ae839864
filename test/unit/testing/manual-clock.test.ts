import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/testing/manual-clock.js';

describe('ManualClock', () => {
  it('moves wall and monotonic time together on advance, and set() moves wall time alone', () => {
    const clock = new ManualClock(1_000);
    clock.advance(250);
    clock.set(0);

    expect(clock.now()).toBe(0);
    expect(clock.monotonicMs()).toBe(250);
  });

  it('resolves a sleep only once advance() passes its end, earliest first', async () => {
    const clock = new ManualClock();
    const woke: string[] = [];
    const long = clock.sleep(200).then(() => woke.push('long'));
    const short = clock.sleep(100).then(() => woke.push('short'));

    clock.advance(99);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(200);
    await Promise.all([long, short]);

    expect(woke).toEqual(['short', 'long']);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('wakes sleeps that end at the same moment in the order they began', async () => {
    const clock = new ManualClock();
    const woke: number[] = [];
    const sleeps = [30, 10, 30, 20, 10, 30].map((ms, i) => clock.sleep(ms).then(() => woke.push(i)));

    clock.advance(30);
    await Promise.all(sleeps);

    expect(woke).toEqual([1, 4, 3, 0, 2, 5]);
  });

  it('tells when the earliest pending sleep ends', () => {
    const clock = new ManualClock();
    expect(clock.nextWakeAt).toBeUndefined();
    void clock.sleep(300);
    void clock.sleep(100);

    expect(clock.nextWakeAt).toBe(100);
    clock.advance(150);
    expect(clock.nextWakeAt).toBe(300);
  });
});
