/**
 * The four steps of Secrets Manager's rotation protocol. Each is idempotent under its
 * ClientRequestToken and re-reads the secret's stages before acting, so any step may run again,
 * be resumed by another process after a crash, or race a run that shares its token.
 *
 * The lock is the AWSPENDING label and its token, nothing else:
 * - createSecret refuses when another version (not AWSCURRENT) holds AWSPENDING; it puts the new
 *   version with AWSPENDING (PutSecretValue moves the label), then reads the stages back: if a
 *   racing run's put took the label, this run has lost and stops with RotationInProgressError.
 *   Runs sharing one token converge instead: Secrets Manager refuses a second value under a token
 *   (ResourceExistsException), and the run that came second goes on with the first one's version.
 * - Every later step first checks that the token still holds AWSPENDING. Single-user setSecret
 *   checks it again right before and right after changing the password, and sets the old
 *   password back if it lost the label in between, so the database always accepts AWSCURRENT or
 *   AWSPENDING.
 * - finishSecret moves AWSCURRENT with RemoveFromVersionId, which Secrets Manager applies only if
 *   that version still holds AWSCURRENT: a compare-and-swap, so a run sharing the token that
 *   finished first is noticed, not overwritten.
 */
import { RotationInProgressError, InvalidSecretFormatError } from '../errors.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type SecretVersion } from '../cache/secret-version.js';
import { parseDocumentDbSecret, parseRedshiftSecret, type DatabaseSecret } from '../credentials/parse.js';
import { adapterFor, parseForRotation, where, type StepContext, type StepOutcome } from './context.js';
import { passwordProblem, passwordRequestFor } from './password-policy.js';
import { holderOf, stagesOf, type SecretState } from './secrets.js';
import { stepFailure } from './step-errors.js';
import type { RotationStepName } from './types.js';

type Where = ReturnType<typeof where>;

/** How to get past an AWSPENDING that no run may finish. */
const START_OVER = ' (to start over, remove the AWSPENDING label from that version: UpdateSecretVersionStage with RemoveFromVersionId)';

const alreadyCurrent = (ctx: StepContext, state: SecretState): StepOutcome => ({
  outcome: 'skipped',
  detail: `version ${ctx.token} is already AWSCURRENT`,
  oldVersionId: holderOf(state, AWSPREVIOUS),
});

/** Throws unless the token holds AWSPENDING: RotationInProgressError when another version does. */
function requirePending(ctx: StepContext, w: Where, state: SecretState): void {
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

/** createSecret: a new AWSPENDING version under the token, with a new password from GetRandomPassword. */
export async function createSecret(ctx: StepContext, described?: SecretState): Promise<StepOutcome> {
  const w = where(ctx, 'createSecret');
  const state = described ?? (await ctx.sm.describe());
  const stages = stagesOf(state, ctx.token);
  if (stages.includes(AWSCURRENT)) return alreadyCurrent(ctx, state);
  const currentId = holderOf(state, AWSCURRENT);
  if (stages.includes(AWSPENDING)) {
    // Under Lambda, Secrets Manager creates the token's AWSPENDING version without a value.
    const existing = await ctx.sm.readVersion(ctx.token);
    if (existing?.secretString !== undefined) return { outcome: 'skipped', detail: `AWSPENDING already holds version ${ctx.token}` };
  } else {
    const pendingId = holderOf(state, AWSPENDING);
    if (pendingId !== undefined && pendingId !== currentId) {
      throw new RotationInProgressError({ secretId: ctx.secretId, clientRequestToken: ctx.token, pendingVersionId: pendingId });
    }
    if (!ctx.freshToken && (await ctx.sm.readVersion(ctx.token)) !== undefined) {
      throw stepFailure(w, `the token names version ${ctx.token}, which exists but is neither AWSPENDING nor AWSCURRENT ` +
        '(an earlier rotation): start a new rotation with another token', false);
    }
  }
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
  const value = { ...(JSON.parse(currentVersion.secretString as string) as object), username, password };
  const put = await ctx.sm.put(ctx.token, JSON.stringify(value), [AWSPENDING]);

  const after = await ctx.sm.describe();
  const holder = holderOf(after, AWSPENDING);
  if (holder !== ctx.token) {
    if (holder !== undefined) {
      throw new RotationInProgressError({ secretId: ctx.secretId, clientRequestToken: ctx.token, pendingVersionId: holder });
    }
    throw stepFailure(w, 'AWSPENDING vanished right after it was set: something else is changing the secret\'s stages', true);
  }
  if (put === 'exists') return { outcome: 'skipped', detail: `a run sharing the token created AWSPENDING version ${ctx.token}` };
  return { outcome: 'done', detail: `created AWSPENDING version ${ctx.token} for user "${username}"` };
}

/** setSecret: makes the database accept AWSPENDING (the strategy's job), after the guards. */
export async function setSecret(ctx: StepContext, described?: SecretState): Promise<StepOutcome> {
  const w = where(ctx, 'setSecret');
  const state = described ?? (await ctx.sm.describe());
  if (stagesOf(state, ctx.token).includes(AWSCURRENT)) return alreadyCurrent(ctx, state);
  requirePending(ctx, w, state);
  const current = parseForRotation(ctx, await requireVersion(ctx, w, holderOf(state, AWSCURRENT), 'AWSCURRENT'));
  const pending = parseForRotation(ctx, await requireVersion(ctx, w, ctx.token, 'AWSPENDING'));
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
    stillPending: async () => requirePending(ctx, w, await ctx.sm.describe()),
    fail: (problem, retryable) => stepFailure(w, problem, retryable),
  });
}

