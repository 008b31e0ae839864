/**
 * The databases the demo runs against, each with its three clients: credstage, the seed's
 * read-once app and a client that re-reads only AWSCURRENT. Drivers load only here, lazily.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import type { SecretsManagerLike } from '../../src/secrets-manager/client.js';

/** One client under load: a name, one operation, and how to close it. */
export interface DemoClient {
  name: string;
  /** One word for the progress line. */
  label: string;
  op: (seq: number) => Promise<unknown>;
  close: () => Promise<void>;
}

/** A database with a secret and the clients to compare on it. */
export interface DemoTarget {
  database: 'redshift' | 'documentdb';
  secretId: string;
  clients: DemoClient[];
  stop: () => Promise<void>;
}

const USER = 'demo_app';
const initialPassword = (): string => `Init-${randomBytes(12).toString('base64url')}`;

async function createSecret(sm: SecretsManagerLike, name: string, value: Record<string, unknown>): Promise<string> {
  const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
  return out.ARN ?? name;
}

/**
 * PostgreSQL as the Redshift stand-in: an app role, its secret (engine `postgres`) and three pg
 * pools. Every pool recycles its connections each second, as pools do behind idle timeouts,
 * scaling and failovers, so each client keeps logging in while the password rotates.
 */
export async function redshiftTarget(sm: SecretsManagerLike, runId: string, concurrency: number): Promise<DemoTarget> {
  const { startPostgres } = await import('../servers/postgres.js');
  const pg = (await import('pg')).default;
  const { getRedshiftPool } = await import('../../src/redshift/index.js');
  const { readOnceAtStartup, RefreshCurrentOnlyPool } = await import('./peers/postgres.js');
  const server = await startPostgres();
  const password = initialPassword();
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE ROLE ${USER} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
  await admin.end();
  const secretId = await createSecret(sm, `demo/${runId}/redshift`, {
    engine: 'postgres',
    host: server.host,
    port: server.port,
    username: USER,
    password,
    dbname: 'postgres',
    // The throwaway loopback server has no TLS; without this, credstage would insist on it.
    ssl: false,
  });
  const poolConfig = { max: concurrency, idleTimeoutMillis: 200, maxLifetimeSeconds: 1 };
  const credstage = getRedshiftPool({ secretId, secretsManager: sm, poolConfig });
  // As pg asks of every pool: an idle connection the server ends (its shutdown when the demo
  // stops, racing pool.end()) emits 'error' on the pool, which would otherwise end the process.
  credstage.on('error', () => undefined);
  const readOnce = await readOnceAtStartup(sm, secretId, poolConfig);
  const currentOnly = await RefreshCurrentOnlyPool.create(sm, secretId, { kind: 'retry-once' }, poolConfig);
  const select = (pool: { query(text: string): Promise<unknown> }) => () => pool.query('select 1');
  return {
    database: 'redshift',
    secretId,
    clients: [
      { name: 'credstage getRedshiftPool', label: 'credstage', op: select(credstage), close: () => credstage.end() },
      { name: 'read once at start-up (seed)', label: 'read-once', op: select(readOnce), close: () => readOnce.end() },
      { name: 'refresh AWSCURRENT only', label: 'current-only', op: select(currentOnly), close: () => currentOnly.end() },
    ],
    stop: () => server.stop(),
  };
}

/**
 * FerretDB as the DocumentDB stand-in: an app user, its secret (engine `mongo`, no TLS on
 * loopback) and three clients running inserts with unique ids and finds.
 */
export async function documentDbTarget(sm: SecretsManagerLike, runId: string): Promise<DemoTarget> {
  const { startFerretDb } = await import('../servers/ferretdb.js');
  const { MongoClient } = await import('mongodb');
  const { getDocumentDbClient } = await import('../../src/documentdb/index.js');
  const { NaiveDocumentDbClient, CHURNING_POOL } = await import('./peers/documentdb.js');
  const server = await startFerretDb();
  const password = initialPassword();
  const admin = new MongoClient(`mongodb://${server.host}:${server.port}/`, {
    auth: { username: server.username, password: server.password },
    authSource: 'admin',
    directConnection: true,
  });
  await admin.db('admin').command({ createUser: USER, pwd: password, roles: [] });
  await admin.close();
  const secretId = await createSecret(sm, `demo/${runId}/documentdb`, {
    engine: 'mongo',
    host: server.host,
    port: server.port,
    username: USER,
    password,
    ssl: false,
  });
  const credstage = await getDocumentDbClient({ secretId, secretsManager: sm, mongoClientOptions: CHURNING_POOL });
  const items = credstage.db('demo').collection<{ _id: string; client: string }>('items');
  const naive = async (mode: 'read-once' | 'refresh-current') => NaiveDocumentDbClient.connect({ sm, secretId, mode, mongoClientOptions: CHURNING_POOL });
  const readOnce = await naive('read-once');
  const currentOnly = await naive('refresh-current');
  type Items = typeof items;
  // Even operations insert a new document, odd ones read the previous one back.
  const work = (client: string, collection: Items, seq: number): Promise<unknown> =>
    seq % 2 === 0
      ? collection.insertOne({ _id: `${client}-${seq >> 1}`, client })
      : collection.findOne({ _id: `${client}-${Math.max(0, (seq >> 1) - 1)}` });
  const viaNaive = (naiveClient: Awaited<ReturnType<typeof naive>>, name: string) => (seq: number) =>
    naiveClient.run((client) => work(name, client.db('demo').collection('items') as unknown as Items, seq));
  return {
    database: 'documentdb',
    secretId,
    clients: [
      { name: 'credstage getDocumentDbClient', label: 'credstage', op: (seq) => work('credstage', items, seq), close: () => credstage.close() },
      { name: 'read once at start-up (seed)', label: 'read-once', op: viaNaive(readOnce, 'read-once'), close: () => readOnce.close() },
      { name: 'refresh AWSCURRENT only', label: 'current-only', op: viaNaive(currentOnly, 'current-only'), close: () => currentOnly.close() },
    ],
    stop: () => server.stop(),
  };
}
