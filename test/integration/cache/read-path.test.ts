import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { createSecretsManagerClient } from '../../../src/secrets-manager/client.js';
import { parseDocumentDbSecret } from '../../../src/credentials/parse.js';
import {
  CredstageError,
  fromSdkError,
  InvalidParameterError,
  InvalidRequestError,
  InvalidSecretFormatError,
  SecretNotFoundError,
  ServiceUnavailableError,
} from '../../../src/errors.js';
import { freePort } from '../../../tools/servers/free-port.js';
import { servers } from '../../support/servers.js';

const PASSWORD = 'Pw:/?#%&=+read-path-secret';
const clients: SecretsManagerClient[] = [];

function motoClient(): SecretsManagerClient {
  const client = createSecretsManagerClient({ endpoint: servers().moto.endpoint, region: servers().moto.region });
  clients.push(client);
  return client;
}

afterAll(() => {
  for (const client of clients) client.destroy();
});

/** A fresh secret name per test: moto is shared by every integration file. */
const secretName = () => `Applications/MyApp/Documentdb-instance/${randomUUID()}`;

async function seed(sm: SecretsManagerClient) {
  const name = secretName();
  const value = { engine: 'mongo', host: '127.0.0.1', port: 27017, username: 'app', password: PASSWORD, ssl: false };
  const v1 = (await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }))).VersionId!;
  return { name, value, v1 };
}

describe('SecretCache reading from moto', () => {
  it('reads a string secret and serves the second read from the cache', async () => {
    const sm = motoClient();
    const { name, value } = await seed(sm);
    const cache = new SecretCache({ secretsManager: sm });

    const first = await cache.getSecretString(name);
    const second = await cache.getSecretString(name);

    expect(JSON.parse(first)).toEqual(value);
    expect(second).toBe(first);
    expect(cache.stats()).toMatchObject({ fetches: 1, hits: 1, misses: 1 });
  });

  it('parses JSON once and hands it to the DocumentDB parser', async () => {
    const sm = motoClient();
    const { name, v1 } = await seed(sm);
    const cache = new SecretCache({ secretsManager: sm });

    const json = await cache.getSecretJson<{ username: string }>(name);
    const secret = parseDocumentDbSecret(await cache.getSecretVersion(name), name);

    expect(json.username).toBe('app');
    expect(Object.isFrozen(json)).toBe(true);
    expect(secret).toMatchObject({ versionId: v1, host: '127.0.0.1', port: 27017, ssl: false });
    expect(secret.password).toBe(PASSWORD);
    expect(inspect(secret)).not.toContain(PASSWORD);
  });

  it('reads a binary secret as bytes', async () => {
    const sm = motoClient();
    const name = secretName();
    const bytes = new Uint8Array([0, 1, 2, 3, 250, 251, 255]);
    await sm.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }));
    const cache = new SecretCache({ secretsManager: sm });

    const got = await cache.getSecretBinary(name);
    const asString = await cache.getSecretString(name).catch((e: unknown) => e);

    expect([...got]).toEqual([...bytes]);
    expect(asString).toBeInstanceOf(InvalidSecretFormatError);
  });

  it('reads each stage and a version id as its own entry, through a rotation', async () => {
    const sm = motoClient();
    const { name, v1 } = await seed(sm);
    const cache = new SecretCache({ secretsManager: sm });
    const pending = (
      await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'pending', VersionStages: ['AWSPENDING'], ClientRequestToken: randomUUID() }))
    ).VersionId!;

    const before = await cache.getSecretVersion(name);
    const pendingRead = await cache.getSecretString(name, { versionStage: 'AWSPENDING' });
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: pending, RemoveFromVersionId: v1 }));
    const refreshed = await cache.refresh(name);
    const previous = await cache.getSecretVersion(name, { versionStage: 'AWSPREVIOUS' });
    const byId = await cache.getSecretVersion(name, { versionId: v1 });

    expect(before.versionId).toBe(v1);
    expect(pendingRead).toBe('pending');
    expect(refreshed.versionId).toBe(pending);
    expect(refreshed.versionStages).toContain('AWSCURRENT');
    expect(previous.versionId).toBe(v1);
    expect(byId.versionId).toBe(v1);
    expect(byId.secretString).toBe(before.secretString);
    expect(cache.stats().size).toBe(4);
  });

  it('returns the metadata moto sends: arn, name, createdDate', async () => {
    const sm = motoClient();
    const { name } = await seed(sm);
    const cache = new SecretCache({ secretsManager: sm });

    const version = await cache.getSecretVersion(name);

    expect(version.name).toBe(name);
    expect(version.arn).toMatch(/^arn:aws:secretsmanager:us-east-1:\d+:secret:/);
    expect(version.createdDate).toBeInstanceOf(Date);
  });
});

