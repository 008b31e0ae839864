import { CredstageError } from '../../errors.js';
import { isAuthenticationError } from '../../credentials/auth-errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import type { DatabaseSession, UserPrivileges } from '../adapters/types.js';
import type { StepOutcome } from '../step-outcome.js';
import { changePassword } from './guarded-change.js';
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
 * rotation. Neither user of the pair may be the master's own user or an administrator: an app
 * secret named `<master>_clone` would otherwise have the engine re-password the master.
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
    // Whoever may write the app secret must not get the master to re-password a user they cannot
    // log in as: the pair's current user proves the secret is that user's.
    if (!(await adapter.canLogIn(current))) {
      throw input.fail(`the database rejects AWSCURRENT for user "${current.username}": alternating-users changes the other user of a pair only while the current one logs in`, false);
    }
    const master = await input.readMaster();
    for (const user of [pending.username, current.username]) {
      if (user === master.username) throw input.fail(`the user "${user}" of the alternating pair is the master secret's own user: rotation never changes it`, false);
    }
    let session: DatabaseSession;
    try {
      session = await adapter.openSession(master);
    } catch (err) {
      if (isAuthenticationError(err)) throw input.fail('the database rejects the master secret\'s credentials', false);
      throw err;
    }
    try {
      const problem = await privilegeProblem(session, pending.username, current.username);
      if (problem !== undefined) throw input.fail(problem, false);
      if ((await changeOrCreate(input, session, pending, current.username)) === 'already-current') {
        return { outcome: 'skipped', detail: 'a run sharing the token already made this version AWSCURRENT' };
      }
      return { outcome: 'done', detail: `set the password of user "${pending.username}"` };
    } catch (err) {
      if (err instanceof CredstageError) throw err;
      // A run sharing this token changed or created the user at the same moment (PostgreSQL fails
      // one of two concurrent changes of a role); what counts is that AWSPENDING logs in.
      if (await adapter.canLogIn(pending)) return { outcome: 'skipped', detail: 'a run sharing the token set the password' };
      throw err;
    } finally {
      await session.close();
    }
  },
});

async function changeOrCreate(input: SetSecretInput, session: DatabaseSession, pending: DatabaseSecret, template: string): Promise<'changed' | 'already-current'> {
  if (!(await session.userExists(pending.username))) {
    // A new user is nobody's AWSCURRENT, so creating it cannot lock anyone out; it is created
    // with the password only while the token still holds AWSPENDING all the same.
    const stage = await input.tokenStage();
    if (stage === 'current') return 'already-current';
    if (stage === 'lost') throw await input.lost();
    if ((await session.createUserLike(pending.username, pending.password, template)) === 'created') return 'changed';
    // 'exists': a run sharing this token created it a moment ago.
  }
  return changePassword(input, session, pending.username, pending.password);
}

/**
 * Why the engine must not touch `target` or model a user on `template`: either is an
 * administrator, or `target` holds admin roles that `template` lacks. Undefined when the adapter
 * cannot tell (no `describeUser`) or all is well.
 */
async function privilegeProblem(session: DatabaseSession, target: string, template: string): Promise<string | undefined> {
  if (session.describeUser === undefined || session.isCloneOf === undefined) {
    return 'the database adapter cannot tell administrators or clones apart (describeUser, isCloneOf): alternating-users rotation needs both';
  }
  const templatePowers = await session.describeUser(template);
  const targetPowers = await session.describeUser(target);
  for (const [user, powers] of [[template, templatePowers], [target, targetPowers]] as const) {
    if (powers !== undefined && powers.superuser.length > 0) {
      return `user "${user}" is an administrator (${powers.superuser.join(', ')}): alternating-users rotation never changes or clones one`;
    }
  }
  const beyond = extraRoles(targetPowers, templatePowers);
  if (beyond.length > 0) return `user "${target}" holds admin roles that "${template}" does not (${beyond.join(', ')}): refusing to change its password`;
  if (targetPowers !== undefined) {
    // An existing user is changed only as the clone of the current user, or as the user the current one is a clone of.
    const [clone, base] = target.endsWith(SUFFIX) ? [target, template] : [template, target];
    if (!(await session.isCloneOf(clone, base))) {
      return `user "${target}" exists but "${clone}" is not a clone of "${base}" made by credstage (PostgreSQL: a member of it; Redshift: in its groups; DocumentDB: with its roles): refusing to change another user's password`;
    }
  }
  return undefined;
}

function extraRoles(target: UserPrivileges | undefined, template: UserPrivileges | undefined): string[] {
  const allowed = new Set(template?.adminRoles ?? []);
  return (target?.adminRoles ?? []).filter((role) => !allowed.has(role));
}
