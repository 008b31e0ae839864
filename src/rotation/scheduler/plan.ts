import { DescribeSecretCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { v5 as uuidv5 } from 'uuid';
import { fromSdkError, InvalidOptionError, ServiceUnavailableError } from '../../errors.js';
import type { SecretsManagerLike } from '../../secrets-manager/client.js';
import { observeSecretsManager } from '../../diagnostics/publish.js';
import { parseSchedule, scheduleFromRotationRules, type RotationSchedule } from './schedule.js';

/** A fixed namespace for rotation tokens: every replica derives the same token for the same due time. */
const TOKEN_NAMESPACE = '6c1f3c55-2a7e-4f0e-9d43-3b1a6e0c2d11';

/**
 * The ClientRequestToken of the rotation due at `dueAtMs`: a name-based UUID of the secret
 * and the due time. Replicas that agree on the due time agree on the token, and Secrets
 * Manager's token idempotency keeps exactly one AWSPENDING version for it.
 *
 * @example
 * ```ts
 * rotationToken('Applications/MyApp/Redshift', Date.parse('2026-12-28T00:00:00Z'));
 * ```
 */
export function rotationToken(secretId: string, dueAtMs: number, attempt = 0): string {
  const name = `${secretId}|${new Date(dueAtMs).toISOString()}`;
  return uuidv5(attempt === 0 ? name : `${name}|${attempt}`, TOKEN_NAMESPACE);
}

/** What the scheduler knows of one secret at one moment, from Secrets Manager. */
export interface RotationFacts {
  /** When the AWSCURRENT version was created: the last rotation (or the first value). */
  lastRotatedAt: number;
  /** An AWSPENDING version that is not AWSCURRENT: a rotation started and not finished. */
  pending: { versionId: string; createdAt: number } | undefined;
  /** Versions that hold no stage: tokens that cannot be used again (an abandoned rotation's, say). */
  spentVersionIds: ReadonlySet<string>;
  schedule: RotationSchedule;
}

/** What should happen now for one secret. */
export type PlannedAction = 'wait' | 'rotate' | 'resume' | 'in-progress-elsewhere';

/** The plan for one secret: its due time, jittered start and window, and the action now. */
export interface SecretPlan {
  secretId: string;
  schedule: string;
  lastRotatedAt: Date;
  dueAt: Date;
  startAt: Date;
  windowEndsAt: Date;
  action: PlannedAction;
  /** The token a rotation would use (the pending one when resuming). */
  clientRequestToken: string;
}

/**
 * Reads a secret's rotation state: AWSCURRENT's creation date (the anchor of the schedule:
 * it exists on AWS, moto and self-hosted alike, where LastRotatedDate may not), an unfinished
 * AWSPENDING, and the schedule (configured, or the secret's RotationRules).
 */
export async function readRotationFacts(
  client: SecretsManagerLike,
  secretId: string,
  configured: RotationSchedule | undefined,
  /** A configured window, which overrides the RotationRules' Duration. */
  window?: string,
): Promise<RotationFacts> {
  client = observeSecretsManager(client); // its calls on credstage:secrets-manager:call
  try {
    let schedule = configured;
    if (!schedule) {
      const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
      const rules = described.RotationRules;
      schedule = scheduleFromRotationRules(rules && window ? { ...rules, Duration: window } : rules);
      if (!schedule) throw new InvalidOptionError('schedule', `is not set for "${secretId}" and the secret has no RotationRules`);
    }
    const versions = await listAllVersions(client, secretId);
    const current = versions.find((v) => v.VersionStages?.includes('AWSCURRENT'));
    const pending = versions.find((v) => v.VersionStages?.includes('AWSPENDING') && !v.VersionStages.includes('AWSCURRENT'));
    return {
      lastRotatedAt: current?.CreatedDate ? new Date(current.CreatedDate).getTime() : 0,
      pending: pending && { versionId: pending.VersionId, createdAt: pending.CreatedDate ? new Date(pending.CreatedDate).getTime() : 0 },
      spentVersionIds: new Set(versions.filter((v) => !v.VersionStages?.length).map((v) => v.VersionId)),
      schedule,
    };
  } catch (err) {
    throw err instanceof InvalidOptionError ? err : fromSdkError(err, { secretId });
  }
}

interface ListedVersion {
  VersionId: string;
  VersionStages?: string[];
  CreatedDate?: Date;
}

/** AWS's largest page; a secret holds at most about 100 versions, so this is nearly always one call. */
const LIST_PAGE_SIZE = 100;
/** More pages than any secret can fill: past this, the service is repeating itself. */
const MAX_LIST_PAGES = 50;

/**
 * Every version of the secret, deprecated ones included, over as many ListSecretVersionIds pages
 * as it takes: AWSCURRENT or AWSPENDING may be on any page, and missing either one would anchor
 * the schedule at 1970 or start a second rotation beside an unfinished one.
 */
async function listAllVersions(client: SecretsManagerLike, secretId: string): Promise<ListedVersion[]> {
  const versions: ListedVersion[] = [];
  const seenTokens = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 1; ; page++) {
    const input = { SecretId: secretId, IncludeDeprecated: true, MaxResults: LIST_PAGE_SIZE, ...(nextToken === undefined ? {} : { NextToken: nextToken }) };
    const listed = await client.send(new ListSecretVersionIdsCommand(input));
    versions.push(...((listed?.Versions ?? []) as ListedVersion[]));
    nextToken = typeof listed?.NextToken === 'string' && listed.NextToken !== '' ? listed.NextToken : undefined;
    if (nextToken === undefined) return versions;
    if (seenTokens.has(nextToken) || page >= MAX_LIST_PAGES) {
      throw new ServiceUnavailableError({ secretId, detail: `ListSecretVersionIds still answered a NextToken after ${page} pages` });
    }
    seenTokens.add(nextToken);
  }
}