async function readPrevious(ctx: StepContext, state: SecretState): Promise<DatabaseSecret | undefined> {
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
  const master = current.engine === 'mongo' ? parseDocumentDbSecret(version, masterId) : parseRedshiftSecret(version, masterId);
  ctx.secrets.add(master.password);
  if (master.host !== current.host || master.port !== current.port) {
    throw stepFailure(w, `the master secret names ${master.host}:${master.port} but the secret names ${current.host}:${current.port}`, false);
  }
  return master;
}

/** testSecret: AWSPENDING logs in and runs a real query. */
export async function testSecret(ctx: StepContext, described?: SecretState): Promise<StepOutcome> {
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

/** finishSecret: AWSCURRENT moves to the token (AWSPREVIOUS follows); self-hosted, AWSPENDING is removed. */
export async function finishSecret(ctx: StepContext, described?: SecretState): Promise<StepOutcome> {
  const w = where(ctx, 'finishSecret');
  const state = described ?? (await ctx.sm.describe());
  const stages = stagesOf(state, ctx.token);
  if (stages.includes(AWSCURRENT)) {
    if (!ctx.selfHosted || !stages.includes(AWSPENDING)) return alreadyCurrent(ctx, state);
    await removePending(ctx);
    return { outcome: 'done', detail: `removed AWSPENDING from version ${ctx.token}, already AWSCURRENT`, oldVersionId: holderOf(state, AWSPREVIOUS) };
  }
  requirePending(ctx, w, state);
  const oldVersionId = holderOf(state, AWSCURRENT);
  if (oldVersionId === undefined) throw stepFailure(w, 'the secret has no AWSCURRENT version', false);
  try {
    await ctx.sm.moveStage(AWSCURRENT, { to: ctx.token, from: oldVersionId });
  } catch (err) {
    // Refused because AWSCURRENT left oldVersionId: fine if a run sharing this token moved it here.
    if (!stagesOf(await ctx.sm.describe(), ctx.token).includes(AWSCURRENT)) throw err;
  }
  if (ctx.selfHosted) await removePending(ctx);
  return { outcome: 'done', detail: `AWSCURRENT moved from version ${oldVersionId} to ${ctx.token}`, oldVersionId };
}

/** Secrets Manager removes AWSPENDING after a Lambda rotation; without Lambda, this does. */
async function removePending(ctx: StepContext): Promise<void> {
  try {
    await ctx.sm.moveStage(AWSPENDING, { from: ctx.token });
  } catch (err) {
    if (stagesOf(await ctx.sm.describe(), ctx.token).includes(AWSPENDING)) throw err;
  }
}

/**
 * The step functions by name. `described` is a DescribeSecret the caller made just before (the
 * Lambda checks), saving the step its own; without it the step reads the stages itself.
 */
export const STEP_FUNCTIONS: Readonly<Record<RotationStepName, (ctx: StepContext, described?: SecretState) => Promise<StepOutcome>>> = Object.freeze({
  createSecret,
  setSecret,
  testSecret,
  finishSecret,
});
