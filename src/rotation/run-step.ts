import { monotonicMs } from '../internal/clock.js';
import { emitSafely } from '../internal/emit.js';
import { traceRotationStep } from '../diagnostics/publish.js';
import { takeWarning } from './warnings.js';
import type { StepOutcome } from './step-outcome.js';
import { where, type StepContext } from './step-context.js';
import { toStepError } from './step-errors.js';
import type { RotationStepName, StepReport } from './types.js';

/**
 * Runs one step: times it, reports it to `onStep` (failures too), and turns any failure into a
 * RotationError naming the step, the secret and the token (RotationInProgressError and
 * InvalidOptionError pass through as they are).
 */
export function runTimedStep(
  ctx: StepContext,
  step: RotationStepName,
  run: () => Promise<StepOutcome>,
): Promise<{ report: StepReport; outcome: StepOutcome }> {
  // Published on the `credstage:rotation:step` tracing channel when someone listens.
  return traceRotationStep(ctx.config.clock, where(ctx, step), () => timedStep(ctx, step, run));
}

async function timedStep(
  ctx: StepContext,
  step: RotationStepName,
  run: () => Promise<StepOutcome>,
): Promise<{ report: StepReport; outcome: StepOutcome }> {
  const { clock } = ctx.config;
  const startedAt = monotonicMs(clock);
  try {
    const outcome = await run();
    const report: StepReport = Object.freeze({
      step,
      outcome: outcome.outcome,
      durationMs: monotonicMs(clock) - startedAt,
      detail: outcome.detail,
      ...warningOf(ctx),
    });
    emitSafely(ctx.config.onStep, report); // a listener's throw must not fail a rotation
    return { report, outcome };
  } catch (err) {
    const error = toStepError(err, where(ctx, step), ctx.secrets);
    emitSafely(ctx.config.onStep, Object.freeze({ step, outcome: 'failed', durationMs: monotonicMs(clock) - startedAt, detail: error.message, ...warningOf(ctx) }));
    throw error;
  }
}

/** `{ warning }` when the rotation has one no report carried yet (it goes out once), else nothing. */
function warningOf(ctx: StepContext): { warning?: string } {
  const warning = takeWarning(ctx);
  return warning === undefined ? {} : { warning };
}
