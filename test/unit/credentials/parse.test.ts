import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SecretVersion } from '../../../src/secrets-manager/secret-version.js';
import { InvalidSecretFormatError } from '../../../src/errors.js';
import { MAX_SECRET_BYTES, parseDocumentDbSecret, parseRedshiftSecret, type DatabaseSecret } from '../../../src/credentials/parse.js';

const SECRET_ID = 'Applications/MyApp/Documentdb-instance';
const PASSWORD = 'Pw:/?#%&=+never-in-a-message';

function version(value: { secretString?: string; secretBinary?: Uint8Array }): SecretVersion {
  return new SecretVersion(
    { arn: undefined, name: SECRET_ID, versionId: 'ver-1', versionStages: ['AWSCURRENT'], createdDate: undefined },
    value,
  );
}

const json = (fields: Record<string, unknown>) => version({ secretString: JSON.stringify(fields) });

const DOCDB = { engine: 'mongo', host: 'docdb.cluster.local', port: 27017, username: 'app', password: PASSWORD, ssl: true };
const REDSHIFT = { engine: 'redshift', host: 'rs.cluster.local', port: 5439, username: 'app', password: PASSWORD, dbname: 'dev' };

function formatError(parse: () => unknown): InvalidSecretFormatError {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSecretFormatError);
    return err as InvalidSecretFormatError;
  }
  throw new Error('expected parsing to fail');
}

function expectNoValue(err: Error, ...values: string[]): void {
  for (const value of values) {
    expect(err.message).not.toContain(value);
    expect(inspect(err, { depth: 10 })).not.toContain(value);
  }
}

describe('parseDocumentDbSecret', () => {
  it('reads every field of a complete secret', () => {
    const secret = parseDocumentDbSecret(json({ ...DOCDB, dbname: 'orders', masterarn: 'arn:master' }));

    expect({ ...secret, password: secret.password }).toEqual({
      secretId: SECRET_ID,
      versionId: 'ver-1',
      versionStages: ['AWSCURRENT'],
      engine: 'mongo',
      host: 'docdb.cluster.local',
      port: 27017,
      username: 'app',
      password: PASSWORD,
      dbname: 'orders',
      ssl: true,
      sslDefaulted: false,
      masterarn: 'arn:master',
    });
  });

  it('defaults port 27017 and TLS on, and accepts a missing engine and a numeric-string port', () => {
    const defaults = parseDocumentDbSecret(json({ host: 'h', username: 'u', password: PASSWORD }));
    const stringPort = parseDocumentDbSecret(json({ ...DOCDB, port: '27018', ssl: 'false' }));

    expect(defaults).toMatchObject({ engine: 'mongo', port: 27017, ssl: true, dbname: undefined, masterarn: undefined });
    expect(stringPort).toMatchObject({ port: 27018, ssl: false });
  });

  it.each([
    ['host', { host: undefined }, 'is missing'],
    ['username', { username: undefined }, 'is missing'],
    ['password', { password: undefined }, 'is missing'],
    ['host', { host: '' }, 'non-empty string'],
    ['password', { password: 12345 }, 'non-empty string'],
    ['port', { port: 'not-a-port-xyz' }, 'whole number'],
    ['port', { port: 0 }, 'whole number'],
    ['port', { port: 70000 }, 'whole number'],
    ['port', { port: 27017.5 }, 'whole number'],
    ['engine', { engine: 'mysql-engine-xyz' }, 'engine'],
    ['engine', { engine: 'redshift' }, 'engine'],
    ['ssl', { ssl: 'maybe-xyz' }, 'true or false'],
  ])('names the field "%s" and the secret for %o, never the value', (field, patch, problem) => {
    const err = formatError(() => parseDocumentDbSecret(json({ ...DOCDB, ...patch })));

    expect(err.field).toBe(field);
    expect(err.secretId).toBe(SECRET_ID);
    expect(err.message).toContain(`"${field}"`);
    expect(err.message).toContain(SECRET_ID);
    expect(err.message).toContain(problem);
    expectNoValue(err, PASSWORD, 'not-a-port-xyz', 'mysql-engine-xyz', 'maybe-xyz');
  });
});

