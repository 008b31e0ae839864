/**
 * The rotation half of `credstage doctor`: how Secrets Manager rotates the secret (DescribeSecret),
 * whether a rotation was left unfinished (a leftover AWSPENDING, the "A previous rotation isn't
 * complete" trap), and for alternating users whether the master secret reads and logs in.
 * None of these stops a running app, so none is `fail` (see doctor-report.ts).
 */
import { DescribeSecretCommand, type DescribeSecretResponse } from '@aws-sdk/client-secrets-manager';
import { AccessDeniedError, SecretNotFoundError, fromSdkError } from '../errors.js';
import { parseSecretOf, type DatabaseSecret } from '../credentials/parse.js';
import type { SecretsManagerLike } from '../secrets-manager/client.js';
import { AWSCURRENT, AWSPENDING, type SecretVersion } from '../secrets-manager/secret-version.js';
import type { SecretsManagerSource } from '../secrets-manager/source.js';
import { codeOf, firstLine, readAdvice } from './doctor-advice.js';
import { remember, type CheckResult } from './doctor-report.js';

/**
 * An AWSPENDING younger than this may belong to a rotation running right now: a rotation
 * Lambda's four steps run within its timeout, at most 15 minutes.
 */
export const PENDING_MAY_BE_RUNNING_MS = 15 * 60_000;

/** What the rotation checks get from the first half of the run. */
export interface RotationCheckInput {
  readonly secretId: string;
  readonly secretsManager: SecretsManagerLike;
  readonly source: SecretsManagerSource;
  readonly current: SecretVersion | undefined;
  readonly secret: DatabaseSecret | undefined;
  /** Logs in as a secret (the adapter's); undefined when the database was not reachable. */
  readonly canLogIn: ((secret: DatabaseSecret) => Promise<boolean>) | undefined;
  readonly now: () => number;
  readonly secrets: string[];
}

