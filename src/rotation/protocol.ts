/**
 * The four steps of Secrets Manager's rotation protocol. Each is idempotent under its
 * ClientRequestToken and re-reads the secret's stages before acting, so any step may run again,
 * be resumed by another process after a crash, or race a run that shares its token.
 *
 * The lock is the AWSPENDING label and its token, nothing else. The invariant (DESIGN.md 7.1):
 * the database accepts the password of AWSCURRENT or of AWSPENDING at every moment.
 * - createSecret puts the new version under CREATED_STAGE, then claims AWSPENDING with an
 *   UpdateSecretVersionStage that Secrets Manager refuses while another version holds it (a
 *   compare-and-swap), so a racing run never takes the label from a run that already changed the
 *   password. Runs sharing one token converge: Secrets Manager refuses a second value under a
 *   token (ResourceExistsException), and the second run goes on with the first one's version.
 * - setSecret changes a password only while the token holds AWSPENDING at the moment the change
 *   takes effect (`changePassword`); a token found AWSCURRENT means a run sharing it finished.
 *   No password read earlier is ever set back.
 * - finishSecret moves AWSCURRENT with RemoveFromVersionId, which Secrets Manager applies only if
 *   that version still holds AWSCURRENT: a compare-and-swap, so a run sharing the token that
 *   finished first is noticed, not overwritten.
 */
import { RotationInProgressError, InvalidSecretFormatError } from '../errors.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type SecretVersion } from '../secrets-manager/secret-version.js';
import { parseSecretOf, type DatabaseSecret } from '../credentials/parse.js';
import { adapterFor, parseForRotation } from './step-inputs.js';
import type { StepOutcome } from './step-outcome.js';
import { where, type StepContext } from './step-context.js';
import { passwordProblem, passwordRequestFor } from './password-policy.js';
import { holderOf, stagesOf, type DescribedSecret } from '../secrets-manager/secrets-api.js';
import { stepFailure } from './step-errors.js';
import { sleepOn } from '../internal/clock.js';
import type { StagesNow, TokenStage } from './strategies/types.js';
import type { RotationStepName } from './types.js';

type Where = ReturnType<typeof where>;

/** How to get past an AWSPENDING that no run may finish. */
const START_OVER = ' (to start over, remove the AWSPENDING label from that version: UpdateSecretVersionStage with RemoveFromVersionId)';

const alreadyCurrent = (ctx: StepContext, state: DescribedSecret): StepOutcome => ({
  outcome: 'skipped',
  detail: `version ${ctx.token} is already AWSCURRENT`,
  oldVersionId: holderOf(state, AWSPREVIOUS),
});

/** Throws unless the token holds AWSPENDING: RotationInProgressError when another version does. */
function requirePending(ctx: StepContext, w: Where, state: DescribedSecret): void {
  if (stagesOf(state, ctx.token).includes(AWSPENDING)) return;
  const holder = holderOf(state, AWSPENDING);
  if (holder !== undefined && holder !== holderOf(state, AWSCURRENT)) {
    throw new RotationInProgressError({ secretId: ctx.secretId, clientRequestToken: ctx.token, pendingVersionId: holder });
  }
  throw stepFailure(w, `version ${ctx.token} is not AWSPENDING: run createSecret first`, true);
}

async function requireVersion(ctx: StepContext, w: Where, versionId: string | undefined, label: string): Promise<SecretVersion> {
  const version = versionId === undefined ? undefined : await ctx.sm.readVersion(versionId);
  if (version === undefined) throw stepFailure(w, `the secret has no ${label} version with a value`, false);
  return version;
}

/**
 * The label a self-hosted createSecret puts its new version under before it claims AWSPENDING.
 * PutSecretValue moves the labels it names without a check, so putting straight into AWSPENDING
 * could take the label from a racing run that had already changed the password; the claim is an
 * UpdateSecretVersionStage, which Secrets Manager refuses while another version holds the label.
 * The claim removes it again, so a version holding it is one that no run has claimed yet.
 */
export const CREATED_STAGE = 'credstage-created';