describe('typed errors from moto', () => {
  it('a missing secret is SecretNotFoundError', async () => {
    const cache = new SecretCache({ secretsManager: motoClient() });

    const err = await cache.getSecretString(secretName()).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(SecretNotFoundError);
    expect((err as CredstageError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('a stage no version holds, and an unknown version id, are SecretNotFoundError naming them', async () => {
    const sm = motoClient();
    const { name } = await seed(sm);
    const cache = new SecretCache({ secretsManager: sm });
    const unknownId = randomUUID();

    const noPending = await cache.getSecretString(name, { versionStage: 'AWSPENDING' }).catch((e: unknown) => e);
    const noVersion = await cache.getSecretString(name, { versionId: unknownId }).catch((e: unknown) => e);

    expect(noPending).toBeInstanceOf(SecretNotFoundError);
    expect((noPending as Error).message).toContain('AWSPENDING');
    expect(noVersion).toBeInstanceOf(SecretNotFoundError);
    expect((noVersion as Error).message).toContain(unknownId);
  });

  it('a secret scheduled for deletion is InvalidRequestError, also for a value cached before', async () => {
    const sm = motoClient();
    const { name } = await seed(sm);
    const cache = new SecretCache({ secretsManager: sm, ttlMs: 0, random: () => 0 });
    await cache.getSecretString(name);
    await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));

    const refreshed = await cache.refresh(name).catch((e: unknown) => e);

    expect(refreshed).toBeInstanceOf(InvalidRequestError);
    expect((refreshed as CredstageError).retryable).toBe(false);
  });

  it('maps moto\'s InvalidRequestException for a stage that does not match the version id', async () => {
    const sm = motoClient();
    const { name, v1 } = await seed(sm);

    const err = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: v1, VersionStage: 'AWSPENDING' })).catch((e: unknown) => e);

    expect(fromSdkError(err, { secretId: name })).toBeInstanceOf(InvalidRequestError);
  });

  it('maps moto\'s InvalidParameterException (a label moved without RemoveFromVersionId)', async () => {
    const sm = motoClient();
    const { name } = await seed(sm);
    const pending = (await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'p', VersionStages: ['AWSPENDING'] }))).VersionId;

    const err = await sm
      .send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: pending }))
      .catch((e: unknown) => e);

    expect(fromSdkError(err, { secretId: name })).toBeInstanceOf(InvalidParameterError);
  });

  it('maps moto\'s ResourceExistsException to a non-retryable CredstageError naming it', async () => {
    const sm = motoClient();
    const { name } = await seed(sm);

    const err = await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'again' })).catch((e: unknown) => e);
    const mapped = fromSdkError(err, { secretId: name });

    expect(mapped).toMatchObject({ code: 'ERR_INVALID_REQUEST', retryable: false });
    expect(mapped.message).toContain('ResourceExistsException');
  });

  it('a closed port is a retryable ServiceUnavailableError (connection refused)', async () => {
    const port = await freePort();
    const client = createSecretsManagerClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1' });
    clients.push(client);
    const cache = new SecretCache({ secretsManager: client, maxAttempts: 2, backoff: { baseMs: 1, maxMs: 5 } });

    const err = await cache.getSecretString(secretName()).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as CredstageError).retryable).toBe(true);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('no error message or inspect output carries the secret value', async () => {
    const sm = motoClient();
    const { name } = await seed(sm);
    const cache = new SecretCache({ secretsManager: sm });

    const asBinary = await cache.getSecretBinary(name).catch((e: unknown) => e);

    expect(asBinary).toBeInstanceOf(InvalidSecretFormatError);
    expect(inspect(asBinary, { depth: 10 })).not.toContain(PASSWORD);
  });
});
