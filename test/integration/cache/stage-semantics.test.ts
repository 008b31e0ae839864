import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { motoClient } from '../../support/moto.js';
import { labelledStagesOf } from '../../support/stages.js';

/**
 * One list of Secrets Manager stage-semantics cases, run against moto and against
 * InMemorySecretsManager. Every case states AWS's behaviour. Where moto deviates from AWS
 * (DESIGN.md section 5), the case says so and is written the way AWS needs it; a deviation
 * that cannot be written around is checked on moto as what it is (`onMoto`), so an upgrade
 * that fixes it shows up here.
 */
interface StageCase {
  name: string;
  run(sm: SecretsManagerLike, secretName: string): Promise<void>;
  /** moto's known deviation from AWS for this case, checked instead of `run`. */
  onMoto?: { deviation: string; run(sm: SecretsManagerLike, secretName: string): Promise<void> };
}

const backends: Array<[string, () => SecretsManagerLike]> = [
  ['moto', () => motoClient()],
  ['InMemorySecretsManager', () => new InMemorySecretsManager()],
];

const token = () => randomUUID();

async function create(sm: SecretsManagerLike, name: string, value = 'v1'): Promise<string> {
  return (await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }))).VersionId;
}

async function put(sm: SecretsManagerLike, name: string, value: string, stages?: string[], clientRequestToken = token()): Promise<string> {
  const out = await sm.send(
    new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken: clientRequestToken, VersionStages: stages }),
  );
  return out.VersionId;
}

// moto answers GetSecretValue without VersionStage from its own "default version", which a
// stage move does not update (DESIGN.md section 5); AWS answers AWSCURRENT. Every read names it.
async function read(sm: SecretsManagerLike, name: string, stage: string): Promise<{ VersionId: string; SecretString?: string }> {
  return sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }));
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'no error',
    (err: { name?: string }) => err.name ?? 'unnamed',
  );
}