/** createSecret: a new AWSPENDING version under the token, with a new password from GetRandomPassword. */
export async function createSecret(ctx: StepContext, described?: DescribedSecret): Promise<StepOutcome> {
  const w = where(ctx, 'createSecret');
  const state = described ?? (await ctx.sm.describe());
  const stages = stagesOf(state, ctx.token);
  if (stages.includes(AWSCURRENT)) return alreadyCurrent(ctx, state);
  const currentId = holderOf(state, AWSCURRENT);
  if (stages.includes(AWSPENDING)) {
    // Under Lambda, Secrets Manager creates the token's AWSPENDING version without a value.
    const existing = await ctx.sm.readVersion(ctx.token);
    if (existing?.secretString !== undefined) return { outcome: 'skipped', detail: `AWSPENDING already holds version ${ctx.token}` };
    const { value, username } = await newValue(ctx, w, currentId);
    const put = await ctx.sm.put(ctx.token, value, [AWSPENDING]);
    await requireHolder(ctx, w);
    if (put === 'exists') return { outcome: 'skipped', detail: `a run sharing the token created AWSPENDING version ${ctx.token}` };
    return { outcome: 'done', detail: `created AWSPENDING version ${ctx.token} for user "${username}"` };
  }

  const pendingId = holderOf(state, AWSPENDING);
  if (pendingId !== undefined && pendingId !== currentId && !(await leftoverPending(ctx, state, pendingId, currentId))) {
    throw new RotationInProgressError({ secretId: ctx.secretId, clientRequestToken: ctx.token, pendingVersionId: pendingId });
  }
  let outcome: StepOutcome;
  let username: string;
  // Only a version that holds nothing but the label was never claimed: one that was AWSCURRENT since is an old password.
  if (stages.length === 1 && stages[0] === CREATED_STAGE) {
    username = parseForRotation(ctx, await requireVersion(ctx, w, ctx.token, 'new')).username;
    outcome = { outcome: 'skipped', detail: `claimed AWSPENDING for version ${ctx.token}, put by an earlier run with this token` };
  } else {
    if (!ctx.freshToken && (await ctx.sm.readVersion(ctx.token)) !== undefined) {
      throw stepFailure(w, `the token names version ${ctx.token}, which exists but is neither AWSPENDING nor AWSCURRENT ` +
        '(an earlier rotation): start a new rotation with another token', false);
    }
    const created = await newValue(ctx, w, currentId);
    username = created.username;
    const put = await ctx.sm.put(ctx.token, created.value, [CREATED_STAGE]);
    // The version that stands is the first run's; it may rest on another AWSCURRENT than this run's.
    if (put === 'exists') username = parseForRotation(ctx, await requireVersion(ctx, w, ctx.token, 'new')).username;
    outcome = put === 'exists'
      ? { outcome: 'skipped', detail: `a run sharing the token put version ${ctx.token}` }
      : { outcome: 'done', detail: `created AWSPENDING version ${ctx.token} for user "${username}"` };
  }
  await claimPending(ctx, w, pendingId, currentId, username);
  return outcome;
}

/** The new version's value: AWSCURRENT's fields with the strategy's username and a new password. */
async function newValue(ctx: StepContext, w: Where, currentId: string | undefined): Promise<{ value: string; username: string }> {
  const currentVersion = await requireVersion(ctx, w, currentId, 'AWSCURRENT');
  const current = parseForRotation(ctx, currentVersion);
  const { strategy, passwordPolicy } = ctx.config;
  const problem = strategy.problemWith(current, await adapterFor(ctx, current));
  if (problem !== undefined) throw stepFailure(w, problem, false);
  const request = passwordRequestFor(current.engine, passwordPolicy);
  const password = await ctx.sm.randomPassword(request);
  const bad = passwordProblem(current.engine, request, password);
  if (bad !== undefined) throw stepFailure(w, `GetRandomPassword returned a password that ${bad}`, false);
  ctx.secrets.add(password as string);
  const username = strategy.pendingUsername(current);
  return { value: JSON.stringify({ ...(JSON.parse(currentVersion.secretString as string) as object), username, password }), username };
}

/**
 * A version holding AWSPENDING that was AWSCURRENT before (it holds AWSPREVIOUS too) or is older
 * than AWSCURRENT's is no rotation in progress: every rotation builds its version from AWSCURRENT,
 * after it. It is what finishSecret leaves on the version it made AWSCURRENT once AWSCURRENT
 * moved on by other means (a PutSecretValue by hand). Its password is an old one: never resumed,
 * and the next rotation claims AWSPENDING from it.
 */
export function isLeftover(pendingStages: readonly string[], pending: SecretVersion | undefined, current: SecretVersion | undefined): boolean {
  if (pendingStages.includes(AWSPREVIOUS)) return true;
  const [p, c] = [pending?.createdDate?.getTime(), current?.createdDate?.getTime()];
  return p !== undefined && c !== undefined && p < c;
}

async function leftoverPending(ctx: StepContext, state: DescribedSecret, pendingId: string, currentId: string | undefined): Promise<boolean> {
  if (isLeftover(stagesOf(state, pendingId), undefined, undefined)) return true;
  const current = currentId === undefined ? undefined : await ctx.sm.readVersion(currentId);
  return isLeftover([], await ctx.sm.readVersion(pendingId), current);
}

