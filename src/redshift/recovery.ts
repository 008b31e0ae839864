import { isAuthenticationError } from '../credentials/auth-errors.js';
import { AuthenticationRejectedError } from '../errors.js';
import { secretOfRejectedLogin } from './credential-client.js';
import type { Setup } from './options.js';
import { monotonicMs } from '../internal/clock.js';

/**
 * Runs `connect` (which opens one new connection), and after a rejected login finds the
 * credentials the database now wants (DbCredentials' recovery, DESIGN.md section 3) and
 * connects again — within one recovery budget counted from the first rejection.
 *
 * Only a login that credstage itself tagged as rejected is retried: nothing was sent on that
 * connection yet, so another attempt cannot run a statement twice. Every other error passes
 * through unchanged, and a query on an established connection never goes through here.
 */
export async function connectWithRecovery<T>(setup: Setup, connect: () => Promise<T>): Promise<T> {
  const { credentials } = setup;
  let firstRejectionAt: number | undefined;
  for (;;) {
    try {
      return await connect();
    } catch (err) {
      const failed = isAuthenticationError(err) ? secretOfRejectedLogin(err) : undefined;
      if (failed === undefined) throw err;
      const now = monotonicMs(setup.clock);
      firstRejectionAt ??= now;
      const budgetMs = credentials.recoveryBudgetMs - (now - firstRejectionAt);
      if (budgetMs <= 0) {
        throw new AuthenticationRejectedError({
          secretId: setup.secretId,
          versionId: failed.versionId,
          budgetMs: credentials.recoveryBudgetMs,
        });
      }
      await credentials.recoverAfterAuthFailure(failed, { budgetMs });
    }
  }
}