const cases: StageCase[] = [
  {
    name: 'a new secret has one version, holding AWSCURRENT',
    async run(sm, name) {
      const v1 = await create(sm, name);
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSCURRENT'] });
      expect(await read(sm, name, 'AWSCURRENT')).toMatchObject({ VersionId: v1, SecretString: 'v1', VersionStages: ['AWSCURRENT'] });
    },
  },
  {
    name: 'PutSecretValue without stages moves AWSCURRENT to the new version and AWSPREVIOUS to the old one',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const v2 = await put(sm, name, 'v2');
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] });
      expect((await read(sm, name, 'AWSCURRENT')).SecretString).toBe('v2');
      expect((await read(sm, name, 'AWSPREVIOUS')).SecretString).toBe('v1');
    },
  },
  {
    name: 'a third AWSCURRENT leaves the first version without labels (deprecated) but readable by id',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const v2 = await put(sm, name, 'v2');
      const v3 = await put(sm, name, 'v3');
      expect(await labelledStagesOf(sm, name)).toEqual({ [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'] });
      const old = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: v1 }));
      expect(old.SecretString).toBe('v1');
    },
  },
  {
    name: 'PutSecretValue with AWSPENDING leaves AWSCURRENT where it is; each stage reads its own value',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const pending = await put(sm, name, 'v2', ['AWSPENDING']);
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });
      expect((await read(sm, name, 'AWSCURRENT')).SecretString).toBe('v1');
      expect((await read(sm, name, 'AWSPENDING')).SecretString).toBe('v2');
    },
  },
  {
    name: 'finishing a rotation moves AWSCURRENT to the pending version; AWSPREVIOUS follows; AWSPENDING is then removed',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const pending = await put(sm, name, 'v2', ['AWSPENDING']);
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: pending, RemoveFromVersionId: v1 }));
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSPREVIOUS'], [pending]: ['AWSCURRENT', 'AWSPENDING'] });
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending }));
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSPREVIOUS'], [pending]: ['AWSCURRENT'] });
      expect((await read(sm, name, 'AWSCURRENT')).SecretString).toBe('v2');
      expect(await errorName(read(sm, name, 'AWSPENDING'))).toBe('ResourceNotFoundException');
    },
  },
  {
    name: 'moving AWSCURRENT without naming its holder in RemoveFromVersionId fails and changes nothing',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const pending = await put(sm, name, 'v2', ['AWSPENDING']);
      const move = sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: pending }));
      expect(await errorName(move)).toBe('InvalidParameterException');
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });
    },
  },
  {
    // moto lets a custom label be attached without RemoveFromVersionId and then lists it twice;
    // AWS requires RemoveFromVersionId for any label held elsewhere, so the move names it.
    name: 'a custom label is its own stage and moves with RemoveFromVersionId',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const blue = await put(sm, name, 'b', ['blue']);
      expect((await read(sm, name, 'blue')).SecretString).toBe('b');
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'blue', MoveToVersionId: v1, RemoveFromVersionId: blue }));
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSCURRENT', 'blue'] });
      expect((await read(sm, name, 'blue')).VersionId).toBe(v1);
    },
  },
  {
    name: 'the ClientRequestToken becomes the VersionId, and repeating it with the same value is a no-op',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const t = token();
      expect(await put(sm, name, 'v2', ['AWSPENDING'], t)).toBe(t);
      expect(await put(sm, name, 'v2', ['AWSPENDING'], t)).toBe(t);
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSCURRENT'], [t]: ['AWSPENDING'] });
    },
  },
  {
    name: 'repeating a ClientRequestToken with another value is ResourceExistsException and keeps the first value',
    async run(sm, name) {
      await create(sm, name);
      const t = token();
      await put(sm, name, 'v2', ['AWSPENDING'], t);
      expect(await errorName(put(sm, name, 'other', ['AWSPENDING'], t))).toBe('ResourceExistsException');
      expect((await read(sm, name, 'AWSPENDING')).SecretString).toBe('v2');
    },
    // Stock moto accepts the second value and overwrites the version; scripts/moto_server.py
    // restores AWS's ResourceExistsException, so both backends run the AWS case.
  },
  {
    name: 'a stage no version holds, an unknown version id and an unknown secret are ResourceNotFoundException',
    async run(sm, name) {
      await create(sm, name);
      expect(await errorName(read(sm, name, 'AWSPENDING'))).toBe('ResourceNotFoundException');
      expect(await errorName(sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: randomUUID() })))).toBe('ResourceNotFoundException');
      expect(await errorName(read(sm, `${name}-missing`, 'AWSCURRENT'))).toBe('ResourceNotFoundException');
    },
  },
  {
    name: 'a secret scheduled for deletion answers reads with InvalidRequestException and is still described',
    async run(sm, name) {
      await create(sm, name);
      await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
      expect(await errorName(read(sm, name, 'AWSCURRENT'))).toBe('InvalidRequestException');
      expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).DeletedDate).toBeInstanceOf(Date);
    },
  },
  {
    name: 'a secret deleted without recovery is ResourceNotFoundException',
    async run(sm, name) {
      await create(sm, name);
      await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
      expect(await errorName(read(sm, name, 'AWSCURRENT'))).toBe('ResourceNotFoundException');
    },
  },
  {
    name: 'a binary secret round-trips byte for byte',
    async run(sm, name) {
      const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
      await sm.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }));
      const out = await read(sm, name, 'AWSCURRENT');
      expect(out.SecretString).toBeUndefined();
      expect([...(out as unknown as { SecretBinary: Uint8Array }).SecretBinary]).toEqual([...bytes]);
    },
  },
  {
    name: 'the ARN works wherever the name does',
    async run(sm, name) {
      const created = await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
      const out = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: 'AWSCURRENT' }));
      expect(out).toMatchObject({ Name: name, VersionId: created.VersionId, SecretString: 'v1' });
    },
  },
  {
    // What createSecret's claim of AWSPENDING relies on. moto 5.2.1 checks only AWSCURRENT; the
    // test setup's launcher (scripts/moto_server.py) applies AWS's rule to every label.
    name: 'UpdateSecretVersionStage refuses to move a label another version holds unless RemoveFromVersionId names that version',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const first = await put(sm, name, 'v2', ['AWSPENDING']);
      const second = await put(sm, name, 'v3', ['credstage-created']);
      expect(await errorName(sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', MoveToVersionId: second })))).toBe(
        'InvalidParameterException',
      );
      expect(await errorName(sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', MoveToVersionId: second, RemoveFromVersionId: v1 })))).toBe(
        'InvalidParameterException',
      );
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSCURRENT'], [first]: ['AWSPENDING'], [second]: ['credstage-created'] });
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', MoveToVersionId: first }));
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', MoveToVersionId: second, RemoveFromVersionId: first }));
      expect(await labelledStagesOf(sm, name)).toEqual({ [v1]: ['AWSCURRENT'], [second]: ['AWSPENDING', 'credstage-created'] });
    },
  },
  {
    // moto also lists deprecated versions without IncludeDeprecated; AWS does not. Only labelled
    // versions are compared.
    name: 'ListSecretVersionIds lists the labelled versions with their stages',
    async run(sm, name) {
      const v1 = await create(sm, name);
      const pending = await put(sm, name, 'v2', ['AWSPENDING']);
      const out = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name }));
      const listed = Object.fromEntries(
        (out.Versions as Array<{ VersionId: string; VersionStages: string[] }>)
          .filter((v) => v.VersionStages.length > 0)
          .map((v) => [v.VersionId, v.VersionStages]),
      );
      expect(listed).toEqual({ [v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });
    },
  },
];

describe.each(backends)('stage semantics on %s', (backend, makeClient) => {
  for (const c of cases) {
    const deviation = backend === 'moto' ? c.onMoto : undefined;
    const title = deviation ? `${c.name} (moto deviates: ${deviation.deviation})` : c.name;
    it(title, async () => {
      const sm = makeClient();
      const name = `conformance/${randomUUID()}`;
      try {
        await (deviation ?? c).run(sm, name);
      } finally {
        sm.destroy?.();
      }
    });
  }
});