/**
 * Moves AWSPENDING to the token — a compare-and-swap: Secrets Manager refuses it when the label
 * sits on another version than `from` (the AWSCURRENT version, or none). A refusal because a run
 * sharing the token claimed it first is success; one because another version holds it is
 * RotationInProgressError.

 */
async function claimPending(ctx: StepContext, w: Where, from: string | undefined, basedOn: string | undefined, username: string): Promise<void> {
  try {
    await ctx.sm.moveStage(AWSPENDING, { to: ctx.token, from });
  } catch (err) {
    const holder = holderOf(await ctx.sm.describe(), AWSPENDING);
    if (holder === ctx.token) return;
    if (holder !== undefined) throw new RotationInProgressError({ secretId: ctx.secretId, clientRequestToken: ctx.token, pendingVersionId: holder });
    throw err;
  }
  // A version that holds CREATED_STAGE was never claimed: one whose AWSPENDING an operator removes later is not claimed again.
  await ctx.sm.moveStage(CREATED_STAGE, { from: ctx.token }).catch(() => undefined);
  if (ctx.config.strategy.name === 'single-user') return; // every version names the same user
  const currentId = holderOf(await ctx.sm.describe(), AWSCURRENT);
  if (currentId === basedOn) return;
  const current = parseForRotation(ctx, await requireVersion(ctx, w, currentId, 'AWSCURRENT'));
  if (ctx.config.strategy.pendingUsername(current) === username) return;
  // No run sets this version's password: setSecret refuses its username before touching the database.
  await ctx.sm.moveStage(AWSPENDING, { from: ctx.token }).catch(() => undefined);
  throw stepFailure(w, `AWSCURRENT moved to version ${currentId} while this run created version ${ctx.token} from the one before; gave AWSPENDING back: start a new rotation`, true);
}

/** Throws unless the token holds AWSPENDING now: RotationInProgressError when another version does. */
async function requireHolder(ctx: StepContext, w: Where): Promise<void> {
  const holder = holderOf(await ctx.sm.describe(), AWSPENDING);
  if (holder === ctx.token) return;
  if (holder !== undefined) throw new RotationInProgressError({ secretId: ctx.secretId, clientRequestToken: ctx.token, pendingVersionId: holder });
  throw stepFailure(w, 'AWSPENDING vanished right after it was set: something else is changing the secret\'s stages', true);
}

/** setSecret: makes the database accept AWSPENDING (the strategy's job), after the guards. */
export async function setSecret(ctx: StepContext, described?: DescribedSecret): Promise<StepOutcome> {
  const w = where(ctx, 'setSecret');
  const state = described ?? (await ctx.sm.describe());
  if (stagesOf(state, ctx.token).includes(AWSCURRENT)) return alreadyCurrent(ctx, state);
  requirePending(ctx, w, state);
  const currentVersion = await requireVersion(ctx, w, holderOf(state, AWSCURRENT), 'AWSCURRENT');
  const pendingVersion = await requireVersion(ctx, w, ctx.token, 'AWSPENDING');
  if (isLeftover(stagesOf(state, ctx.token), pendingVersion, currentVersion)) {
    throw stepFailure(w, `version ${ctx.token} holds AWSPENDING but was AWSCURRENT before or is older than AWSCURRENT (version ${currentVersion.versionId}): ` +
      'AWSCURRENT was replaced after this rotation, so its password is an old one; start a new rotation', false);
  }
  const current = parseForRotation(ctx, currentVersion);
  const pending = parseForRotation(ctx, pendingVersion);
  if (pending.host !== current.host || pending.port !== current.port) {
    throw stepFailure(w, `AWSPENDING names ${pending.host}:${pending.port} but AWSCURRENT names ${current.host}:${current.port}${START_OVER}`, false);
  }
  const { strategy } = ctx.config;
  const expected = strategy.pendingUsername(current);
  if (pending.username !== expected) {
    throw stepFailure(w, `AWSPENDING names user "${pending.username}" but ${strategy.name} rotation expects "${expected}"${START_OVER}`, false);
  }
  return strategy.setSecret({
    adapter: await adapterFor(ctx, current),
    current,
    pending,
    readPrevious: () => readPrevious(ctx, state),
    readMaster: () => readMaster(ctx, w, current),
    tokenStage: async () => tokenStage(ctx, await ctx.sm.describe()),
    stagesNow: () => stagesNow(ctx),
    lost: async () => {
      try {
        requirePending(ctx, w, await ctx.sm.describe());
      } catch (err) {
        return err as Error;
      }
      return stepFailure(w, `version ${ctx.token} lost AWSPENDING for a moment`, true);
    },
    sleep: (ms) => sleepOn(ctx.config.clock, ms),
    fail: (problem, retryable) => stepFailure(w, problem, retryable),
  });
}

