import { CredstageError } from '../../errors.js';
import { isAuthenticationError } from '../../credentials/auth-errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import type { DatabaseSession } from '../adapters/types.js';
import type { StepOutcome } from '../step-outcome.js';
import { changePassword } from './guarded-change.js';
import type { SetSecretInput, Strategy } from './types.js';

const RETRY_WAITS_MS = [200, 600];

const SHARED_TOKEN_DONE: StepOutcome = { outcome: 'skipped', detail: 'a run sharing the token already made this version AWSCURRENT' };

/**
 * Single user: the user logs in with AWSCURRENT (or AWSPREVIOUS, when an earlier rotation was cut
 * short) and changes its own password to AWSPENDING's — only while this run's token holds
 * AWSPENDING at the moment the change takes effect (see `changePassword`).
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
    // Nothing logs in for a moment when a run sharing this token changed the password between
    // this run's two logins: look again a few times before giving up.
    for (const waitMs of RETRY_WAITS_MS) {
      if (login !== undefined) break;
      if (await adapter.canLogIn(pending)) return { outcome: 'skipped', detail: 'AWSPENDING already logs in' };
      await input.sleep(waitMs);
      login = await logIn(input);
    }
    if (login === undefined) {
      if ((await input.tokenStage()) === 'current') return SHARED_TOKEN_DONE;
      throw input.fail(
        `the database accepts none of AWSCURRENT, AWSPREVIOUS and AWSPENDING for user "${current.username}": ` +
          'was its password changed outside this rotation?',
        true,
      );
    }
    const { session, used } = login;
    try {
      if ((await changePassword(input, session, pending.username, pending.password)) === 'already-current') return SHARED_TOKEN_DONE;
    } catch (err) {
      if (err instanceof CredstageError) throw err; // the token lost AWSPENDING: nothing to take as done
      // Two sessions changing one role at once: PostgreSQL fails the second ("tuple concurrently updated").
      if (await adapter.canLogIn(pending)) return { outcome: 'skipped', detail: 'a run sharing the token changed the password' };
      throw err;
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
