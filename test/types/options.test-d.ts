import { describe, expectTypeOf, it } from 'vitest';
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SecretCache, type SecretCacheOptions } from '../../src/index.js';
import { getDocumentDbClient, type DocumentDbClientOptions } from '../../src/documentdb/index.js';
import { getRedshiftClient, getRedshiftPool, type RedshiftPoolOptions } from '../../src/redshift/index.js';
import { rotateSecret, RotationScheduler, type RotationSchedulerOptions } from '../../src/rotation/index.js';
import { InMemorySecretsManager, ManualClock } from '../../src/testing/index.js';

const sm = new InMemorySecretsManager();
const secretsManagerConfig: SecretsManagerClientConfig = { region: 'us-west-2' };
const secretId = 'app/db';

describe('mutually exclusive options are exclusive in the types', () => {
  it('takes secretsManager or secretsManagerConfig, not both', () => {
    new SecretCache({ secretsManager: sm });
    new SecretCache({ secretsManagerConfig });
    // @ts-expect-error: both ways of getting a client at once
    new SecretCache({ secretsManager: sm, secretsManagerConfig });
    // @ts-expect-error: both ways of getting a client at once
    void rotateSecret({ secretId, secretsManager: sm, secretsManagerConfig });
    // @ts-expect-error: both ways of getting a client at once
    new RotationScheduler({ secrets: [{ secretId }], secretsManager: sm, secretsManagerConfig });
  });

  it('a factory takes a cache or what builds one, not both', () => {
    const cache = new SecretCache({ secretsManager: sm });
    getRedshiftPool({ secretId, cache });
    getRedshiftPool({ secretId, secretsManager: sm });
    // @ts-expect-error: a cache has its own client
    getRedshiftPool({ secretId, cache, secretsManager: sm });
    // @ts-expect-error: a cache has its own client
    void getRedshiftClient({ secretId, cache, secretsManagerConfig });
    // @ts-expect-error: a cache has its own client
    void getDocumentDbClient({ secretId, cache, secretsManager: sm });
  });

  it('knows no 0.1 names', () => {
    // @ts-expect-error: renamed to secretsManager
    new SecretCache({ client: sm });
    // @ts-expect-error: renamed to secretsManagerConfig
    getRedshiftPool({ secretId, clientConfig: secretsManagerConfig });
    // @ts-expect-error: renamed to backoff
    new RotationScheduler({ secrets: [{ secretId }], retry: { baseMs: 1 } });
  });

  it('the same injectables on every factory', () => {
    const clock = new ManualClock();
    expectTypeOf<RedshiftPoolOptions>().toHaveProperty('clock');
    expectTypeOf<RedshiftPoolOptions>().toHaveProperty('random');
    expectTypeOf<RedshiftPoolOptions>().toHaveProperty('pgClient');
    expectTypeOf<DocumentDbClientOptions>().toHaveProperty('clock');
    expectTypeOf<SecretCacheOptions>().toHaveProperty('clock');
    expectTypeOf<RotationSchedulerOptions>().toHaveProperty('backoff');
    getRedshiftPool({ secretId, secretsManager: sm, clock, random: () => 0.5 });
    // A { now }-only clock still fits: monotonicMs and sleep are optional.
    new SecretCache({ secretsManager: sm, clock: { now: () => 0 } });
  });
});