function tokenStage(ctx: StepContext, state: DescribedSecret): TokenStage {
  const stages = stagesOf(state, ctx.token);
  if (stages.includes(AWSCURRENT)) return 'current';
  return stages.includes(AWSPENDING) ? 'pending' : 'lost';
}

/** The versions holding AWSCURRENT and AWSPENDING now. */
async function stagesNow(ctx: StepContext): Promise<StagesNow> {
  const state = await ctx.sm.describe();
  const currentId = holderOf(state, AWSCURRENT);
  const pendingId = holderOf(state, AWSPENDING);
  const read = async (id: string | undefined): Promise<DatabaseSecret | undefined> => {
    const version = id === undefined ? undefined : await ctx.sm.readVersion(id);
    return version?.secretString === undefined ? undefined : parseForRotation(ctx, version);
  };
  return { current: await read(currentId), pending: await read(pendingId), seen: `${currentId}/${pendingId}` };
}

async function readPrevious(ctx: StepContext, state: DescribedSecret): Promise<DatabaseSecret | undefined> {
  const id = holderOf(state, AWSPREVIOUS);
  const version = id === undefined ? undefined : await ctx.sm.readVersion(id);
  try {
    return version === undefined ? undefined : parseForRotation(ctx, version);
  } catch (err) {
    if (err instanceof InvalidSecretFormatError) return undefined; // an unusable old version is no way in
    throw err;
  }
}

async function readMaster(ctx: StepContext, w: Where, current: DatabaseSecret): Promise<DatabaseSecret> {
  const masterId = current.masterarn as string;
  const version = await ctx.sm.readCurrentOf(masterId);
  const master = parseSecretOf(current.engine, version, masterId);
  ctx.secrets.add(master.password);
  if (master.host !== current.host || master.port !== current.port) {
    throw stepFailure(w, `the master secret names ${master.host}:${master.port} but the secret names ${current.host}:${current.port}`, false);
  }
  return master;
}

/** testSecret: AWSPENDING logs in and runs a real query. */
export async function testSecret(ctx: StepContext, described?: DescribedSecret): Promise<StepOutcome> {
  const w = where(ctx, 'testSecret');
  const state = described ?? (await ctx.sm.describe());
  if (stagesOf(state, ctx.token).includes(AWSCURRENT)) return alreadyCurrent(ctx, state);
  requirePending(ctx, w, state);
  const pending = parseForRotation(ctx, await requireVersion(ctx, w, ctx.token, 'AWSPENDING'));
  if (await (await adapterFor(ctx, pending)).canLogIn(pending)) {
    return { outcome: 'done', detail: `user "${pending.username}" logs in with AWSPENDING and queries` };
  }
  throw stepFailure(w, `the database rejects AWSPENDING for user "${pending.username}": setSecret has not taken effect`, true);
}

/**
 * finishSecret: AWSCURRENT moves to the token (AWSPREVIOUS follows). AWSPENDING stays on the new
 * AWSCURRENT version — a state Secrets Manager itself leaves after a successful rotation — so
 * that every later claim of AWSPENDING is a compare-and-swap against a version that holds it: a
 * run that stalled before its claim while other rotations finished cannot take the label back
 * for a version built from an older AWSCURRENT. (Removing the label here once let a stalled
 * finish take it from a later run's claim.)
 */
export async function finishSecret(ctx: StepContext, described?: DescribedSecret): Promise<StepOutcome> {
  const w = where(ctx, 'finishSecret');
  const state = described ?? (await ctx.sm.describe());
  if (stagesOf(state, ctx.token).includes(AWSCURRENT)) return alreadyCurrent(ctx, state);
  requirePending(ctx, w, state);
  const oldVersionId = holderOf(state, AWSCURRENT);
  if (oldVersionId === undefined) throw stepFailure(w, 'the secret has no AWSCURRENT version', false);
  try {
    await ctx.sm.moveStage(AWSCURRENT, { to: ctx.token, from: oldVersionId });
  } catch (err) {
    // Refused because AWSCURRENT left oldVersionId: fine if a run sharing this token moved it here.
    if (!stagesOf(await ctx.sm.describe(), ctx.token).includes(AWSCURRENT)) throw err;
  }
  return { outcome: 'done', detail: `AWSCURRENT moved from version ${oldVersionId} to ${ctx.token}`, oldVersionId };
}

/**
 * The step functions by name. `described` is a DescribeSecret the caller made just before (the
 * Lambda checks), saving the step its own; without it the step reads the stages itself.
 */
export const STEP_FUNCTIONS: Readonly<Record<RotationStepName, (ctx: StepContext, described?: DescribedSecret) => Promise<StepOutcome>>> = Object.freeze({
  createSecret,
  setSecret,
  testSecret,
  finishSecret,
});
