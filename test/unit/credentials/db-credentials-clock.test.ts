import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AuthenticationRejectedError } from '../../../src/errors.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { credentialsSetup } from './fixtures.js';

describe('DbCredentials on an injected clock', () => {
  it('spends its recovery budget on the injected clock alone: a manual clock ends it without real waiting', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const { creds, db, firstVersionId } = await credentialsSetup({ clock, recoveryBudgetMs: 30_000 });
    // The database wants a password no version holds: recovery can only run out of budget.
    db.setPassword('app', 'set-by-hand');
    let outcome: unknown;
    const recovery = creds.recoverAfterAuthFailure(firstVersionId).then(
      () => (outcome = 'recovered'),
      (err: unknown) => (outcome = err),
    );

    // 100 ms steps, one event-loop turn each: 299 steps are 29.9 s on the clock.
    for (let step = 0; step < 299; step++) {
      await turn();
      clock.advance(100);
    }
    await turn();
    expect(outcome).toBeUndefined();
    for (let step = 0; step < 20 && outcome === undefined; step++) {
      clock.advance(100);
      await turn();
      await turn();
    }
    await recovery;

    expect(outcome).toBeInstanceOf(AuthenticationRejectedError);
    expect((outcome as Error).message).toContain('within 30000 ms');
  });
});
