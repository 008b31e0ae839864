import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createRequire } from 'node:module';
import { MongoBulkWriteError, type BulkWriteResult, MongoNetworkError, MongoServerError, type MongoClient, type MongoClientOptions } from 'mongodb';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { getDocumentDbClient, type DocumentDbClientEvent, type DocumentDbClientOptions } from '../../../src/documentdb/index.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { AwsStyleRotator } from '../../support/aws-style-rotator.js';

/**
 * A MongoDB stand-in for unit tests: it accepts one password per user, fails a login with the
 * driver's own error (code 18, labelled HandshakeError), and counts what reached it. Each fake
 * client re-checks its password per operation, as a pool opening new connections would.
 */

export const SECRET_ID = 'Applications/MyApp/Documentdb-instance';
export const FIRST_PASSWORD = 'first-Pw:/?#%&=+@';

export function authError(): MongoServerError {
  const err = new MongoServerError({ message: 'Authentication failed.', errmsg: 'Authentication failed.', code: 18, codeName: 'AuthenticationFailed' });
  err.addErrorLabel('HandshakeError');
  return err;
}

/** The part of a driver ConnectionPool that its errors read. */
interface PoolLike {
  address: string;
  serverError?: Error;
}

// The driver exports its pool errors as types only; the classes live in lib/cmap/errors.js.
const cmapErrors = createRequire(import.meta.url)('mongodb/lib/cmap/errors.js') as {
  PoolClearedError: new (pool: PoolLike) => MongoNetworkError;
  PoolClearedOnNetworkError: new (pool: PoolLike) => MongoNetworkError;
};

/**
 * The driver's PoolClearedError, as connection_pool.js fails a waiting checkout with it once the
 * pool was cleared by another operation's failure (its cause): this operation was never sent.
 */
export function poolClearedError(cause: Error = authError()): MongoNetworkError {
  return new cmapErrors.PoolClearedError({ address: '127.0.0.1:27017', serverError: cause });
}

/**
 * The driver's PoolClearedOnNetworkError, as connection_pool.js gives it to every checked-out
 * connection after a heartbeat timeout: the operation on that connection may have been sent.
 */
export function poolClearedOnNetworkError(cause: Error = new MongoNetworkError('connection 1 to 127.0.0.1:27017 timed out')): MongoNetworkError {
  return new cmapErrors.PoolClearedOnNetworkError({ address: '127.0.0.1:27017', serverError: cause });
}

/** The connection broke after the command was sent: it may have executed. */
export function lostReplyError(): MongoNetworkError {
  return new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed');
}

/** The counters the driver keeps while it sends a bulk write's batches (its raw bulk result). */
export interface BulkProgress {
  nInserted?: number;
  nMatched?: number;
  nModified?: number;
  nRemoved?: number;
  upserted?: Array<{ index: number; _id: unknown }>;
  writeErrors?: unknown[];
}

/**
 * The driver's MongoBulkWriteError for a batch that failed with `inner`, after earlier batches
 * made `progress`; built the way lib/bulk/common.js builds it (labels and code copied from `inner`).
 */
export function bulkWriteError(inner: Error, progress: BulkProgress = {}): MongoBulkWriteError {
  const raw = { ok: 1, writeErrors: [], writeConcernErrors: [], insertedIds: [], nInserted: 0, nUpserted: 0, nMatched: 0, nModified: 0, nRemoved: 0, upserted: [], ...progress };
  // The driver exports BulkWriteResult as a type only; its class lives in lib/bulk/common.js.
  const { BulkWriteResult: Result } = createRequire(import.meta.url)('mongodb/lib/bulk/common.js') as {
    BulkWriteResult: new (raw: object, isOrdered: boolean) => BulkWriteResult;
  };
  return new MongoBulkWriteError(inner, new Result(raw, true));
}

type Doc = Record<string, unknown> & { _id: unknown };