describe('parseRedshiftSecret', () => {
  it('defaults port 5439, dbname dev and TLS on for redshift, marking the TLS setting as a default', () => {
    const secret = parseRedshiftSecret(json({ engine: 'redshift', host: 'h', username: 'u', password: PASSWORD }));
    const nullSsl = parseRedshiftSecret(json({ engine: 'redshift', host: 'h', username: 'u', password: PASSWORD, ssl: null }));
    const plaintext = parseRedshiftSecret(json({ engine: 'redshift', host: 'h', username: 'u', password: PASSWORD, ssl: false }));

    expect(secret).toMatchObject({ engine: 'redshift', port: 5439, dbname: 'dev', ssl: true, sslDefaulted: true });
    expect(nullSsl).toMatchObject({ ssl: true, sslDefaulted: true });
    expect(plaintext).toMatchObject({ ssl: false, sslDefaulted: false });
  });

  it('defaults port 5432 and dbname postgres for postgres', () => {
    const secret = parseRedshiftSecret(json({ engine: 'postgres', host: 'h', username: 'u', password: PASSWORD }));

    expect(secret).toMatchObject({ engine: 'postgres', port: 5432, dbname: 'postgres' });
  });

  it('reads the given port, dbname and masterarn', () => {
    const secret = parseRedshiftSecret(json({ ...REDSHIFT, port: 5440, dbname: 'sales', masterarn: 'arn:m' }));

    expect(secret).toMatchObject({ port: 5440, dbname: 'sales', masterarn: 'arn:m', username: 'app', host: 'rs.cluster.local' });
  });

  it.each([
    ['host', { host: undefined }],
    ['username', { username: undefined }],
    ['password', { password: undefined }],
    ['port', { port: 'not-a-port-xyz' }],
    ['port', { port: -1 }],
    ['engine', { engine: 'mongo' }],
    ['engine', { engine: 'mysql-engine-xyz' }],
    ['dbname', { dbname: 42 }],
  ])('names the field "%s" and the secret for %o, never the value', (field, patch) => {
    const err = formatError(() => parseRedshiftSecret(json({ ...REDSHIFT, ...patch })));

    expect(err.field).toBe(field);
    expect(err.message).toContain(`"${field}"`);
    expect(err.message).toContain(SECRET_ID);
    expectNoValue(err, PASSWORD, 'not-a-port-xyz', 'mysql-engine-xyz');
  });
});

describe.each([
  ['parseDocumentDbSecret', parseDocumentDbSecret],
  ['parseRedshiftSecret', parseRedshiftSecret],
] as const)('%s on a value that is not a JSON object', (_name, parse) => {
  it.each([
    ['not JSON', { secretString: `{"password": "${PASSWORD}"` }, 'is not valid JSON'],
    ['a JSON array', { secretString: JSON.stringify([PASSWORD]) }, 'must be a JSON object'],
    ['JSON null', { secretString: 'null' }, 'must be a JSON object'],
    ['a JSON string', { secretString: JSON.stringify(PASSWORD) }, 'must be a JSON object'],
    ['empty', { secretString: '' }, 'is empty'],
    ['whitespace', { secretString: '   \n' }, 'is empty'],
    ['binary only', { secretBinary: new TextEncoder().encode(JSON.stringify(DOCDB)) }, 'binary secret'],
    [
      `larger than ${MAX_SECRET_BYTES} bytes`,
      { secretString: JSON.stringify({ ...DOCDB, padding: 'x'.repeat(MAX_SECRET_BYTES) }) },
      `larger than ${MAX_SECRET_BYTES} bytes`,
    ],
  ])('rejects %s with a clear error naming the secret', (_case, value, problem) => {
    const err = formatError(() => parse(version(value)));

    expect(err.field).toBeUndefined();
    expect(err.message).toContain(SECRET_ID);
    expect(err.message).toContain(problem);
    expect(err.cause).toBeUndefined();
    expectNoValue(err, PASSWORD);
  });

  it('counts the size limit in UTF-8 bytes, not characters', () => {
    // 'é' is 2 bytes: 40,000 of them are under the character limit but over the byte limit.
    const err = formatError(() => parse(json({ ...DOCDB, engine: undefined, padding: 'é'.repeat(40_000) })));

    expect(err.message).toContain('larger than');
  });
});

describe('parsed credentials hide the password', () => {
  const secret: DatabaseSecret = parseDocumentDbSecret(json(DOCDB));

  it('keeps the password readable', () => {
    expect(secret.password).toBe(PASSWORD);
  });

  it('leaves it out of util.inspect, JSON.stringify, Object.keys and spread copies', () => {
    expect(inspect(secret, { depth: 10 })).not.toContain(PASSWORD);
    expect(inspect(secret)).toContain('[redacted]');
    expect(JSON.stringify(secret)).not.toContain(PASSWORD);
    expect(Object.keys(secret)).not.toContain('password');
    expect({ ...secret }).not.toHaveProperty('password');
    expect(Object.entries(secret).flat()).not.toContain(PASSWORD);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(secret)).toBe(true);
    expect(() => {
      (secret as { password: string }).password = 'changed';
    }).toThrow(TypeError);
  });
});

describe.each([
  ['parseDocumentDbSecret', parseDocumentDbSecret, DOCDB],
  ['parseRedshiftSecret', parseRedshiftSecret, REDSHIFT],
] as const)('%s and keys named like Object.prototype members', (_name, parse, valid) => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'refuses engine "%s" with ERR_INVALID_SECRET_FORMAT naming the field',
    (engine) => {
      // Built by hand: an object literal's "__proto__" sets the prototype; JSON.parse makes it an own key.
      const text = JSON.stringify(valid).replace(/"engine":"[^"]*"/, `"engine":${JSON.stringify(engine)}`);

      const err = formatError(() => parse(version({ secretString: text })));

      expect(err.code).toBe('ERR_INVALID_SECRET_FORMAT');
      expect(err.field).toBe('engine');
      expectNoValue(err, PASSWORD);
    },
  );

  it('reads only the secret\'s own fields, never one inherited from Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['host'] = 'inherited.example';
    try {
      const err = formatError(() => parse(json({ ...valid, host: undefined })));

      expect(err.field).toBe('host');
      expect(err.message).toContain('is missing');
    } finally {
      delete proto['host'];
    }
  });
});