/** Inputs of {@link planSecret} other than the secret's state. */
export interface PlanContext {
  nowMs: number;
  /** U[0, 1): where in the first half of the window this process starts. */
  jitter: number;
  /** A younger AWSPENDING than this, under a token not derived here, is taken to be another run under way. */
  inProgressGraceMs: number;
  /** The token of a rotation this process started and has not finished: always resumed. */
  ownToken?: string | undefined;
}

/**
 * Decides what to do for one secret now. A rotation starts at a jittered point in the first
 * half of its window (the second half leaves room for retries). An unfinished AWSPENDING is
 * resumed with its own token: at once when that is the token derived for the current due time
 * (this deployment's own rotation, e.g. left by this scheduler before a restart), otherwise only
 * once it is older than `inProgressGraceMs` (until then a manual run is most likely running it).
 */
export function planSecret(secretId: string, state: RotationFacts, context: PlanContext): SecretPlan {
  const { nowMs, jitter, inProgressGraceMs, ownToken } = context;
  const { schedule } = state;
  const dueAt = schedule.nextDueAfter(state.lastRotatedAt);
  const startAt = dueAt + Math.floor(jitter * (schedule.windowMs / 2));
  // A rotation abandoned by hand (its AWSPENDING label removed to start over) leaves its token's
  // version behind with no stage, and a token's version can never take another value: take the
  // next token of the same due time. Every replica sees the same versions, so they still agree.
  let token = rotationToken(secretId, dueAt);
  for (let attempt = 1; state.spentVersionIds.has(token); attempt++) token = rotationToken(secretId, dueAt, attempt);
  let action: PlannedAction = nowMs >= startAt ? 'rotate' : 'wait';
  let clientRequestToken = token;
  if (state.pending) {
    clientRequestToken = state.pending.versionId;
    // A pending version under the token derived here is this deployment's own rotation (this
    // process before a restart, or a replica converging on the same version): joining it is
    // what the shared token is for, so it is resumed at once. The grace period is for runs
    // under tokens no scheduler of this config derives (a manual `credstage rotate`, say).
    const ours = state.pending.versionId === token || state.pending.versionId === ownToken;
    const young = nowMs - state.pending.createdAt < inProgressGraceMs;
    action = young && !ours ? 'in-progress-elsewhere' : 'resume';
  }
  return {
    secretId,
    schedule: schedule.expression,
    lastRotatedAt: new Date(state.lastRotatedAt),
    dueAt: new Date(dueAt),
    startAt: new Date(startAt),
    windowEndsAt: new Date(dueAt + schedule.windowMs),
    action,
    clientRequestToken,
  };
}

/** Parses a configured schedule, or leaves it to the secret's RotationRules. */
export function configuredSchedule(schedule: string | undefined, window: string | undefined): RotationSchedule | undefined {
  return schedule === undefined ? undefined : parseSchedule(schedule, window);
}
