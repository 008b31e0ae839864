/** The rotation schedule shared by the rotation benchmarks (redshift, documentdb). */
import type { AwsStyleRotator } from '../../test/support/aws-style-rotator.js';
import type { RotationBenchOptions } from '../rotation.js';
import type { Window } from './rotation-stats.js';

/** Operations starting just after a stage move may still be recovering from it, so the window stays open this long. */
const WINDOW_GRACE_MS = 500;
/** Load before the first rotation, so every client is warm. */
const WARM_UP_MS = 2_000;
/** Load between rotations, so each window is measured apart from the next. */
const BETWEEN_ROTATIONS_MS = 1_000;
/** Load after the last rotation, so late failures are counted. */
const COOL_DOWN_MS = 2_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drives the rotations of one benchmark run while the caller's load is running: a warm-up,
 * `options.rotations` rotations pausing `options.pauseMs` between the password change and the
 * stage move, then (if `options.stallMs` > 0) one rotation that stalls that long with AWSCURRENT
 * still old, and a cool-down. Then calls `stopLoad` (also when a rotation throws, so no load
 * keeps running) and returns the windows during which a rotation was in progress, in ms since
 * `t0` (the `t0` given to `recording`), for `rowFrom`.
 *
 * @example
 * ```ts
 * const t0 = performance.now();
 * let running = true;
 * const load = runLoad({ concurrency: 4, thinkMs: 20, maxDurationMs: 600_000, running: () => running, op: recording(op, samples, t0) });
 * const windows = await runRotationSchedule(rotator, { rotations: 10, pauseMs: 1000, stallMs: 10000 }, t0, async () => {
 *   running = false;
 *   await load;
 * });
 * const row = rowFrom('my client', samples, windows);
 * ```
 */
export async function runRotationSchedule(
  rotator: Pick<AwsStyleRotator, 'rotate' | 'beginRotation' | 'finishRotation'>,
  options: Pick<RotationBenchOptions, 'rotations' | 'pauseMs' | 'stallMs'>,
  t0: number,
  stopLoad: () => Promise<void>,
): Promise<Window[]> {
  const now = (): number => performance.now() - t0;
  const windows: Window[] = [];
  try {
    await sleep(WARM_UP_MS);
    for (let i = 0; i < options.rotations; i++) {
      const fromMs = now();
      await rotator.rotate({ pauseMs: options.pauseMs });
      windows.push({ fromMs, toMs: now() + WINDOW_GRACE_MS });
      await sleep(BETWEEN_ROTATIONS_MS);
    }
    if (options.stallMs > 0) {
      const fromMs = now();
      const { token, oldVersionId } = await rotator.beginRotation();
      await sleep(options.stallMs);
      await rotator.finishRotation(token, oldVersionId);
      windows.push({ fromMs, toMs: now() + WINDOW_GRACE_MS });
    }
    await sleep(COOL_DOWN_MS);
  } finally {
    await stopLoad();
  }
  return windows;
}
