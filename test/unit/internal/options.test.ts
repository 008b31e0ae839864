import { describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { DbCredentials } from '../../../src/credentials/db-credentials.js';
import { parseRedshiftSecret } from '../../../src/credentials/parse.js';
import { getDocumentDbClient } from '../../../src/documentdb/get-client.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { getRedshiftClient } from '../../../src/redshift/client.js';
import { getRedshiftPool } from '../../../src/redshift/pool.js';
import { createRotationHandler, runRotationStep } from '../../../src/rotation/lambda.js';
import { rotateSecret } from '../../../src/rotation/rotate.js';
import { RotationScheduler } from '../../../src/rotation/scheduler/scheduler.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';

const sm = new InMemorySecretsManager();
const secretId = 'Applications/MyApp/Db';
const token = 'a'.repeat(32);
const event = { SecretId: secretId, ClientRequestToken: token, Step: 'createSecret' };
const secrets = [{ secretId, schedule: 'rate(30 days)' }];

/** Every public options object, called with `extra` on top of valid options. */
const apis: Array<[string, (extra: object) => unknown]> = [
  ['SecretCache', (extra) => new SecretCache(extra as never)],
  ['DbCredentials', (extra) => new DbCredentials({ cache: new SecretCache({ secretsManager: sm }), secretId, parse: parseRedshiftSecret, ...extra } as never)],
  ['getRedshiftPool', (extra) => getRedshiftPool({ secretId, ...extra } as never)],
  ['getRedshiftClient', (extra) => getRedshiftClient({ secretId, ...extra } as never)],
  ['getDocumentDbClient', (extra) => getDocumentDbClient({ secretId, ...extra } as never)],
  ['rotateSecret', (extra) => rotateSecret({ secretId, ...extra } as never)],
  ['runRotationStep', (extra) => runRotationStep(event, extra as never)],
  ['createRotationHandler', (extra) => createRotationHandler(extra as never)],
  ['RotationScheduler', (extra) => new RotationScheduler({ secrets, ...extra } as never)],
];

async function optionError(call: () => unknown): Promise<InvalidOptionError> {
  try {
    await call();
  } catch (err) {
    if (err instanceof InvalidOptionError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('one option vocabulary', () => {
  const clientApis = apis.filter(([name]) => name !== 'DbCredentials');
  it.each(clientApis)('%s refuses the 0.1 name "client", naming its new name secretsManager', async (_name, call) => {
    const err = await optionError(() => call({ client: sm }));
    expect(err.option).toBe('client');
    expect(err.message).toContain('was renamed to "secretsManager"');
  });

  it.each(clientApis)('%s refuses the 0.1 name "clientConfig", naming its new name secretsManagerConfig', async (_name, call) => {
    const err = await optionError(() => call({ clientConfig: { region: 'us-east-1' } }));
    expect(err.option).toBe('clientConfig');
    expect(err.message).toContain('was renamed to "secretsManagerConfig"');
  });

  it('RotationScheduler refuses the 0.1 name "retry", naming its new name backoff', async () => {
    const err = await optionError(() => new RotationScheduler({ secrets, secretsManager: sm, retry: { baseMs: 1 } } as never));
    expect(err.option).toBe('retry');
    expect(err.message).toContain('was renamed to "backoff"');
  });

  it.each(apis)('%s names an unknown option', async (_name, call) => {
    const err = await optionError(() => call({ recoverBudgetMs: 5 }));
    expect(err.option).toBe('recoverBudgetMs');
    expect(err.message).toContain('is not an option of');
  });
});
