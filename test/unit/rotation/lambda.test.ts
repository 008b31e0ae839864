import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, RotationError } from '../../../src/errors.js';
import { createRotationHandler, runRotationStep, ROTATION_STEPS } from '../../../src/rotation/index.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { FakeDatabase, secretIn, secretJson } from '../../support/fake-database.js';
import { writes } from './helpers.js';
import { holderOf, stagesOf, valueAt } from '../../support/stages.js';

const ID = 'Applications/MyApp/Postgres';

describe('runRotationStep', () => {
  let sm: InMemorySecretsManager;
  let db: FakeDatabase;
  let initialVersion: string;

  beforeEach(async () => {
    sm = new InMemorySecretsManager();
    db = new FakeDatabase().addUser('app', 'Initial-Pw-1');
    initialVersion = await secretIn(sm, ID, secretJson());
  });

  const event = (Step: string, ClientRequestToken: string) => ({ SecretId: ID, ClientRequestToken, Step });

  it('runs each step twice in a row with the second run changing nothing', async () => {
    const token = randomUUID();
    const options = { secretsManager: sm, adapter: db.adapter(), selfHosted: true };
    for (const step of ROTATION_STEPS) {
      await runRotationStep(event(step, token), options);
      const writesBefore = writes(sm);
      const changesBefore = db.changes.length;
      const stagesBefore = await stagesOf(sm, ID);

      const again = await runRotationStep(event(step, token), options);

      // testSecret only reads: running it again is a second test, not a change.
      expect(again.outcome).toBe(step === 'testSecret' ? 'done' : 'skipped');
      expect(writes(sm)).toBe(writesBefore);
      expect(db.changes).toHaveLength(changesBefore);
      expect(await stagesOf(sm, ID)).toEqual(stagesBefore);
    }
    expect(await holderOf(sm, ID, 'AWSCURRENT')).toBe(token);
  });

  it('refuses a secret without rotation enabled, as AWS templates do, unless told not to check', async () => {
    const token = randomUUID();

    const refused = await runRotationStep(event('createSecret', token), { secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e);
    const allowed = await runRotationStep(event('createSecret', token), {
      secretsManager: sm,
      adapter: db.adapter(),
      selfHosted: true,
      requireRotationEnabled: false,
    });

    expect(refused).toBeInstanceOf(RotationError);
    expect((refused as RotationError).message).toContain('RotationEnabled');
    expect(allowed.outcome).toBe('done');
  });

  describe('invoked as a Lambda (rotation enabled)', () => {
    beforeEach(async () => {
      await sm.send(new RotateSecretCommand({ SecretId: ID, RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:rotate' }));
    });

    it('refuses a token that is no version of the secret', async () => {
      const err = await runRotationStep(event('setSecret', randomUUID()), { secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(RotationError);
      expect((err as RotationError).message).toContain('has no stage for rotation');
    });

    it('does nothing for a token that is already AWSCURRENT', async () => {
      const report = await runRotationStep(event('setSecret', initialVersion), { secretsManager: sm, adapter: db.adapter() });

      expect(report.outcome).toBe('skipped');
      expect(writes(sm)).toBe(0);
    });

    it('refuses a token whose version is not AWSPENDING', async () => {
      const token = randomUUID();
      await sm.send(new PutSecretValueCommand({ SecretId: ID, ClientRequestToken: token, SecretString: secretJson(), VersionStages: ['CUSTOM'] }));

      const err = await runRotationStep(event('finishSecret', token), { secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(RotationError);
      expect((err as RotationError).message).toContain('not set as AWSPENDING');
    });

    it('rotates through the handler and leaves removing AWSPENDING to Secrets Manager', async () => {
      const token = randomUUID();
      // Secrets Manager creates the token's AWSPENDING version before it invokes the function;
      // here a self-hosted createSecret stands in for that.
      await runRotationStep(event('createSecret', token), { secretsManager: sm, adapter: db.adapter(), selfHosted: true });
      const handler = createRotationHandler({ secretsManager: sm, adapter: db.adapter() });

      for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await handler(event(step, token));

      expect((await stagesOf(sm, ID))[token]).toEqual(expect.arrayContaining(['AWSCURRENT', 'AWSPENDING']));
      expect(await holderOf(sm, ID, 'AWSPREVIOUS')).toBe(initialVersion);
      expect(db.accepts('app', (await valueAt(sm, ID, 'AWSCURRENT')).password)).toBe(true);
    });

    it('reads the stages once for testSecret and finishSecret: the checks\' DescribeSecret serves the step', async () => {
      const token = randomUUID();
      await runRotationStep(event('createSecret', token), { secretsManager: sm, adapter: db.adapter(), selfHosted: true });
      const handler = createRotationHandler({ secretsManager: sm, adapter: db.adapter() });
      await handler(event('setSecret', token));
      const describes: number[] = [];

      for (const step of ['testSecret', 'finishSecret']) {
        const before = sm.callCount('DescribeSecret');
        await handler(event(step, token));
        describes.push(sm.callCount('DescribeSecret') - before);
      }

      expect(describes).toEqual([1, 1]);
      expect(await holderOf(sm, ID, 'AWSCURRENT')).toBe(token);
    });
  });

  it('checks a handler\'s options when it is made, and each event when it arrives', async () => {
    expect(() => createRotationHandler({ secretsManager: sm, strategy: 'nope' as never })).toThrow(InvalidOptionError);
    const handler = createRotationHandler({ secretsManager: sm, adapter: db.adapter() });

    await expect(handler(event('rotateEverything', randomUUID()))).rejects.toMatchObject({ option: 'event.Step' });
    await expect(handler(event('setSecret', 'x'))).rejects.toMatchObject({ option: 'event.ClientRequestToken' });
  });
});