/** "3 h 12 min", "45 s": an age for a person. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} days`;
}

const iso = (d: Date | undefined): string | undefined => (d instanceof Date ? d.toISOString() : d === undefined ? undefined : new Date(d).toISOString());

function rulesText(out: DescribeSecretResponse): string {
  const rules = out.RotationRules;
  if (rules === undefined) return 'no rotation rules';
  const every = rules.ScheduleExpression ?? (rules.AutomaticallyAfterDays === undefined ? undefined : `every ${rules.AutomaticallyAfterDays} days`);
  return [every ?? 'no schedule', rules.Duration === undefined ? undefined : `window ${rules.Duration}`].filter(Boolean).join(', ');
}

function describeChecks(out: DescribeSecretResponse, now: number): CheckResult[] {
  const enabled = out.RotationEnabled === true;
  const data = { rotationEnabled: enabled, rotationLambdaArn: out.RotationLambdaARN, rotationRules: out.RotationRules, kmsKeyId: out.KmsKeyId };
  const rotation: CheckResult = enabled
    ? {
        id: 'rotation',
        status: 'info',
        summary: `RotationEnabled: ${out.RotationLambdaARN === undefined ? 'managed rotation (no Lambda)' : `function ${out.RotationLambdaARN}`}; ${rulesText(out)}`,
        data,
      }
    : { id: 'rotation', status: 'info', summary: 'RotationEnabled false: Secrets Manager does not rotate this secret (a self-hosted credstage schedule may)', data };
  const last = iso(out.LastRotatedDate);
  const next = iso(out.NextRotationDate);
  const scheduleData = { lastRotatedDate: last, nextRotationDate: next };
  const lastText = last === undefined ? 'never rotated by Secrets Manager' : `last rotated ${last} (${formatAge(now - Date.parse(last))} ago)`;
  const nextText = next === undefined ? 'no next rotation date' : `next ${next}`;
  const overdue = enabled && next !== undefined && Date.parse(next) + PENDING_MAY_BE_RUNNING_MS < now;
  const schedule: CheckResult = overdue
    ? {
        id: 'schedule',
        status: 'warn',
        summary: `${lastText}; ${nextText}, which has passed: the last rotation did not run or did not finish`,
        fix: "look at the rotation function's CloudWatch logs and at \"pending\" below",
        data: scheduleData,
      }
    : { id: 'schedule', status: 'info', summary: `${lastText}; ${nextText}`, data: scheduleData };
  return [rotation, schedule];
}

async function checkDescribe(input: RotationCheckInput): Promise<CheckResult[]> {
  try {
    const out = (await input.secretsManager.send(new DescribeSecretCommand({ SecretId: input.secretId }))) as DescribeSecretResponse;
    return describeChecks(out, input.now());
  } catch (raw) {
    const err = fromSdkError(raw, { secretId: input.secretId });
    if (err instanceof AccessDeniedError) {
      const summary = 'DescribeSecret is not allowed to this identity (an app needs only GetSecretValue): run doctor as a role that may call secretsmanager:DescribeSecret to see the rotation setup';
      return [
        { id: 'rotation', status: 'info', summary, data: { code: err.code } },
        { id: 'schedule', status: 'skip', summary: 'skipped: DescribeSecret is not allowed' },
      ];
    }
    return [
      { id: 'rotation', status: 'warn', summary: `DescribeSecret failed: ${firstLine(err)}`, fix: readAdvice(err, input.secretId, 'DescribeSecret'), data: { code: err.code } },
      { id: 'schedule', status: 'skip', summary: 'skipped: DescribeSecret failed' },
    ];
  }
}

/** Whether the database takes `version`'s password, as words, or undefined when it could not be tried. */
async function logsInText(input: RotationCheckInput, version: SecretVersion): Promise<{ text: string; logsIn: boolean | undefined }> {
  if (input.canLogIn === undefined || input.secret === undefined) return { text: 'its login was not tried (the database is not reachable)', logsIn: undefined };
  let secret: DatabaseSecret;
  try {
    secret = parseSecretOf(input.secret.engine, version, input.secretId);
  } catch (err) {
    return { text: `its value is not a valid secret (${firstLine(err)})`, logsIn: undefined };
  }
  remember(input.secrets, version, secret);
  try {
    const logsIn = await input.canLogIn(secret);
    return { text: logsIn ? `the database accepts its password (user ${secret.username})` : `the database rejects its password (user ${secret.username})`, logsIn };
  } catch (err) {
    return { text: `its login failed: ${codeOf(err) ?? ''} ${firstLine(err)}`.trim(), logsIn: undefined };
  }
}

function pendingFix(secretId: string, versionId: string, alternating: boolean, logsIn: boolean | undefined): string {
  const strategy = alternating ? ' --strategy alternating-users' : '';
  const finish = `finish it: credstage rotate ${secretId} --token ${versionId}${strategy} resumes that rotation (or let its rotation function run again for it)`;
  const remove = `aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id ${versionId}`;
  const drop =
    logsIn === true && !alternating
      ? 'do not just remove the label: the database already has its password, and removing it loses that password'
      : `or, if that rotation must not go on, remove the label: ${remove}`;
  return `Secrets Manager refuses the next rotation while it is there ("A previous rotation isn't complete"); ${finish}; ${drop}`;
}

