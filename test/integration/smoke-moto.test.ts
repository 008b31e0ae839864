import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { motoClient } from '../support/moto.js';
import { uniqueName } from '../support/names.js';
import { stagesOf } from '../support/stages.js';

const client = motoClient({ maxAttempts: 3 });
afterAll(() => client.destroy());

async function createSecret(value: string): Promise<{ name: string; versionId: string }> {
  const name = uniqueName('credstage/smoke');
  const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return { name, versionId: created.VersionId! };
}

async function putPending(name: string, value: string): Promise<string> {
  const token = randomUUID();
  await client.send(
    new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken: token, VersionStages: ['AWSPENDING'] }),
  );
  return token;
}

async function promote(name: string, from: string, to: string): Promise<void> {
  await client.send(
    new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: to, RemoveFromVersionId: from }),
  );
}

const getStage = (name: string, stage: string) =>
  client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }));

describe('moto (Secrets Manager API on loopback)', () => {
  it('returns the value of the stage that GetSecretValue names', async () => {
    const { name, versionId } = await createSecret('{"password":"one"}');

    const current = await getStage(name, 'AWSCURRENT');

    expect(current.SecretString).toBe('{"password":"one"}');
    expect(current.VersionId).toBe(versionId);
    expect(current.VersionStages).toEqual(['AWSCURRENT']);
  });

  it('keeps a value put with VersionStages [AWSPENDING] out of AWSCURRENT', async () => {
    const { name, versionId } = await createSecret('one');

    const pendingId = await putPending(name, 'two');

    expect((await getStage(name, 'AWSCURRENT')).VersionId).toBe(versionId);
    const pending = await getStage(name, 'AWSPENDING');
    expect(pending.VersionId).toBe(pendingId);
    expect(pending.SecretString).toBe('two');
  });

  it('moves AWSPREVIOUS to the version that AWSCURRENT left, rotation after rotation', async () => {
    const { name, versionId: v1 } = await createSecret('one');
    const v2 = await putPending(name, 'two');

    await promote(name, v1, v2);

    let stages = await stagesOf(client, name);
    expect(stages[v2]).toContain('AWSCURRENT');
    expect(stages[v1]).toEqual(['AWSPREVIOUS']);
    expect((await getStage(name, 'AWSCURRENT')).SecretString).toBe('two');

    const v3 = await putPending(name, 'three');
    await promote(name, v2, v3);

    stages = await stagesOf(client, name);
    expect(stages[v3]).toContain('AWSCURRENT');
    expect(stages[v2]).toEqual(['AWSPREVIOUS']);
    expect(stages[v1] ?? []).not.toContain('AWSPREVIOUS');
    expect((await getStage(name, 'AWSPREVIOUS')).SecretString).toBe('two');
  });

  it('answers a GetSecretValue without VersionStage with the new AWSCURRENT after a stage move', async () => {
    // Plain moto keeps answering with the old version here; scripts/moto_server.py fixes that.
    const { name, versionId: v1 } = await createSecret('one');
    const v2 = await putPending(name, 'two');

    await promote(name, v1, v2);

    const unstaged = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(unstaged.VersionId).toBe(v2);
    expect(unstaged.SecretString).toBe('two');
  });

  it('lists each version with the time it was created, not the time of the call', async () => {
    // Plain moto reports the call's time as every CreatedDate; scripts/moto_server.py fixes that.
    const { name, versionId } = await createSecret('one');
    const read = await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }));
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // moto keeps whole seconds

    const listed = await client.send(new ListSecretVersionIdsCommand({ SecretId: name }));

    const version = listed.Versions!.find((v) => v.VersionId === versionId)!;
    expect(version.CreatedDate!.getTime()).toBe(read.CreatedDate!.getTime());
  });

  it('answers ListSecretVersionIds for an unknown secret with ResourceNotFoundException', async () => {
    const failure = await client.send(new ListSecretVersionIdsCommand({ SecretId: uniqueName('credstage/smoke') })).catch((err: unknown) => err);
    expect((failure as Error).name).toBe('ResourceNotFoundException');
  });
});
