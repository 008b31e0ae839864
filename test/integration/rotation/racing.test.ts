import { randomUUID } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationInProgressError } from '../../../src/errors.js';
import { rotateSecret } from '../../../src/rotation/index.js';
import { STRATEGIES, logsIn, rotatableSecret, type Engine } from './support.js';
import { holderOf, readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

const TRIALS = 4;
const ENGINES: readonly Engine[] = ['mongo', 'postgres'];

describe('racing rotations of one secret', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  it.each(ENGINES)('%s: two rotations started at once — exactly one completes, the other stops with RotationInProgressError', async (engine) => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { secretId, versionId } = await rotatableSecret(client, engine, 'single-user');
      // A live run's pending version is younger than a minute: the second run must not join it.
      const start = () => rotateSecret({ secretId, secretsManager: client, resumeAfterMs: 60_000 });

      const outcomes = await Promise.allSettled([start(), start()]);

      const done = outcomes.filter((o) => o.status === 'fulfilled');
      const stopped = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(done).toHaveLength(1);
      expect(stopped).toHaveLength(1);
      expect(stopped[0]).toBeInstanceOf(RotationInProgressError);
      expect(await holderOf(client, secretId, 'AWSPREVIOUS')).toBe(versionId);
      expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(await holderOf(client, secretId, 'AWSCURRENT')); // left on AWSCURRENT, as Secrets Manager leaves it
      expect(await logsIn((await readStage(client, secretId, 'AWSCURRENT')).value)).toBe(true);
    }
  });

  describe('replicas that share a token (moto with AWS token semantics)', () => {
    let awsLike: SecretsManagerClient;

    beforeAll(() => {
      // Stock moto lets a second PutSecretValue under a token overwrite the AWSPENDING value;
      // Secrets Manager refuses it (ResourceExistsException): scripts/moto_server.py restores that.
      awsLike = motoClient({ maxAttempts: 3 });
    });
    afterAll(() => {
      awsLike?.destroy();
    });

    const combos = ENGINES.flatMap((engine) => STRATEGIES.map((strategy) => [engine, strategy] as const));

    it.each(combos)('%s, %s: rotations started at once with one token converge on one new version', async (engine, strategy) => {
      for (let trial = 0; trial < TRIALS; trial++) {
        const { secretId, versionId } = await rotatableSecret(awsLike, engine, strategy);
        const token = randomUUID();
        const start = () => rotateSecret({ secretId, secretsManager: awsLike, clientRequestToken: token, strategy });

        const [a, b] = await Promise.all([start(), start()]);

        expect([a.newVersionId, b.newVersionId]).toEqual([token, token]);
        expect(await holderOf(awsLike, secretId, 'AWSCURRENT')).toBe(token);
        expect(await holderOf(awsLike, secretId, 'AWSPREVIOUS')).toBe(versionId);
        expect(await logsIn((await readStage(awsLike, secretId, 'AWSCURRENT')).value)).toBe(true);
      }
    });
  });
});
