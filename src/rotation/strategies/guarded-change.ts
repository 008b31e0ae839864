import type { DatabaseSecret } from '../../credentials/parse.js';
import type { DatabaseSession } from '../adapters/types.js';
import type { SetSecretInput, StagesNow, TokenStage } from './types.js';

/** How often a repair re-reads the stages when they keep moving under it. */
const REPAIR_ROUNDS = 3;
/** Reads of the stages after a change before giving up, and the wait between them. */
const READ_ATTEMPTS = 4;
const READ_RETRY_MS = 250;

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
 * - Otherwise (DocumentDB) the stages are read before and after the change; a change that landed
 *   after other runs moved the stages is repaired to the password they name now (`repairTarget`).
 *   A run that dies between such a late change and its repair leaves the database on a
 *   password no stage names, until the next rotation logs in with AWSPREVIOUS: the one window
 *   a database without transactions leaves (README, "Rotation").
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
  // The change may have landed late (the run stalled between its check and its write while other
  // runs moved the stages): the stages now say which password the user must have.
  const after = await readStages(input);
  const target = repairTarget(after, input.pending.versionId, username);
  if (target === undefined) return after.current?.versionId === input.pending.versionId ? 'already-current' : 'changed';
  await repair(input, session, username, after);
  if ((await input.tokenStage()) === 'current') return 'already-current';
  throw await input.lost();
}

/**
 * The version whose password `username` must get back after this run wrote `ownVersionId`'s, or
 * undefined when the write stands:
 * - the token holds AWSPENDING (or AWSCURRENT with no other AWSPENDING): it stands;
 * - the token is AWSCURRENT and another version holds AWSPENDING: a later rotation may have set
 *   its password before this write landed, so that one (AWSCURRENT's clients recover through
 *   AWSPENDING, and the later rotation finds it done);
 * - the token lost both: AWSCURRENT's, else AWSPENDING's, when it names the user.
 */
function repairTarget(stages: StagesNow, ownVersionId: string, username: string): DatabaseSecret | undefined {
  const { current, pending } = stages;
  const names = (v: DatabaseSecret | undefined): v is DatabaseSecret => v !== undefined && v.username === username;
  if (pending?.versionId === ownVersionId) return undefined;
  if (current?.versionId === ownVersionId) return names(pending) ? pending : undefined;
  return names(current) ? current : names(pending) ? pending : undefined;
}

/** The stages now, asked again a few times on a failure: a repair must not be skipped for one throttled call. */
async function readStages(input: SetSecretInput): Promise<StagesNow> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await input.stagesNow();
    } catch (err) {
      if (attempt >= READ_ATTEMPTS) throw err;
      await input.sleep(READ_RETRY_MS * attempt);
    }
  }
}

/** Gives `username` the password `repairTarget` names, until the stages hold still. */
async function repair(input: SetSecretInput, session: DatabaseSession, username: string, first: StagesNow): Promise<void> {
  let stages = first;
  for (let round = 0; round < REPAIR_ROUNDS; round++) {
    const target = repairTarget(stages, input.pending.versionId, username);
    if (target === undefined) return;
    try {
      await session.setPassword(username, target.password);
    } catch {
      throw input.fail(`the password of user "${username}" was changed after another run moved the stages, and setting the password they name now failed`, true);
    }
    const again = await readStages(input);
    if (again.seen === stages.seen) return;
    stages = again;
  }
  throw input.fail(`the stages kept moving while the password of user "${username}" was repaired`, true);
}
