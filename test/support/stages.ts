import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerLike } from '../../src/secrets-manager/client.js';

/** Stage-label helpers over any Secrets Manager (moto, the in-memory fake): read, never write. */

/** A database secret as the tests write them (engine names as Secrets Manager's templates spell them). */
export type DatabaseSecretJson = { engine: 'mongo' | 'redshift' | 'postgres'; host: string; port: number; username: string; password: string; masterarn?: string } & Record<string, unknown>;

/** Version id → stages, as DescribeSecret lists them. */
export async function stagesOf(sm: SecretsManagerLike, secretId: string): Promise<Record<string, string[]>> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  return (out.VersionIdsToStages ?? {}) as Record<string, string[]>;
}

/**
 * VersionIdsToStages of the versions that hold a label, each label list sorted. AWS leaves
 * deprecated (label-less) versions out; moto lists them with `[]`, so they are dropped here.
 */
export async function labelledStagesOf(sm: SecretsManagerLike, secretId: string): Promise<Record<string, string[]>> {
  const entries = Object.entries(await stagesOf(sm, secretId))
    .filter(([, labels]) => labels.length > 0)
    .map(([id, labels]) => [id, [...labels].sort()] as const);
  return Object.fromEntries(entries);
}

/** The version holding `stage`, or undefined. */
export async function holderOf(sm: SecretsManagerLike, secretId: string, stage: string): Promise<string | undefined> {
  const stages = await stagesOf(sm, secretId);
  return Object.keys(stages).find((id) => stages[id]!.includes(stage));
}

/** The version id and parsed JSON of the version holding `stage`. */
export async function readStage<T = DatabaseSecretJson>(
  sm: SecretsManagerLike,
  secretId: string,
  stage: string,
): Promise<{ versionId: string; value: T }> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
  return { versionId: out.VersionId as string, value: JSON.parse(out.SecretString as string) as T };
}

/** The parsed JSON of the version holding `stage`. */
export async function valueAt(sm: SecretsManagerLike, secretId: string, stage: string): Promise<{ username: string; password: string } & Record<string, unknown>> {
  return (await readStage<{ username: string; password: string } & Record<string, unknown>>(sm, secretId, stage)).value;
}
