import type { MongoClient, MongoClientOptions } from 'mongodb';
import { InvalidOptionError } from '../errors.js';
import { isPlainObject, refuseUnknownKeys, type KnownKeys } from '../internal/options.js';
import type { CacheChoice } from '../cache/cache-choice.js';
import type { DocumentDbClient } from '../documentdb/client.js';
import type { ClientCore } from '../documentdb/core.js';
import { openDocumentDb } from '../documentdb/get-client.js';
import { SHARED_OPTION_KEYS, type DocumentDbOwnOptions } from '../documentdb/options.js';
import { GenerationEvents, liveMongoClient, type DriverEventClasses } from './live-client.js';

/**
 * Options of {@link createDocumentDbConnection} and {@link connectDocumentDb}: those of
 * `getDocumentDbClient` (`secretId`, `mongoClientOptions`, `tlsCAFile`, `recoveryBudgetMs`,
 * `onEvent`, `clock`, `random`, and one of `cache` / `secretsManager` /
 * `secretsManagerConfig`), plus `dbName`. Not `createMongoClient`: the MongoClients come from
 * the driver mongoose bundles (`mongoose.mongo`).
 */
export type DocumentDbConnectionOptions = Omit<DocumentDbOwnOptions, 'createMongoClient'> &
  CacheChoice & {
    /** The database the connection's models use. Default: the secret's `dbname`, else the driver's default (`test`). */
    dbName?: string;
  };

/** What credstage needs of the mongoose module: mongoose 8 or 9 (`import mongoose from 'mongoose'`). */
export interface MongooseLike {
  readonly version: string;
  readonly connection: object;
  createConnection(): object;
  /** The MongoDB driver mongoose bundles: credstage builds every MongoClient with it. */
  // Loose on purpose: mongoose 8 and 9 bring drivers 6 and 7, whose types differ from this package's `mongodb`.
  readonly mongo: {
    readonly MongoClient: new (url: string, options?: never) => object;
    readonly ServerDescriptionChangedEvent: new (...args: never[]) => object;
    readonly TopologyDescriptionChangedEvent: new (...args: never[]) => object;
  };
}

/** The parts of a mongoose Connection credstage uses (lib/drivers/node-mongodb-native/connection.js). */
interface NativeConnection {
  readonly readyState: number;
  setClient(client: MongoClient): unknown;
}

const OPTION_KEYS: KnownKeys<DocumentDbConnectionOptions> = { ...SHARED_OPTION_KEYS, dbName: true };

const DISCONNECTED = 0;

/** The DocumentDbClient behind each connection credstage set up. */
const clients = new WeakMap<object, DocumentDbClient>();

function checkMongoose(mongoose: unknown): MongooseLike {
  const m = mongoose as Partial<MongooseLike> | null | undefined;
  const isMongoose =
    m !== null &&
    (typeof m === 'object' || typeof m === 'function') &&
    typeof m.createConnection === 'function' &&
    typeof m.mongo?.MongoClient === 'function' &&
    typeof m.version === 'string';
  if (!isMongoose) throw new InvalidOptionError('mongoose', "must be the mongoose module (import mongoose from 'mongoose')");
  const major = Number.parseInt(m.version!, 10);
  if (!(major >= 8)) throw new InvalidOptionError('mongoose', `must be mongoose 8 or later, got ${m.version!}`);
  return m as MongooseLike;
}

function checkDisconnected(connection: NativeConnection): void {
  if (connection.readyState !== DISCONNECTED) {
    throw new InvalidOptionError('mongoose', `its default connection must be disconnected (readyState 0), it is ${connection.readyState}`);
  }
}

function checkOptions(options: DocumentDbConnectionOptions, what: string): void {
  if (!isPlainObject(options as unknown)) throw new InvalidOptionError('options', 'must be an object');
  refuseUnknownKeys('', options, OPTION_KEYS, what);
  const { dbName } = options;
  if (dbName !== undefined && (typeof dbName !== 'string' || dbName === '')) throw new InvalidOptionError('dbName', 'must be a non-empty string');
}

interface Opened {
  readonly client: DocumentDbClient;
  readonly core: ClientCore;
  readonly events: GenerationEvents;
  readonly dbName: string | undefined;
}

/** Opens the DocumentDbClient over mongoose's driver, so its MongoClients carry mongoose's BSON types. */
async function open(mongoose: MongooseLike, options: DocumentDbConnectionOptions): Promise<Opened> {
  const { dbName, onEvent, ...documentDbOptions } = options;
  const driver = mongoose.mongo as unknown as DriverEventClasses & { MongoClient: new (url: string, options: MongoClientOptions) => MongoClient };
  const events = new GenerationEvents(driver);
  let opened: ClientCore | undefined;
  const { client, core } = await openDocumentDb({
    ...documentDbOptions,
    onEvent: (event) => {
      // After `#install` made the new MongoClient live: mongoose's listeners hear of it first.
      if (event.type === 'client-switch' && opened !== undefined && !opened.closed) events.switchTo(opened.live.client);
      onEvent?.(event);
    },
    createMongoClient: (url, mongoOptions) => {
      const mongo = new driver.MongoClient(url, mongoOptions);
      events.attach(mongo);
      return mongo;
    },
  } as Parameters<typeof openDocumentDb>[0]);
  opened = core;
  events.start(core.live.client);
  return { client, core, events, dbName };
}

