import { isAuthenticationError } from '../../credentials/auth-errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import type { DatabaseSession } from '../adapters/types.js';
import type { StepOutcome } from '../context.js';
import type { SetSecretInput, Strategy } from './types.js';

const SUFFIX = '_clone';

/**
 * The other user of an alternating pair: `app` ↔ `app_clone`.
 *
 * @example
 * ```ts
 * alternateUsername('app'); // 'app_clone'
 * alternateUsername('app_clone'); // 'app'
 * ```
 */
export function alternateUsername(username: string): string {
  return username.endsWith(SUFFIX) && username.length > SUFFIX.length ? username.slice(0, -SUFFIX.length) : `${username}${SUFFIX}`;
}

/**
 * Alternating users: an admin (the AWSCURRENT of the secret named by `masterarn`) sets a new
 * password on the other user of the pair `<user>` / `<user>_clone`, creating it with the
 * privileges of the current user the first time. The user in AWSCURRENT is never touched, so
 * every client keeps logging in throughout; the previous user keeps its password until the next
 * rotation.
 */
export const alternatingUsers: Strategy = Object.freeze({
  name: 'alternating-users' as const,

  pendingUsername(current: DatabaseSecret): string {
    return alternateUsername(current.username);
  },

  problemWith(current: DatabaseSecret, adapter: { maxUsernameBytes: number }): string | undefined {
    if (current.masterarn === undefined) return 'alternating-users rotation needs the field "masterarn" (the ARN of an admin secret)';
    const other = alternateUsername(current.username);
    if (Buffer.byteLength(other, 'utf8') > adapter.maxUsernameBytes) {
      return `the other user's name "${other}" is longer than the database's ${adapter.maxUsernameBytes} bytes`;
    }
    return undefined;
  },

  async setSecret(input: SetSecretInput): Promise<StepOutcome> {
    const { adapter, current, pending } = input;
    if (await adapter.canLogIn(pending)) return { outcome: 'skipped', detail: 'AWSPENDING already logs in' };
    const master = await input.readMaster();
    let session: DatabaseSession;
    try {
      session = await adapter.openSession(master);
    } catch (err) {
      if (isAuthenticationError(err)) throw input.fail('the database rejects the master secret\'s credentials', false);
      throw err;
    }
    try {
      await input.stillPending();
      return await changeOrCreate(session, pending, current.username);
    } catch (err) {
      // A run sharing this token changed or created the user at the same moment (PostgreSQL fails
      // one of two concurrent changes of a role); what counts is that AWSPENDING logs in.
      if (await adapter.canLogIn(pending)) return { outcome: 'skipped', detail: 'a run sharing the token set the password' };
      throw err;
    } finally {
      await session.close();
    }
  },
});

async function changeOrCreate(session: DatabaseSession, pending: DatabaseSecret, template: string): Promise<StepOutcome> {
  if (await session.userExists(pending.username)) {
    await session.setPassword(pending.username, pending.password);
    return { outcome: 'done', detail: `changed the password of user "${pending.username}"` };
  }
  // 'exists': a run sharing this token created it a moment ago.
  if ((await session.createUserLike(pending.username, pending.password, template)) === 'exists') {
    await session.setPassword(pending.username, pending.password);
  }
  return { outcome: 'done', detail: `created user "${pending.username}" with the privileges of "${template}"` };
}