export class FakeServer {
  readonly passwords = new Map<string, string>();
  readonly collections = new Map<string, Doc[]>();
  readonly clients: FakeMongoClient[] = [];
  /** Operations that reached the server, e.g. `insertOne(app.items)`. */
  readonly executed: string[] = [];
  /**
   * The next operations (a cursor's getMore included) fail with these errors before doing
   * anything (after the login check); an entry returning undefined lets its operation pass.
   */
  readonly faults: Array<() => Error | undefined> = [];
  /** The next writes take effect, then fail with these errors: their reply was lost. */
  readonly replyFaults: Array<() => Error> = [];
  /** While set, operations wait for it after passing the login check (to hold them in flight). */
  gate: Promise<void> | undefined;

  constructor(username: string, password: string) {
    this.passwords.set(username, password);
  }

  docs(name: string): Doc[] {
    let docs = this.collections.get(name);
    if (!docs) this.collections.set(name, (docs = []));
    return docs;
  }
}

class FakeCursor {
  #docs: Doc[] | undefined;
  #position = 0;
  #limit = Number.POSITIVE_INFINITY;
  closed = false;

  constructor(
    private readonly collection: FakeCollection,
    private readonly filter: Record<string, unknown>,
  ) {}

  /** Like the driver's: undefined until the first batch came back. */
  get id(): number | undefined {
    return this.#docs === undefined ? undefined : 0;
  }

  limit(n: number): this {
    this.#limit = n;
    return this;
  }

