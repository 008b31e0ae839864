import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeServiceError, InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { PUNCTUATION } from '../../../src/testing/random-password.js';

const ID = 'Applications/MyApp/Documentdb-instance';
const TOKEN = '11111111-2222-3333-4444-555555555555';

async function withSecret(value = 'v1') {
  const sm = new InMemorySecretsManager();
  const created = await sm.send(new CreateSecretCommand({ Name: ID, SecretString: value }));
  return { sm, v1: created.VersionId as string, arn: created.ARN as string };
}

async function stages(sm: InMemorySecretsManager): Promise<Record<string, string[]>> {
  return (await sm.send(new DescribeSecretCommand({ SecretId: ID }))).VersionIdsToStages;
}

async function rejection(promise: Promise<unknown>): Promise<FakeServiceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FakeServiceError);
  return err as FakeServiceError;
}

describe('InMemorySecretsManager stages', () => {
  it('gives a new secret one version holding AWSCURRENT', async () => {
    const { sm, v1, arn } = await withSecret();

    const out = await sm.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'AWSCURRENT' }));

    expect(out).toMatchObject({ ARN: arn, Name: ID, VersionId: v1, SecretString: 'v1', VersionStages: ['AWSCURRENT'] });
    expect(await stages(sm)).toEqual({ [v1]: ['AWSCURRENT'] });
  });

  it('moves AWSPREVIOUS along when AWSCURRENT moves, leaving the oldest version without labels', async () => {
    const { sm, v1 } = await withSecret();

    const v2 = (await sm.send(new PutSecretValueCommand({ SecretId: ID, SecretString: 'v2' }))).VersionId;
    const afterFirst = await stages(sm);
    const v3 = (await sm.send(new PutSecretValueCommand({ SecretId: ID, SecretString: 'v3' }))).VersionId;
    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: ID }));
    const withDeprecated = await sm.send(new ListSecretVersionIdsCommand({ SecretId: ID, IncludeDeprecated: true }));

    expect(afterFirst).toEqual({ [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] });
    expect(await stages(sm)).toEqual({ [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'] });
    expect(listed.Versions.map((v: { VersionId: string }) => v.VersionId).sort()).toEqual([v2, v3].sort());
    expect(withDeprecated.Versions).toHaveLength(3);
  });

  it('finishes a rotation: AWSCURRENT moves to the pending version, AWSPREVIOUS follows, AWSPENDING can be removed', async () => {
    const { sm, v1 } = await withSecret();
    await sm.send(new PutSecretValueCommand({ SecretId: ID, SecretString: 'v2', ClientRequestToken: TOKEN, VersionStages: ['AWSPENDING'] }));

    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN, RemoveFromVersionId: v1 }));
    const moved = await stages(sm);
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN }));

    expect(moved).toEqual({ [v1]: ['AWSPREVIOUS'], [TOKEN]: ['AWSPENDING', 'AWSCURRENT'] });
    expect(await stages(sm)).toEqual({ [v1]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
    const pendingGone = await rejection(sm.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'AWSPENDING' })));
    expect(pendingGone.name).toBe('ResourceNotFoundException');
  });

  it('refuses to move a label held by another version unless RemoveFromVersionId names it', async () => {
    const { sm, v1 } = await withSecret();
    await sm.send(new PutSecretValueCommand({ SecretId: ID, SecretString: 'v2', ClientRequestToken: TOKEN, VersionStages: ['AWSPENDING'] }));

    const missing = await rejection(sm.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN })));
    const wrong = await rejection(
      sm.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN, RemoveFromVersionId: TOKEN })),
    );

    expect(missing.name).toBe('InvalidParameterException');
    expect(wrong.name).toBe('InvalidParameterException');
    expect(await stages(sm)).toEqual({ [v1]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
  });

  it('refuses to remove AWSCURRENT without moving it, and to move a label to an unknown version', async () => {
    const { sm, v1 } = await withSecret();

    const removed = await rejection(sm.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSCURRENT', RemoveFromVersionId: v1 })));
    const unknown = await rejection(
      sm.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'blue', MoveToVersionId: '99999999-0000-0000-0000-000000000000' })),
    );

    expect(removed.name).toBe('InvalidParameterException');
    expect(unknown.name).toBe('ResourceNotFoundException');
    expect(await stages(sm)).toEqual({ [v1]: ['AWSCURRENT'] });
  });

  it('keeps custom labels apart from AWSCURRENT and moves them like any label', async () => {
    const { sm, v1 } = await withSecret();
    const blue = (await sm.send(new PutSecretValueCommand({ SecretId: ID, SecretString: 'b', VersionStages: ['blue'] }))).VersionId;

    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'blue', MoveToVersionId: v1, RemoveFromVersionId: blue }));

    expect(await stages(sm)).toEqual({ [v1]: ['AWSCURRENT', 'blue'] });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'blue' }))).SecretString).toBe('v1');
  });

  it('reads a version by id, by ARN, and refuses an id whose stage does not match', async () => {
    const { sm, v1, arn } = await withSecret();

    const byId = await sm.send(new GetSecretValueCommand({ SecretId: ID, VersionId: v1 }));
    const byArn = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }));
    const mismatch = await rejection(sm.send(new GetSecretValueCommand({ SecretId: ID, VersionId: v1, VersionStage: 'AWSPENDING' })));

    expect(byId.SecretString).toBe('v1');
    expect(byArn.VersionId).toBe(v1);
    expect(mismatch.name).toBe('ResourceNotFoundException');
  });
});

