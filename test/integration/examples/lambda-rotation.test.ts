import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DescribeSecretCommand, RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { motoClient } from '../../support/moto.js';
import { readStage } from '../../support/stages.js';
import { leakedPasswords, LineProcess } from '../cli/support.js';
import { logsIn, rotatableSecret, type Engine, type SecretJson } from '../rotation/support.js';
import { exampleEnv } from './support.js';

const INVOKE = fileURLToPath(new URL('./fixtures/invoke-lambda.ts', import.meta.url));
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:credstage-rotation';

/**
 * What Secrets Manager does before it invokes the function's createSecret: RotationEnabled, and a
 * version for the token that holds AWSPENDING and no value yet. moto's RotateSecret sets up exactly
 * that and then fails, as no Lambda of that ARN exists in moto (it cannot run a Node function).
 */
async function startRotationLikeSecretsManager(client: SecretsManagerClient, secretId: string, token: string): Promise<void> {
  await client
    .send(new RotateSecretCommand({ SecretId: secretId, ClientRequestToken: token, RotationLambdaARN: FUNCTION_ARN, RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediately: true }))
    .catch((err: { name?: string }) => {
      if (err.name !== 'ResourceNotFoundException') throw err;
    });
  const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  // If moto changes this, the test must find another way to create the token's version: say so.
  expect(described.RotationEnabled, 'moto no longer enables rotation before invoking the Lambda').toBe(true);
  expect(described.VersionIdsToStages?.[token], "moto no longer creates the token's AWSPENDING version").toEqual(['AWSPENDING']);
}

describe('examples/lambda-rotation', () => {
  let client: SecretsManagerClient;
  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());
  afterEach(() => LineProcess.killAll());

  it.each([
    ['postgres', 'single-user'],
    ['mongo', 'single-user'],
    ['postgres', 'alternating-users'],
  ] as const)('rotates a %s secret (%s) when invoked with the four step events in order against moto', async (engine: Engine, strategy) => {
    const { secretId, password, versionId } = await rotatableSecret(client, engine, strategy);
    const token = randomUUID();
    await startRotationLikeSecretsManager(client, secretId, token);

    const run = LineProcess.start(INVOKE, [secretId, token], { env: exampleEnv({ ROTATION_STRATEGY: strategy }), killAfterMs: 90_000 });
    run.child.stdin.end();
    const { code, stdout, stderr } = await run.exited();

    expect(code, stdout + stderr).toBe(0);
    expect(run.json().filter((l) => 'invoked' in l).map((l) => l['invoked'])).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    // The function's own log: one JSON line per step, never a password.
    expect(run.json().filter((l) => 'step' in l).map((l) => [l['step'], l['outcome']])).toEqual([
      ['createSecret', 'done'],
      ['setSecret', 'done'],
      ['testSecret', 'done'],
      ['finishSecret', 'done'],
    ]);
    const current = await readStage<SecretJson>(client, secretId, 'AWSCURRENT');
    expect(current.versionId).toBe(token);
    expect(current.versionId).not.toBe(versionId);
    expect(current.value.password).not.toBe(password);
    expect(await logsIn(current.value)).toBe(true);
    expect(leakedPasswords(stdout + stderr, password, current.value.password)).toEqual([]);
  });
});