  async next(): Promise<Doc | null> {
    if (this.#docs === undefined) this.#docs = await this.collection.query('find', this.filter, this.#limit);
    else await this.collection.check('getMore');
    const doc = this.#docs[this.#position++] ?? null;
    if (doc === null) this.closed = true;
    return doc;
  }

  async toArray(): Promise<Doc[]> {
    const docs: Doc[] = [];
    for (let doc = await this.next(); doc !== null; doc = await this.next()) docs.push(doc);
    return docs;
  }

  rewind(): void {
    this.#docs = undefined;
    this.#position = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

class FakeCollection {
  constructor(
    private readonly client: FakeMongoClient,
    readonly dbName: string,
    readonly collectionName: string,
  ) {}

  async check(op: string): Promise<void> {
    await this.client.check(`${op}(${this.dbName}.${this.collectionName})`);
  }

  async query(op: string, filter: Record<string, unknown>, limit = Number.POSITIVE_INFINITY): Promise<Doc[]> {
    await this.check(op);
    const docs = this.client.server.docs(this.collectionName);
    return docs.filter((doc) => Object.entries(filter).every(([key, value]) => doc[key] === value)).slice(0, limit);
  }

  /** After a write took effect: fails with the next reply fault, as a reply lost on the way back. */
  replied(): void {
    const fault = this.client.server.replyFaults.shift();
    if (fault) throw fault();
  }

  async insertOne(doc: Doc): Promise<{ acknowledged: boolean; insertedId: unknown }> {
    await this.check('insertOne');
    this.client.server.docs(this.collectionName).push({ ...doc });
    this.replied();
    return { acknowledged: true, insertedId: doc._id };
  }

  /** Supports `$inc` only: enough to see a write applied twice. */
  async updateOne(filter: Record<string, unknown>, update: { $inc?: Record<string, number> }): Promise<{ acknowledged: boolean; matchedCount: number }> {
    await this.check('updateOne');
    const doc = this.client.server.docs(this.collectionName).find((d) => Object.entries(filter).every(([key, value]) => d[key] === value));
    if (doc !== undefined) for (const [key, by] of Object.entries(update.$inc ?? {})) doc[key] = ((doc[key] as number | undefined) ?? 0) + by;
    this.replied();
    return { acknowledged: true, matchedCount: doc === undefined ? 0 : 1 };
  }

  async countDocuments(filter: Record<string, unknown> = {}): Promise<number> {
    return (await this.query('countDocuments', filter)).length;
  }

  find(filter: Record<string, unknown> = {}): FakeCursor {
    return new FakeCursor(this, filter);
  }

  async insertMany(docs: Doc[], _options?: object): Promise<{ acknowledged: boolean; insertedCount: number }> {
    await this.check('insertMany');
    this.client.server.docs(this.collectionName).push(...docs.map((doc) => ({ ...doc })));
    return { acknowledged: true, insertedCount: docs.length };
  }

  /** Applies the `insertOne` operations only; enough to count what reached the server. */
  async bulkWrite(ops: Array<Record<string, { document?: Doc }>>): Promise<{ insertedCount: number }> {
    await this.check('bulkWrite');
    const inserts = ops.flatMap((op) => (op.insertOne?.document ? [op.insertOne.document] : []));
    this.client.server.docs(this.collectionName).push(...inserts.map((doc) => ({ ...doc })));
    return { insertedCount: inserts.length };
  }

  initializeOrderedBulkOp(): FakeBulk {
    return new FakeBulk(this);
  }
}

/** A legacy ordered bulk of inserts: built up, then executed on the client it was made on. */
class FakeBulk {
  readonly #docs: Doc[] = [];

  constructor(private readonly collection: FakeCollection) {}

  insert(doc: Doc): this {
    this.#docs.push(doc);
    return this;
  }

  raw(op: { insertOne: { document: Doc } }): this {
    return this.insert(op.insertOne.document);
  }

  find(): this {
    return this;
  }

  async execute(): Promise<{ insertedCount: number }> {
    for (const doc of this.#docs) await this.collection.insertOne(doc);
    return { insertedCount: this.#docs.length };
  }
}

class FakeDb {
  constructor(
    private readonly client: FakeMongoClient,
    readonly databaseName: string,
  ) {}

  collection(name: string): FakeCollection {
    return new FakeCollection(this.client, this.databaseName, name);
  }

  async command(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    await this.client.check(`command(${Object.keys(command)[0]})`);
    return { ok: 1 };
  }
}

export class FakeMongoClient {
  closed = false;
  readonly username: string;
  readonly password: string;

  constructor(
    readonly server: FakeServer,
    readonly url: string,
    readonly options: MongoClientOptions,
  ) {
    this.username = options.auth?.username ?? '';
    this.password = options.auth?.password ?? '';
  }

  /** Like the driver's connect(): authenticates one connection. */
  async connect(): Promise<this> {
    await this.check(undefined);
    return this;
  }

  async check(op: string | undefined): Promise<void> {
    await Promise.resolve();
    if (this.closed) throw new Error('MongoClient is closed');
    if (this.server.passwords.get(this.username) !== this.password) throw authError();
    if (op === undefined) return;
    const fault = this.server.faults.shift()?.();
    if (fault) throw fault;
    if (this.server.gate) await this.server.gate;
    this.server.executed.push(op);
  }

  db(name = 'test'): FakeDb {
    return new FakeDb(this, name);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Secrets Manager with one DocumentDB secret, a fake server accepting it, an AWS-style rotator. */
export async function documentDbSetup(options: Partial<Omit<DocumentDbClientOptions, 'cache' | 'secretsManager' | 'secretsManagerConfig'>> = {}) {
  const sm = new InMemorySecretsManager();
  const value = { engine: 'mongo', host: 'docdb.example.com', port: 27017, username: 'app', password: FIRST_PASSWORD, ssl: false, dbname: 'app' };
  const created = await sm.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: JSON.stringify(value) }));
  const server = new FakeServer('app', FIRST_PASSWORD);
  const events: DocumentDbClientEvent[] = [];
  const cache = new SecretCache({ secretsManager: sm, ttlMs: 60_000, random: () => 0 });
  const rotator = new AwsStyleRotator({
    client: sm,
    secretId: SECRET_ID,
    setPassword: async (pending) => {
      server.passwords.set(pending.username, pending.password);
    },
  });
  const connect = () =>
    getDocumentDbClient({
      secretId: SECRET_ID,
      cache,
      recoveryBudgetMs: 5_000,
      onEvent: (event) => events.push(event),
      createMongoClient: (url, mongoOptions) => {
        const client = new FakeMongoClient(server, url, mongoOptions);
        server.clients.push(client);
        return client as unknown as MongoClient;
      },
      ...options,
    });
  return { sm, server, cache, rotator, events, connect, firstVersionId: created.VersionId as string };
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