async function checkPending(input: RotationCheckInput): Promise<CheckResult> {
  // A secret that cannot be read has no AWSPENDING either: "none left" would be a pass for a check not made.
  if (input.current === undefined) return { id: 'pending', status: 'skip', summary: 'skipped: the secret could not be read' };
  let pending: SecretVersion;
  try {
    pending = await input.source.fetch(input.secretId, { versionStage: AWSPENDING });
  } catch (err) {
    if (err instanceof SecretNotFoundError) return { id: 'pending', status: 'pass', summary: 'no AWSPENDING version: no rotation left unfinished', data: { pendingVersionId: null } };
    if (err instanceof AccessDeniedError) return { id: 'pending', status: 'info', summary: `GetSecretValue AWSPENDING is not allowed: ${firstLine(err)}` };
    return { id: 'pending', status: 'warn', summary: `GetSecretValue AWSPENDING failed: ${firstLine(err)}`, fix: readAdvice(err, input.secretId), data: { code: (err as { code?: unknown }).code } };
  }
  remember(input.secrets, pending);
  if (pending.versionStages.includes(AWSCURRENT) || pending.versionId === input.current?.versionId) {
    return { id: 'pending', status: 'pass', summary: `AWSPENDING is on the AWSCURRENT version ${pending.versionId}: nothing left unfinished`, data: { pendingVersionId: pending.versionId } };
  }
  const ageMs = pending.createdDate === undefined ? undefined : input.now() - pending.createdDate.getTime();
  const age = ageMs === undefined ? 'of unknown age' : `created ${pending.createdDate?.toISOString()} (${formatAge(ageMs)} ago)`;
  const login = await logsInText(input, pending);
  const running = ageMs !== undefined && ageMs < PENDING_MAY_BE_RUNNING_MS ? ': a rotation may be running right now (run doctor again in a few minutes)' : ': a rotation started and did not finish';
  const data = { pendingVersionId: pending.versionId, createdDate: pending.createdDate?.toISOString(), ageMs, logsIn: login.logsIn };
  return {
    id: 'pending',
    status: 'warn',
    summary: `AWSPENDING is on version ${pending.versionId}, not AWSCURRENT, ${age}; ${login.text}${running}`,
    fix: pendingFix(input.secretId, pending.versionId, input.secret?.masterarn !== undefined, login.logsIn),
    data,
  };
}

async function checkMaster(input: RotationCheckInput): Promise<CheckResult> {
  const masterarn = input.secret?.masterarn;
  if (input.secret === undefined) return { id: 'master', status: 'skip', summary: 'skipped: no valid secret' };
  if (masterarn === undefined) return { id: 'master', status: 'skip', summary: 'skipped: no "masterarn" in the secret (single-user rotation)' };
  let version: SecretVersion;
  try {
    version = await input.source.fetch(masterarn, { versionStage: AWSCURRENT });
  } catch (err) {
    if (err instanceof AccessDeniedError) {
      return { id: 'master', status: 'info', summary: `this identity may not read the master secret ${masterarn} (the app need not; the rotation function's role must): run doctor as that role to check it` };
    }
    return { id: 'master', status: 'warn', summary: `the master secret ${masterarn} cannot be read: ${firstLine(err)}`, fix: readAdvice(err, masterarn) };
  }
  remember(input.secrets, version);
  let master: DatabaseSecret;
  try {
    master = parseSecretOf(input.secret.engine, version, masterarn);
  } catch (err) {
    return { id: 'master', status: 'warn', summary: `the master secret is not valid: ${firstLine(err)}`, fix: 'correct the master secret: alternating-users rotation logs in with it' };
  }
  remember(input.secrets, version, master);
  if (input.canLogIn === undefined) return { id: 'master', status: 'info', summary: `the master secret reads (user ${master.username}); its login was not tried (the database is not reachable)` };
  const fail = (why: string): CheckResult => ({
    id: 'master',
    status: 'warn',
    summary: `the master secret reads, but ${why}: alternating-users rotation will fail in setSecret`,
    fix: `put the admin user's current password in the master secret ${masterarn}`,
  });
  try {
    if (!(await input.canLogIn(master))) return fail(`the database rejects its password (user ${master.username})`);
  } catch (err) {
    return fail(`its login failed (${codeOf(err) ?? ''} ${firstLine(err)})`);
  }
  return { id: 'master', status: 'pass', summary: `the master secret reads and logs in as ${master.username}`, data: { username: master.username } };
}

/**
 * The rotation, schedule, pending and master checks, in that order.
 *
 * @example
 * ```ts
 * results.push(...(await rotationChecks({ secretId, secretsManager, source, current, secret, canLogIn, now: Date.now, secrets })));
 * ```
 */
export async function rotationChecks(input: RotationCheckInput): Promise<CheckResult[]> {
  return [...(await checkDescribe(input)), await checkPending(input), await checkMaster(input)];
}