describe('InMemorySecretsManager ClientRequestToken idempotency', () => {
  it('same token and same value is a no-op returning the same version', async () => {
    const { sm } = await withSecret();
    const input = { SecretId: ID, SecretString: 'v2', ClientRequestToken: TOKEN, VersionStages: ['AWSPENDING'] };

    const first = await sm.send(new PutSecretValueCommand(input));
    const before = await stages(sm);
    const again = await sm.send(new PutSecretValueCommand(input));

    expect(first.VersionId).toBe(TOKEN);
    expect(again.VersionId).toBe(TOKEN);
    expect(await stages(sm)).toEqual(before);
  });

  it('same token and another value is ResourceExistsException, and the stored value is kept', async () => {
    const { sm } = await withSecret();
    await sm.send(new PutSecretValueCommand({ SecretId: ID, SecretString: 'v2', ClientRequestToken: TOKEN, VersionStages: ['AWSPENDING'] }));

    const err = await rejection(sm.send(new PutSecretValueCommand({ SecretId: ID, SecretString: 'other', ClientRequestToken: TOKEN, VersionStages: ['AWSPENDING'] })));

    expect(err.name).toBe('ResourceExistsException');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: ID, VersionId: TOKEN }))).SecretString).toBe('v2');
  });

  it('same token and same binary value is a no-op', async () => {
    const sm = new InMemorySecretsManager();
    await sm.send(new CreateSecretCommand({ Name: ID, SecretBinary: new Uint8Array([1, 2, 3]), ClientRequestToken: TOKEN }));

    const again = await sm.send(new PutSecretValueCommand({ SecretId: ID, SecretBinary: new Uint8Array([1, 2, 3]), ClientRequestToken: TOKEN }));
    const other = await rejection(sm.send(new PutSecretValueCommand({ SecretId: ID, SecretBinary: new Uint8Array([9]), ClientRequestToken: TOKEN })));

    expect(again.VersionId).toBe(TOKEN);
    expect(other.name).toBe('ResourceExistsException');
  });
});

describe('InMemorySecretsManager errors, deletion and rotation settings', () => {
  it('shapes errors like the SDK: name, $fault and $metadata.httpStatusCode', async () => {
    const sm = new InMemorySecretsManager();

    const err = await rejection(sm.send(new GetSecretValueCommand({ SecretId: 'missing', VersionStage: 'AWSCURRENT' })));

    expect(err).toMatchObject({ name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
  });

  it('refuses a second secret with the same name', async () => {
    const { sm } = await withSecret();

    expect((await rejection(sm.send(new CreateSecretCommand({ Name: ID, SecretString: 'x' })))).name).toBe('ResourceExistsException');
  });

  it('answers InvalidRequestException for a secret scheduled for deletion, and describes it with DeletedDate', async () => {
    const { sm } = await withSecret();

    await sm.send(new DeleteSecretCommand({ SecretId: ID }));
    const read = await rejection(sm.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'AWSCURRENT' })));
    const put = await rejection(sm.send(new PutSecretValueCommand({ SecretId: ID, SecretString: 'x' })));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: ID }));

    expect(read.name).toBe('InvalidRequestException');
    expect(put.name).toBe('InvalidRequestException');
    expect(described.DeletedDate).toBeInstanceOf(Date);
  });

  it('forgets a secret deleted without recovery', async () => {
    const { sm } = await withSecret();

    await sm.send(new DeleteSecretCommand({ SecretId: ID, ForceDeleteWithoutRecovery: true }));

    expect((await rejection(sm.send(new DescribeSecretCommand({ SecretId: ID })))).name).toBe('ResourceNotFoundException');
  });

  it('records rotation settings without running a rotation', async () => {
    const { sm, v1 } = await withSecret();

    await sm.send(new RotateSecretCommand({ SecretId: ID, RotationLambdaARN: 'arn:aws:lambda:fn', RotationRules: { AutomaticallyAfterDays: 30 } }));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: ID }));

    expect(described).toMatchObject({ RotationEnabled: true, RotationLambdaARN: 'arn:aws:lambda:fn', RotationRules: { AutomaticallyAfterDays: 30 } });
    expect(await stages(sm)).toEqual({ [v1]: ['AWSCURRENT'] });
  });

  it('accepts SDK-free { name, input } commands and records every call', async () => {
    const { sm } = await withSecret();
    sm.calls.length = 0;

    await sm.send({ name: 'GetSecretValue', input: { SecretId: ID, VersionStage: 'AWSCURRENT' } });
    await sm.send(new DescribeSecretCommand({ SecretId: ID }));

    expect(sm.calls).toEqual([
      { command: 'GetSecretValue', input: { SecretId: ID, VersionStage: 'AWSCURRENT' } },
      { command: 'DescribeSecret', input: { SecretId: ID } },
    ]);
    expect(sm.callCount('GetSecretValue')).toBe(1);
  });
});

