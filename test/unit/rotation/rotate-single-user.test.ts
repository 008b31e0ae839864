import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, RotationError, RotationInProgressError } from '../../../src/errors.js';
import { rotateSecret } from '../../../src/rotation/index.js';
import type { StepReport } from '../../../src/rotation/types.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { downError, FakeDatabase, secretIn, secretJson } from '../../support/fake-database.js';
import { writes } from './helpers.js';
import { holderOf, stagesOf, valueAt } from '../../support/stages.js';

const ID = 'Applications/MyApp/Postgres';

describe('rotateSecret, single user', () => {
  let sm: InMemorySecretsManager;
  let db: FakeDatabase;
  let initialVersion: string;

  beforeEach(async () => {
    sm = new InMemorySecretsManager();
    db = new FakeDatabase().addUser('app', 'Initial-Pw-1');
    initialVersion = await secretIn(sm, ID, secretJson());
  });

  it('moves AWSCURRENT to a new password the database accepts and keeps the old version as AWSPREVIOUS', async () => {
    const result = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });

    const current = await valueAt(sm, ID, 'AWSCURRENT');
    expect(result.newVersionId).toBe(await holderOf(sm, ID, 'AWSCURRENT'));
    expect(result.oldVersionId).toBe(initialVersion);
    expect(await holderOf(sm, ID, 'AWSPREVIOUS')).toBe(initialVersion);
    expect(await holderOf(sm, ID, 'AWSPENDING')).toBe(await holderOf(sm, ID, 'AWSCURRENT')); // left on AWSCURRENT, as Secrets Manager leaves it
    expect(db.accepts('app', current.password)).toBe(true);
    expect(db.accepts('app', 'Initial-Pw-1')).toBe(false);
    expect(current.password).not.toBe('Initial-Pw-1');
    expect(result.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['createSecret', 'done'],
      ['setSecret', 'done'],
      ['testSecret', 'done'],
      ['finishSecret', 'done'],
    ]);
  });

  it('keeps every other field of the secret in the new version', async () => {
    await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });

    const { password, ...rest } = await valueAt(sm, ID, 'AWSCURRENT');
    expect(rest).toEqual({ engine: 'postgres', host: 'db.internal', port: 5432, username: 'app', dbname: 'app' });
    expect(password).toHaveLength(32);
  });

  it('calls onStep as each step finishes, in order', async () => {
    const seen: StepReport[] = [];

    await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), onStep: (s) => seen.push(s) });

    expect(seen.map((s) => s.step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
  });

  it('is not stopped by an onStep callback that throws', async () => {
    const result = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), onStep: () => { throw new Error('listener bug'); } });

    expect(result.steps).toHaveLength(4);
  });

  it('logs in with AWSPREVIOUS when the database no longer accepts AWSCURRENT', async () => {
    await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });
    const previous = await valueAt(sm, ID, 'AWSPREVIOUS');
    db.users.get('app')!.password = previous.password; // someone restored the old password

    const result = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });

    expect(result.steps[1]!.detail).toContain('AWSPREVIOUS');
    expect(db.accepts('app', (await valueAt(sm, ID, 'AWSCURRENT')).password)).toBe(true);
  });

  it('fails setSecret without changing anything when the database accepts none of the versions', async () => {
    db.users.get('app')!.password = 'changed-by-hand';

    const err = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RotationError);
    expect((err as RotationError).step).toBe('setSecret');
    expect(db.changes).toEqual([]);
  });

  it('keeps AWSPENDING when the database is down in setSecret, and the next run resumes and completes it', async () => {
    db.up = false;

    const err = (await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.step).toBe('setSecret');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
    const pending = await holderOf(sm, ID, 'AWSPENDING');
    expect(pending).toBe(err.clientRequestToken);
    db.up = true;

    const result = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });

    expect(result.clientRequestToken).toBe(pending);
    expect(result.resumed).toBe(true);
    expect(result.steps[0]!.outcome).toBe('skipped');
    expect(db.accepts('app', (await valueAt(sm, ID, 'AWSCURRENT')).password)).toBe(true);
  });

  it('stops between steps when aborted, and the next run resumes', async () => {
    const controller = new AbortController();
    const err = (await rotateSecret({
      secretId: ID,
      secretsManager: sm,
      adapter: db.adapter(),
      signal: controller.signal,
      onStep: (s) => s.step === 'setSecret' && controller.abort(),
    }).catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.step).toBe('testSecret');
    const resumed = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });
    expect(resumed.clientRequestToken).toBe(err.clientRequestToken);
    expect(resumed.steps.map((s) => s.outcome)).toEqual(['skipped', 'skipped', 'done', 'done']);
  });

  it('is done once AWSCURRENT moved: a lost answer to the move is read back, and a resume with the token skips every step', async () => {
    let stageUpdates = 0;
    const losesAnswerToFinish = {
      send: async (command: any) => {
        const out = await sm.send(command);
        // createSecret: 1 claims AWSPENDING, 2 removes credstage-created; finishSecret: 3 moves AWSCURRENT.
        if (command.constructor.name === 'UpdateSecretVersionStageCommand' && ++stageUpdates === 3) throw downError();
        return out;
      },
    };
    const first = await rotateSecret({ secretId: ID, secretsManager: losesAnswerToFinish, adapter: db.adapter() });
    expect(first.steps[3]).toMatchObject({ step: 'finishSecret', outcome: 'done' });
    expect([...(await stagesOf(sm, ID))[first.clientRequestToken]!].sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
    const before = writes(sm);

    const resumed = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), clientRequestToken: first.clientRequestToken });

    expect(resumed.steps.map((s) => s.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(writes(sm)).toBe(before);
    expect(resumed.oldVersionId).toBe(initialVersion);
    expect(db.accepts('app', (await valueAt(sm, ID, 'AWSCURRENT')).password)).toBe(true);
  });

  it('does nothing when the given token is already AWSCURRENT, as for a replica that came second', async () => {
    const first = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });
    const before = writes(sm);

    const again = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), clientRequestToken: first.clientRequestToken });

    expect(again.steps.every((s) => s.outcome === 'skipped')).toBe(true);
    expect(again.oldVersionId).toBe(initialVersion);
    expect(writes(sm)).toBe(before);
  });

  it('refuses a token that names an earlier, finished version without writing anything', async () => {
    await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });
    const before = writes(sm);

    const err = (await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), clientRequestToken: initialVersion }).catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.step).toBe('createSecret');
    expect(err.retryable).toBe(false);
    expect(writes(sm)).toBe(before);
  });

  it('stops with RotationInProgressError before writing when another token holds AWSPENDING', async () => {
    db.up = false;
    const first = (await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e)) as RotationError;
    db.up = true;
    const before = writes(sm);

    const err = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), clientRequestToken: randomUUID() }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RotationInProgressError);
    expect((err as RotationInProgressError).pendingVersionId).toBe(first.clientRequestToken);
    expect(writes(sm)).toBe(before);
  });

  it('treats a pending rotation younger than resumeAfterMs as live and stops, an older one it resumes', async () => {
    let now = Date.now();
    const clock = { now: () => now };
    db.up = false;
    const first = (await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e)) as RotationError;
    db.up = true;

    const young = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), resumeAfterMs: 60_000, clock }).catch((e: unknown) => e);
    now += 61_000;
    const old = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), resumeAfterMs: 60_000, clock });

    expect(young).toBeInstanceOf(RotationInProgressError);
    expect(old.clientRequestToken).toBe(first.clientRequestToken);
  });

  it('refuses a password policy the engine would reject before writing anything', async () => {
    const err = await rotateSecret({
      secretId: ID,
      secretsManager: sm,
      adapter: db.adapter(),
      passwordPolicy: { length: 4 },
    }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe('passwordPolicy.length');
    expect(writes(sm)).toBe(0);
  });

  it('checks its options up front, naming the field', async () => {
    const before = sm.calls.length;

    await expect(rotateSecret({ secretId: '', secretsManager: sm })).rejects.toMatchObject({ option: 'secretId' });
    await expect(rotateSecret({ secretId: ID, secretsManager: sm, strategy: 'both' as never })).rejects.toMatchObject({ option: 'strategy' });
    await expect(rotateSecret({ secretId: ID, secretsManager: sm, clientRequestToken: 'short' })).rejects.toMatchObject({ option: 'clientRequestToken' });
    await expect(rotateSecret({ secretId: ID, secretsManager: sm, resumeAfterMs: -1 })).rejects.toMatchObject({ option: 'resumeAfterMs' });
    expect(sm.calls).toHaveLength(before);
  });

  it('refuses an AWSPENDING that names another host', async () => {
    const token = randomUUID();
    await sm.send(new PutSecretValueCommand({
      SecretId: ID,
      ClientRequestToken: token,
      SecretString: secretJson({ host: 'attacker.example', password: 'Other-Pw-123' }),
      VersionStages: ['AWSPENDING'],
    }));

    const err = (await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.step).toBe('setSecret');
    expect(err.message).toContain('attacker.example');
    expect(db.changes).toEqual([]);
  });

  it('never puts a password in an error message, its inspection or an onStep report', async () => {
    const reports: StepReport[] = [];
    const adapter = db.adapter();
    const leaky = {
      ...adapter,
      openSession: async () => {
        const pending = await valueAt(sm, ID, 'AWSPENDING');
        throw Object.assign(new Error(`driver said: bad password ${pending.password} / ${'Initial-Pw-1'}`), { code: 'XX000' });
      },
    };

    const err = (await rotateSecret({ secretId: ID, secretsManager: sm, adapter: leaky, onStep: (s) => reports.push(s) }).catch((e: unknown) => e)) as RotationError;

    const pending = await valueAt(sm, ID, 'AWSPENDING');
    const everything = `${err.message}\n${inspect(err, { depth: 10 })}\n${JSON.stringify(reports)}`;
    expect(err).toBeInstanceOf(RotationError);
    expect(everything).toContain('[redacted]');
    expect(everything).not.toContain(pending.password);
    expect(everything).not.toContain('Initial-Pw-1');
  });

  it('reports a step that failed to onStep with outcome failed', async () => {
    const reports: StepReport[] = [];
    db.up = false;

    await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), onStep: (s) => reports.push(s) }).catch(() => undefined);

    expect(reports.map((s) => [s.step, s.outcome])).toEqual([['createSecret', 'done'], ['setSecret', 'failed']]);
    expect(await stagesOf(sm, ID)).toHaveProperty(initialVersion, ['AWSCURRENT']);
  });
});
