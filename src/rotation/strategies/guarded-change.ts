import type { DatabaseSession } from '../adapters/types.js';
import type { SetSecretInput, TokenStage } from './types.js';

/** How often a repair re-reads the stages when they keep moving under it. */
const REPAIR_ROUNDS = 3;

/**
 * Sets `username`'s password to AWSPENDING's only if this run's token holds AWSPENDING at the
 * moment the change takes effect — the rule that keeps the database accepting AWSCURRENT or
 * AWSPENDING (DESIGN.md section 7.1). Never sets a password read earlier.
 *
 * - With a transactional session (`setPasswordIf`, PostgreSQL and Redshift) the stages are read
 *   while the uncommitted change holds the user's row lock: no other run can change that user
 *   between the check and the commit, and no rotation after this one can finish before it
 *   (its own change would wait for the lock). A token found AWSCURRENT rolls back: a run sharing
 *   it finished, and the database already accepts this password.
 * - Otherwise (DocumentDB) the stages are read before and after the change. A token that lost
 *   AWSPENDING in between had its change repaired to the password the stages name now.
 *
 * Resolves `changed`, or `already-current` when a run sharing the token finished the rotation
 * (nothing more to do); rejects with the `lost()` error when the token lost AWSPENDING.
 */
export async function changePassword(input: SetSecretInput, session: DatabaseSession, username: string, password: string): Promise<'changed' | 'already-current'> {
  if (session.setPasswordIf !== undefined) {
    const seen: { stage: TokenStage } = { stage: 'lost' };
    const committed = await session.setPasswordIf(username, password, async () => {
      seen.stage = await input.tokenStage();
      return seen.stage === 'pending';
    });
    if (committed) return 'changed';
    if (seen.stage === 'current') return 'already-current';
    throw await input.lost();
  }

  const before = await input.tokenStage();
  if (before === 'current') return 'already-current';
  if (before === 'lost') throw await input.lost();
  await session.setPassword(username, password);
  if ((await input.tokenStage()) !== 'lost') return 'changed';
  await repair(input, session, username);
  throw await input.lost();
}

/** Gives `username` the password the stages name now (if they name the user), until they hold still. */
async function repair(input: SetSecretInput, session: DatabaseSession, username: string): Promise<void> {
  for (let round = 0; round < REPAIR_ROUNDS; round++) {
    const expected = await input.expectedPassword(username);
    if (expected === undefined) return;
    try {
      await session.setPassword(username, expected.password);
    } catch {
      throw input.fail(`another run took AWSPENDING after the password of user "${username}" was changed, and setting the password the stages name now failed`, true);
    }
    if ((await input.expectedPassword(username))?.stagesSeen === expected.stagesSeen) return;
  }
  throw input.fail(`the stages kept moving while the password of user "${username}" was repaired`, true);
}