/**
 * Gives `connection` the live client through mongoose's own `setClient()`: `connection.db`
 * becomes credstage's live Db handle, so every native collection mongoose caches
 * (`Collection.prototype.onOpen` takes `connection.db.collection(name)` once) keeps routing to
 * the current MongoClient, with credstage's retry rules. On failure closes what `open` built.
 */
async function install(connection: NativeConnection, opened: Opened): Promise<void> {
  const { client, core, events, dbName } = opened;
  try {
    connection.setClient(liveMongoClient({ core, documentDb: client, events, dbName: () => dbName ?? core.live.secret.dbname }));
  } catch (err) {
    await client.close();
    throw err;
  }
  clients.set(connection, client);
}

/**
 * A new mongoose Connection (as `mongoose.createConnection()` makes) whose credentials come
 * from a Secrets Manager secret and survive rotation, single-user and alternating-users.
 * Define models on it once, at start-up; they keep working across credential switches.
 *
 * Behind it is a DocumentDbClient (see `getDocumentDbClient`): when the database rejects the
 * credentials, the connection moves to a new MongoClient with the ones it now wants, and every
 * operation that failed before reaching the server runs again; an operation that may have
 * reached the server is never run twice (its error reaches the app). The MongoClients are
 * built with mongoose's own driver (`mongoose.mongo`), so mongoose's BSON types and
 * `instanceof` checks hold.
 *
 * `connection.close()` (or `mongoose.disconnect()`) closes every MongoClient and the cache the
 * connection built. Sessions (`connection.startSession()`, `connection.transaction()`) run on
 * the MongoClient live when they start; an operation of a session that outlives a switch
 * fails and is not retried. Change streams stay on the MongoClient that opened them.
 *
 * Resolves once the database accepted a login; rejects with InvalidOptionError naming a bad
 * option, AuthenticationRejectedError when no secret version works within
 * `recoveryBudgetMs`, or the driver's error when the server cannot be reached.
 *
 * @example
 * ```ts
 * import mongoose from 'mongoose';
 * import { createDocumentDbConnection } from 'credstage/mongoose';
 *
 * const conn = await createDocumentDbConnection(mongoose, { secretId: 'Applications/MyApp/Documentdb-instance', dbName: 'shop', tlsCAFile: 'global-bundle.pem' });
 * const Order = conn.model('Order', new mongoose.Schema({ ref: { type: String, unique: true }, total: Number }));
 * await Order.create({ ref: 'o-1', total: 42 });
 * await conn.close();
 * ```
 */
export async function createDocumentDbConnection<M extends MongooseLike>(
  mongoose: M,
  options: DocumentDbConnectionOptions,
): Promise<ReturnType<M['createConnection']>> {
  const m = checkMongoose(mongoose);
  checkOptions(options, 'createDocumentDbConnection');
  const opened = await open(m, options);
  // Made only once the login worked: a failed call leaves no connection behind in `mongoose.connections`.
  const connection = m.createConnection() as NativeConnection;
  await install(connection, opened);
  return connection as ReturnType<M['createConnection']>;
}

/**
 * Connects mongoose's default connection (`mongoose.connection`, used by `mongoose.model()`)
 * through a Secrets Manager secret, like {@link createDocumentDbConnection}: in place of
 * `mongoose.connect(uri)`. Models may be defined before or after; operations issued before it
 * resolves wait in mongoose's buffer as usual. The default connection must not be connected yet.
 *
 * @example
 * ```ts
 * import mongoose from 'mongoose';
 * import { connectDocumentDb } from 'credstage/mongoose';
 *
 * const Order = mongoose.model('Order', new mongoose.Schema({ ref: { type: String, unique: true }, total: Number }));
 * await connectDocumentDb(mongoose, { secretId: 'Applications/MyApp/Documentdb-instance', dbName: 'shop' });
 * await Order.findOne({ ref: 'o-1' });
 * process.on('SIGTERM', () => void mongoose.disconnect());
 * ```
 */
export async function connectDocumentDb<M extends MongooseLike>(mongoose: M, options: DocumentDbConnectionOptions): Promise<M['connection']> {
  const m = checkMongoose(mongoose);
  checkOptions(options, 'connectDocumentDb');
  const connection = m.connection as NativeConnection;
  checkDisconnected(connection);
  const opened = await open(m, options);
  try {
    checkDisconnected(connection); // someone may have called mongoose.connect() meanwhile
  } catch (err) {
    await opened.client.close();
    throw err;
  }
  await install(connection, opened);
  return connection;
}

/**
 * The DocumentDbClient behind a connection made by {@link createDocumentDbConnection} or
 * {@link connectDocumentDb}, for its `stats()` and `withMongoClient()`; undefined for any
 * other connection.
 *
 * @example
 * ```ts
 * const { generation, switchesAfterAuthFailure } = documentDbClientOf(conn)!.stats();
 * ```
 */
export function documentDbClientOf(connection: object): DocumentDbClient | undefined {
  return clients.get(connection);
}
