import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';

/** Version id → stages, as DescribeSecret lists them. */
export async function stagesById(sm: InMemorySecretsManager, secretId: string): Promise<Record<string, string[]>> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  return out.VersionIdsToStages ?? {};
}

/** The version holding `stage`, or undefined. */
export async function holder(sm: InMemorySecretsManager, secretId: string, stage: string): Promise<string | undefined> {
  const stages = await stagesById(sm, secretId);
  return Object.keys(stages).find((id) => stages[id]!.includes(stage));
}

/** The parsed JSON of the version holding `stage`. */
export async function valueAt(sm: InMemorySecretsManager, secretId: string, stage: string): Promise<{ username: string; password: string } & Record<string, unknown>> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
  return JSON.parse(out.SecretString as string);
}

/** How many calls that change the secret (PutSecretValue, UpdateSecretVersionStage) the fake has answered. */
export function writes(sm: InMemorySecretsManager): number {
  return sm.callCount('PutSecretValue') + sm.callCount('UpdateSecretVersionStage');
}