describe('InMemorySecretsManager command names', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'answers InvalidRequestException for a command named "%s" instead of running an Object.prototype member',
    async (name) => {
      const { sm } = await withSecret();

      const err = await sm.send({ name, input: { SecretId: ID } }).then(
        (value: unknown) => ({ resolved: value }),
        (e: unknown) => e,
      );

      expect(err).toMatchObject({ name: 'InvalidRequestException' });
    },
  );
});

describe('InMemorySecretsManager GetRandomPassword', () => {
  const random = async (input: Record<string, unknown>) => (await new InMemorySecretsManager().send(new GetRandomPasswordCommand(input))).RandomPassword as string;

  it('gives 32 characters with every type by default', async () => {
    const password = await random({});

    expect(password).toHaveLength(32);
    expect(password).toMatch(/[A-Z]/);
    expect(password).toMatch(/[a-z]/);
    expect(password).toMatch(/[0-9]/);
    expect([...password].some((c) => PUNCTUATION.includes(c))).toBe(true);
  });

  it('honours the length, excluded characters and excluded types', async () => {
    const passwords = await Promise.all(
      Array.from({ length: 20 }, () => random({ PasswordLength: 64, ExcludeCharacters: 'abc/@"\\', ExcludePunctuation: false, ExcludeUppercase: true })),
    );

    for (const password of passwords) {
      expect(password).toHaveLength(64);
      expect(password).not.toMatch(/[abcA-Z/@"\\]/);
    }
  });

  it('includes a space only when asked', async () => {
    const withSpace = await random({ PasswordLength: 4, ExcludeUppercase: true, ExcludeLowercase: true, ExcludeNumbers: true, ExcludePunctuation: true, IncludeSpace: true });

    expect(withSpace).toBe('    ');
  });

  it('answers InvalidParameterException when the rules leave no password', async () => {
    const sm = new InMemorySecretsManager();
    const noChars = sm.send(new GetRandomPasswordCommand({ ExcludeUppercase: true, ExcludeLowercase: true, ExcludeNumbers: true, ExcludePunctuation: true }));
    const tooShort = sm.send(new GetRandomPasswordCommand({ PasswordLength: 3 })); // four required types

    expect((await rejection(noChars)).name).toBe('InvalidParameterException');
    expect((await rejection(tooShort)).name).toBe('InvalidParameterException');
  });
});

describe('InMemorySecretsManager faults', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails the next `times` calls of one command with the named error, then answers again', async () => {
    const { sm } = await withSecret();
    sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException', times: 2 });
    const get = () => sm.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'AWSCURRENT' }));

    const first = await rejection(get());
    const second = await rejection(get());
    const describeMeanwhile = await sm.send(new DescribeSecretCommand({ SecretId: ID }));
    const third = await get();

    expect([first.name, second.name]).toEqual(['ThrottlingException', 'ThrottlingException']);
    expect(describeMeanwhile.Name).toBe(ID);
    expect(third.SecretString).toBe('v1');
  });

  it('marks InternalServiceErrorException as a server fault with HTTP 500', async () => {
    const { sm } = await withSecret();
    sm.injectFault({ error: 'InternalServiceErrorException', times: 1 });

    const err = await rejection(sm.send(new DescribeSecretCommand({ SecretId: ID })));

    expect(err).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
  });

  it('throws a given Error as it is', async () => {
    const { sm } = await withSecret();
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    sm.injectFault({ command: 'GetSecretValue', error: reset });

    await expect(sm.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'AWSCURRENT' }))).rejects.toBe(reset);
  });

  it('delays answers by delayMs, and clearFaults() ends every fault', async () => {
    vi.useFakeTimers();
    const { sm } = await withSecret();
    sm.injectFault({ command: 'GetSecretValue', delayMs: 5_000 });

    let answered = false;
    const slow = sm.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'AWSCURRENT' })).then(() => (answered = true));
    await vi.advanceTimersByTimeAsync(4_999);
    const early = answered;
    await vi.advanceTimersByTimeAsync(1);
    await slow;
    sm.clearFaults();
    const fast = await sm.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'AWSCURRENT' }));

    expect(early).toBe(false);
    expect(answered).toBe(true);
    expect(fast.SecretString).toBe('v1');
  });
});
