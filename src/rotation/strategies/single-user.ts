import { isAuthenticationError } from '../../credentials/auth-errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import { sleep } from '../../internal/clock.js';
import type { DatabaseSession } from '../adapters/types.js';
import type { StepOutcome } from '../context.js';
import type { SetSecretInput, Strategy } from './types.js';

const RETRY_WAITS_MS = [200, 600];

/**
 * Single user: the user logs in with AWSCURRENT (or AWSPREVIOUS, when an earlier rotation was cut
 * short) and changes its own password to AWSPENDING's.
 *
 * The change is made only while this run's token holds AWSPENDING, checked just before and just
 * after it. If a racing run took AWSPENDING in between, the password is set back to the one this
 * run logged in with, so the database again accepts AWSCURRENT and the winner can proceed.
 */
export const singleUser: Strategy = Object.freeze({
  name: 'single-user' as const,

  pendingUsername(current: DatabaseSecret): string {
    return current.username;
  },

  problemWith(): string | undefined {
    return undefined;
  },

  async setSecret(input: SetSecretInput): Promise<StepOutcome> {
    const { adapter, current, pending } = input;
    if (await adapter.canLogIn(pending)) return { outcome: 'skipped', detail: 'AWSPENDING already logs in' };

    let login = await logIn(input);
    // Nothing logs in either while a run that lost a race sets its change back, or after a run
    // sharing this token changed the password: look again a few times before giving up.
    for (const waitMs of RETRY_WAITS_MS) {
      if (login !== undefined) break;
      if (await adapter.canLogIn(pending)) return { outcome: 'skipped', detail: 'AWSPENDING already logs in' };
      await sleep(waitMs);
      login = await logIn(input);
    }
    if (login === undefined) {
      throw input.fail(
        `the database accepts none of AWSCURRENT, AWSPREVIOUS and AWSPENDING for user "${current.username}": ` +
          'was its password changed outside this rotation?',
        true,
      );
    }
    const { session, used } = login;
    try {
      await input.stillPending();
      try {
        await session.setPassword(pending.username, pending.password);
      } catch (err) {
        // Two sessions changing one role at once: PostgreSQL fails one ("tuple concurrently updated").
        if (await adapter.canLogIn(pending)) return { outcome: 'skipped', detail: 'a run sharing the token changed the password' };
        throw err;
      }
      try {
        await input.stillPending();
      } catch (lost) {
        await session.setPassword(pending.username, used.secret.password).catch(() => {
          throw input.fail('another run took AWSPENDING after the password was changed, and setting it back failed', true);
        });
        throw lost;
      }
    } finally {
      await session.close();
    }
    return { outcome: 'done', detail: `changed the password of user "${pending.username}" (logged in with ${used.stage})` };
  },
});

interface Login {
  session: DatabaseSession;
  used: { stage: 'AWSCURRENT' | 'AWSPREVIOUS'; secret: DatabaseSecret };
}

/** A session as the user with AWSCURRENT, else AWSPREVIOUS; undefined when the database rejects both. */
async function logIn(input: SetSecretInput): Promise<Login | undefined> {
  const tryWith = async (stage: Login['used']['stage'], secret: DatabaseSecret): Promise<Login | undefined> => {
    try {
      return { session: await input.adapter.openSession(secret), used: { stage, secret } };
    } catch (err) {
      if (isAuthenticationError(err)) return undefined;
      throw err;
    }
  };
  const withCurrent = await tryWith('AWSCURRENT', input.current);
  if (withCurrent) return withCurrent;
  const previous = await input.readPrevious();
  if (previous === undefined || previous.username !== input.current.username) return undefined;
  return tryWith('AWSPREVIOUS', previous);
}
