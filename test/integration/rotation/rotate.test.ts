import { randomUUID } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSecret, runRotationStep, ROTATION_STEPS } from '../../../src/rotation/index.js';
import { ENGINES, STRATEGIES, logsIn, readsGrantedTable, rotatableSecret } from './support.js';
import { holderOf, readStage, stagesOf } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

describe('rotation engine against moto, FerretDB and PostgreSQL', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  describe.each(ENGINES)('%s', (engine) => {
    it.each(STRATEGIES)('%s: completes; AWSCURRENT logs in and AWSPREVIOUS holds the old version', async (strategy) => {
      const { secretId, username, password, versionId } = await rotatableSecret(client, engine, strategy);

      const result = await rotateSecret({ secretId, secretsManager: client, strategy });

      const current = await readStage(client, secretId, 'AWSCURRENT');
      const previous = await readStage(client, secretId, 'AWSPREVIOUS');
      expect(current.versionId).toBe(result.newVersionId);
      expect(previous.versionId).toBe(versionId);
      expect(previous.value.password).toBe(password);
      expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(await holderOf(client, secretId, 'AWSCURRENT')); // left on AWSCURRENT, as Secrets Manager leaves it
      expect(await logsIn(current.value)).toBe(true);
      if (strategy === 'single-user') {
        expect(current.value.username).toBe(username);
        expect(await logsIn(previous.value)).toBe(false);
      } else {
        expect(current.value.username).toBe(`${username}_clone`);
        // The user in AWSPREVIOUS keeps working until the next rotation.
        expect(await logsIn(previous.value)).toBe(true);
        if (engine !== 'mongo') expect(await readsGrantedTable(current.value, username)).toBe(true);
      }
    });

    it('alternating-users: the second rotation re-passwords the original user and both rotations log in', async () => {
      const { secretId, username } = await rotatableSecret(client, engine, 'alternating-users');
      await rotateSecret({ secretId, secretsManager: client, strategy: 'alternating-users' });
      const clone = await readStage(client, secretId, 'AWSCURRENT');

      await rotateSecret({ secretId, secretsManager: client, strategy: 'alternating-users' });

      const current = await readStage(client, secretId, 'AWSCURRENT');
      expect(current.value.username).toBe(username);
      expect(await logsIn(current.value)).toBe(true);
      expect(await logsIn(clone.value)).toBe(true);
    });

    it('runs each step twice in a row, the second run changing nothing', async () => {
      const { secretId } = await rotatableSecret(client, engine, 'single-user');
      const token = randomUUID();
      const options = { secretsManager: client, selfHosted: true };

      for (const Step of ROTATION_STEPS) {
        await runRotationStep({ SecretId: secretId, ClientRequestToken: token, Step }, options);
        const stagesBefore = await stagesOf(client, secretId);
        const pendingBefore = await readStage(client, secretId, Step === 'finishSecret' ? 'AWSCURRENT' : 'AWSPENDING');

        const again = await runRotationStep({ SecretId: secretId, ClientRequestToken: token, Step }, options);

        expect(again.outcome).toBe(Step === 'testSecret' ? 'done' : 'skipped');
        expect(await stagesOf(client, secretId)).toEqual(stagesBefore);
        const pendingAfter = await readStage(client, secretId, Step === 'finishSecret' ? 'AWSCURRENT' : 'AWSPENDING');
        expect(pendingAfter.value.password).toBe(pendingBefore.value.password);
        expect(await logsIn(pendingAfter.value)).toBe(Step !== 'createSecret');
      }
    });
  });
});

describe('DocumentDB rotation over plaintext ("ssl": false)', () => {
  const client = motoClient({ maxAttempts: 3 });
  afterAll(() => client.destroy());

  it.each(STRATEGIES)('%s: reports exactly one warning, on setSecret, that the new password went without TLS, naming no password', async (strategy) => {
    const { secretId, password } = await rotatableSecret(client, 'mongo', strategy);
    const reports: Array<{ step: string; warning?: string }> = [];

    await rotateSecret({ secretId, secretsManager: client, strategy, onStep: (r) => reports.push(r) });

    const warned = reports.filter((r) => r.warning !== undefined);
    expect(warned).toHaveLength(1);
    expect(warned[0]!.step).toBe('setSecret');
    expect(warned[0]!.warning).toMatch(/without TLS because the secret says "ssl": false/);
    const current = await readStage(client, secretId, 'AWSCURRENT');
    for (const secret of [password, current.value.password]) expect(JSON.stringify(reports)).not.toContain(secret);
  });
});
