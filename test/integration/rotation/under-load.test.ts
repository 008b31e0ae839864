import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { DbCredentials } from '../../../src/credentials/db-credentials.js';
import { parseDocumentDbSecret, parseRedshiftSecret, type DatabaseSecret } from '../../../src/credentials/parse.js';
import { runLoad } from '../../../tools/demo/load.js';
import { rotateSecret } from '../../../src/rotation/index.js';
import { STRATEGIES, rotatableSecret, type Engine } from './support.js';
import { holderOf } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

const ROTATIONS = 10;
const ENGINES: readonly Engine[] = ['mongo', 'postgres'];
const COMBOS = ENGINES.flatMap((engine) => STRATEGIES.map((strategy) => [engine, strategy] as const));

/** One query on a fresh connection, so every operation authenticates with the credentials of that moment. */
async function queryOnce(engine: Engine, secret: DatabaseSecret): Promise<void> {
  if (engine === 'mongo') {
    const client = new MongoClient(`mongodb://${secret.host}:${secret.port}/`, {
      auth: { username: secret.username, password: secret.password },
      authSource: 'admin',
      directConnection: true,
      serverSelectionTimeoutMS: 5_000,
    });
    try {
      await client.db('admin').collection('credstage_load').findOne({});
    } finally {
      await client.close();
    }
    return;
  }
  const client = new pg.Client({ host: secret.host, port: secret.port, user: secret.username, password: secret.password, database: secret.dbname });
  await client.connect();
  try {
    await client.query('SELECT 1');
  } finally {
    await client.end();
  }
}

describe('clients re-reading credentials keep working while the engine rotates', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  it.each(COMBOS)(`%s, %s: zero failed queries over ${ROTATIONS} rotations`, async (engine, strategy) => {
    const { secretId } = await rotatableSecret(client, engine, strategy);
    // A long TTL: the clients learn about new passwords only through recovery after a rejected login.
    const cache = new SecretCache({ secretsManager: client, ttlMs: 600_000 });
    let recoveries = 0;
    const creds = new DbCredentials<DatabaseSecret>({
      cache,
      secretId,
      parse: (version, id) => (engine === 'mongo' ? parseDocumentDbSecret(version, id) : parseRedshiftSecret(version, id)),
      onEvent: (event) => event.type === 'auth-recovery' && recoveries++,
    });
    let rotating = true;
    const versions: string[] = [];

    const load = runLoad({
      concurrency: 3,
      op: () => creds.withRecovery((secret) => queryOnce(engine, secret)),
      running: () => rotating,
      maxDurationMs: 90_000,
      thinkMs: 5,
    });
    try {
      for (let i = 0; i < ROTATIONS; i++) versions.push((await rotateSecret({ secretId, secretsManager: client, strategy })).newVersionId);
    } finally {
      rotating = false;
    }
    const result = await load;
    await cache.close();

    console.log(`${engine}/${strategy}: ${result.ok} queries ok, ${result.failed} failed, ${recoveries} recoveries, over ${versions.length} rotations`);
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(ROTATIONS);
    // The load did meet rotated passwords: logins were rejected and recovered from.
    expect(recoveries).toBeGreaterThan(0);
    expect(new Set(versions).size).toBe(ROTATIONS);
    expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(versions.at(-1));
  });
});
