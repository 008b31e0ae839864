import { describe, expect, it } from 'vitest';
import { noteWarning } from '../../../src/rotation/warnings.js';
import type { StepContext } from '../../../src/rotation/step-context.js';
import { resolveEngineConfig } from '../../../src/rotation/engine-config.js';
import { runTimedStep } from '../../../src/rotation/run-step.js';
import { KnownSecrets } from '../../../src/rotation/step-errors.js';
import type { StepReport } from '../../../src/rotation/types.js';

function context(reports: StepReport[]): StepContext {
  return {
    sm: undefined as never, // the steps below never reach Secrets Manager
    secretId: 'app/db',
    token: '00000000-0000-4000-8000-000000000001',
    config: resolveEngineConfig({ onStep: (report) => reports.push(report) }),
    selfHosted: true,
    freshToken: false,
    secrets: new KnownSecrets(),
  };
}

const done = { outcome: 'done', detail: 'ok' } as const;

describe('step warnings (a password sent without TLS)', () => {
  it('reports a rotation\'s warning once, on the step where it first happened, however often it was raised', async () => {
    const reports: StepReport[] = [];
    const ctx = context(reports);

    await runTimedStep(ctx, 'createSecret', async () => done);
    await runTimedStep(ctx, 'setSecret', async () => {
      noteWarning(ctx, 'sent without TLS (1)');
      noteWarning(ctx, 'sent without TLS (2)');
      return done;
    });
    await runTimedStep(ctx, 'testSecret', async () => {
      noteWarning(ctx, 'sent without TLS (3)');
      return done;
    });

    expect(reports.map((r) => r.warning)).toEqual([undefined, 'sent without TLS (1)', undefined]);
    expect(Object.hasOwn(reports[0]!, 'warning')).toBe(false);
  });

  it('carries the warning on a failed step too, and never a known secret', async () => {
    const reports: StepReport[] = [];
    const ctx = context(reports);
    ctx.secrets.add('hunter2-Secret');

    const run = runTimedStep(ctx, 'setSecret', async () => {
      noteWarning(ctx, 'sent hunter2-Secret without TLS');
      throw new Error('tuple concurrently updated');
    });

    await expect(run).rejects.toMatchObject({ code: 'ERR_ROTATION_FAILED' });
    expect(reports).toEqual([expect.objectContaining({ outcome: 'failed', warning: 'sent [redacted] without TLS' })]);
  });
});
