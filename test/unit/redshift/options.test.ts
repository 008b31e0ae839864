import { describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { getRedshiftClient, getRedshiftPool } from '../../../src/redshift/index.js';
import { InMemorySecretsManager } from '../../../src/testing/index.js';

const sm = new InMemorySecretsManager();
const base = { secretId: 'Applications/MyApp/Redshift', secretsManager: sm };

function optionOf(build: () => unknown): string | undefined {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return (err as InvalidOptionError).option;
  }
  return undefined;
}

describe('getRedshiftPool options', () => {
  it.each([
    ['secretId', { ...base, secretId: '' }],
    ['secretsManager', { ...base, cache: new SecretCache({ secretsManager: sm }) }], // with cache: named as getDocumentDbClient names it
    ['cache', { secretId: 'x', cache: {} }],
    ['ssl', { ...base, ssl: 'require' }],
    ['recoveryBudgetMs', { ...base, recoveryBudgetMs: -1 }],
    ['onEvent', { ...base, onEvent: 'log' }],
    ['poolConfig', { ...base, poolConfig: 'max=10' }],
    ['poolConfig.user', { ...base, poolConfig: { user: 'admin' } }],
    ['poolConfig.password', { ...base, poolConfig: { password: 'hunter2' } }],
    ['poolConfig.connectionString', { ...base, poolConfig: { connectionString: 'postgres://a@b/c' } }],
    ['poolConfig.ssl', { ...base, poolConfig: { ssl: true } }],
    // Every way pg could be told about TLS besides the top-level option is refused, never ignored.
    ['poolConfig.ssl', { ...base, poolConfig: { ssl: false } }],
    ['poolConfig.ssl', { ...base, poolConfig: { ssl: null } }],
    ['poolConfig.ssl', { ...base, poolConfig: { ssl: 'no-verify' } }],
    ['poolConfig.sslmode', { ...base, poolConfig: { sslmode: 'disable' } }],
    ['poolConfig.sslrootcert', { ...base, poolConfig: { sslrootcert: '/ca.pem' } }],
    ['poolConfig.connectionString', { ...base, poolConfig: { connectionString: 'postgres://h/db?sslmode=disable' } }],
    ['ssl', { ...base, ssl: 'false' }],
    ['poolConfig.port', { ...base, poolConfig: { port: 70_000 } }],
    ['poolConfig.host', { ...base, poolConfig: { host: '' } }],
    ['max', { ...base, max: 10 }],
    ['connectionConfig', { ...base, connectionConfig: {} }],
    ['__proto__', JSON.parse(`{"secretId":"x","__proto__":{"ssl":false}}`)],
  ])('names %s when it is invalid', (option, options) => {
    expect(optionOf(() => getRedshiftPool(options as never))).toBe(option);
  });

  it('never echoes a password given where it does not belong', () => {
    let message = '';
    try {
      getRedshiftPool({ ...base, poolConfig: { password: 'hunter2' } as never });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('poolConfig.password');
    expect(message).not.toContain('hunter2');
  });

  it('names an unknown top-level option of getRedshiftClient, as getDocumentDbClient does', async () => {
    const err = await getRedshiftClient({ ...base, poolConfig: {} } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe('poolConfig');
  });

  it('names connectionConfig fields for getRedshiftClient', async () => {
    const err = await getRedshiftClient({ ...base, connectionConfig: { user: 'x' } as never }).catch((e: unknown) => e);
    expect((err as InvalidOptionError).option).toBe('connectionConfig.user');
  });
});
