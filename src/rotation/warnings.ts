import type { StepContext } from './step-context.js';

/** Per rotation (one StepContext): the first warning, and whether a step report carried it yet. */
const warnings = new WeakMap<StepContext, { message: string; reported: boolean }>();

/** Keeps the first warning of a rotation; later ones (the same password sent again) add nothing. */
export function noteWarning(ctx: StepContext, message: string): void {
  if (!warnings.has(ctx)) warnings.set(ctx, { message: ctx.secrets.redact(message), reported: false });
}

/** The rotation's warning if no step report carried it yet; undefined afterwards. */
export function takeWarning(ctx: StepContext): string | undefined {
  const noted = warnings.get(ctx);
  if (noted === undefined || noted.reported) return undefined;
  noted.reported = true;
  return noted.message;
}
