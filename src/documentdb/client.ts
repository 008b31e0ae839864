import { inspect } from 'node:util';
import type { Db, DbOptions, MongoClient } from 'mongodb';
import type { SecretCache } from '../cache/secret-cache.js';
import type { ClientCore, DocumentDbClientStats } from './core.js';
import { liveHandle } from './handles.js';

/**
 * A DocumentDB connection that survives password rotation. Use it as a MongoClient:
 * `client.db(name).collection(c)` gives the driver's own `Db` and `Collection` types, and
 * handles taken once at start-up keep working across credential switches.
 *
 * Behind it is one MongoClient at a time (a generation). When the database rejects the
 * credentials, the client finds the ones it now wants (AWSCURRENT refreshed, else AWSPENDING),
 * opens a new MongoClient with them, closes the old one once its operations are done, and runs
 * again every operation that failed before reaching the server. An operation that may have
 * reached the server is never run twice: its error reaches the app. After a
 * MongoBulkWriteError, a `bulkWrite` or `insertMany` runs again only when it held nothing but
 * acknowledged inserts and the error's result shows that no batch took effect (an update or
 * delete that matched nothing leaves no trace in the result).
 * A legacy bulk (`initializeOrderedBulkOp`) stays on the MongoClient it was made on until its
 * `execute()` settles and is not retried: prefer `collection.bulkWrite`.
 *
 * Create it with {@link getDocumentDbClient}.
 *
 * @example
 * ```ts
 * const client = await getDocumentDbClient({ secretId: 'Applications/MyApp/Documentdb-instance', tlsCAFile: 'global-bundle.pem' });
 * const orders = client.db('shop').collection<Order>('orders');
 * await orders.insertOne({ _id: 'o-1', total: 42 });
 * for await (const order of orders.find({ total: { $gt: 10 } })) console.log(order._id);
 * await client.close();
 * ```
 */
export class DocumentDbClient {
  readonly #core: ClientCore;
  readonly #ownedCache: SecretCache | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link getDocumentDbClient}. */
  constructor(core: ClientCore, ownedCache: SecretCache | undefined) {
    this.#core = core;
    this.#ownedCache = ownedCache;
  }

  /** The secret this client takes its credentials from. */
  get secretId(): string {
    return this.#core.secretId;
  }

  /** The database user of the live MongoClient (changes with alternating-users rotation). */
  get username(): string {
    return this.#core.live.secret.username;
  }

  /** The secret version the live MongoClient was built with. */
  get versionId(): string {
    return this.#core.live.secret.versionId;
  }

  /**
   * A database handle. Without a name: the secret's `dbname`, else the driver's default.
   *
   * @example
   * ```ts
   * const users = client.db('app').collection('users');
   * ```
   */
  db(dbName?: string, options?: DbOptions): Db {
    const label = `Db(${dbName ?? this.#core.live.secret.dbname ?? 'default'})`;
    return liveHandle<Db>(this.#core, (generation) => generation.client.db(dbName ?? generation.secret.dbname, options), label);
  }

  /**
   * Runs `fn` with the live MongoClient and keeps that client open until `fn` settles; for
   * what the handles do not cover (sessions and transactions, client-level bulkWrite). No
   * retry: if the credentials are rejected inside `fn`, the error reaches the caller and the
   * next operation through the client switches.
   *
   * `fn` gets the driver's own MongoClient, not a wrapper, so sessions and handles made from
   * it belong together. Its credentials print redacted (`util.inspect`, `JSON.stringify`),
   * as do those of the MongoClient behind every handle (`db.client`); the driver can still
   * read the password, and so can code given this client. Do not keep it past `fn`: after a
   * credential switch it is closed once its operations are done.
   *
   * @example
   * ```ts
   * await client.withMongoClient((mongo) =>
   *   mongo.withSession((session) => session.withTransaction(() => transfer(mongo, session))),
   * );
   * ```
   */
  async withMongoClient<T>(fn: (client: MongoClient) => Promise<T>): Promise<T> {
    const generation = this.#core.acquire();
    try {
      return await fn(generation.client);
    } finally {
      generation.release();
    }
  }

  /**
   * Counters: the live generation, switches by reason, retried attempts, open MongoClients.
   *
   * @example
   * ```ts
   * const { generation, retries } = client.stats();
   * ```
   */
  stats(): DocumentDbClientStats {
    return this.#core.stats();
  }

  /**
   * Closes every MongoClient (operations still running fail) and the cache this client built.
   * Safe to call twice.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void client.close());
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= this.#core.close().then(() => this.#ownedCache?.close());
    return this.#closing;
  }

  /** What logging the client shows: where it connects, never the password. */
  toJSON(): Record<string, unknown> {
    const core = this.#core;
    if (core.closed) return { secretId: core.secretId, closed: true };
    const { host, port, username, versionId, ssl } = core.live.secret;
    return { secretId: core.secretId, host, port, username, versionId, ssl, generation: core.live.number, closed: false };
  }

  [inspect.custom](depth: number, options: object): string {
    return `DocumentDbClient ${inspect(this.toJSON(), { ...options, depth })}`;
  }
}
