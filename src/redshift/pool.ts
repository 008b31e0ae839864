import pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import type { DbCredentials } from '../credentials/db-credentials.js';
import type { RedshiftSecret } from '../credentials/parse.js';
import { InvalidOptionError } from '../errors.js';
import { credentialClientClass } from './credential-client.js';
import { resolveSetup, type RedshiftCommonOptions, type RedshiftPoolConfig, type Setup } from './options.js';
import { connectWithRecovery } from './recovery.js';

/** Options of {@link getRedshiftPool}. */
export type RedshiftPoolOptions = RedshiftCommonOptions & {
  /** pg-pool settings (`max`, `idleTimeoutMillis`, `maxLifetimeSeconds`, ...); `host`, `port`, `database` override the secret's. */
  poolConfig?: RedshiftPoolConfig;
};

type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;
const noop = (): void => undefined;

/**
 * Internal: builds a RedshiftPool over a setup resolved elsewhere (`pgModule`'s, shared by every
 * Pool and Client of the module so that they share one recovery) with pg settings already checked.
 */
export const PREBUILT_SETUP = Symbol('credstage.redshift.prebuiltSetup');
interface Prebuilt {
  [PREBUILT_SETUP]?: { setup: Setup; poolConfig: PoolConfig };
}

/**
 * A pg Pool whose every new connection logs in with the secret's current username and
 * password, and which recovers from a login the database rejects (rotation in progress) before
 * the caller sees it. `query()`, `connect()`, events and counters are pg-pool's own.
 *
 * @example
 * ```ts
 * const pool = getRedshiftPool({ secretId: 'Applications/MyApp/Redshift' });
 * const { rows } = await pool.query('select current_user');
 * await pool.end();
 * ```
 */
export class RedshiftPool extends pg.Pool {
  /** The secret the pool logs in with. */
  readonly secretId: string;
  readonly #setup: Setup;
  #ending: Promise<void> | undefined;

  constructor(options: RedshiftPoolOptions) {
    const prebuilt = (options as Prebuilt | undefined)?.[PREBUILT_SETUP];
    const setup = prebuilt?.setup ?? resolveSetup(options, 'poolConfig', options?.poolConfig);
    const poolConfig = prebuilt?.poolConfig ?? options.poolConfig;
    super({ ...poolConfig, Client: credentialClientClass(setup) as unknown as new () => pg.ClientBase });
    this.secretId = setup.secretId;
    this.#setup = setup;
  }

  /** The rotation-aware credentials behind the pool (current version, recovery). */
  get credentials(): DbCredentials<RedshiftSecret> {
    return this.#setup.credentials;
  }

  /**
   * Checks out a client. A new connection whose login is rejected is retried with recovered
   * credentials; pg-pool's `query()` goes through here too.
   *
   * @example
   * ```ts
   * const client = await pool.connect();
   * try { await client.query('begin'); } finally { client.release(); }
   * ```
   */
  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const acquiring = connectWithRecovery(this.#setup, () => this.#checkOut());
    if (callback === undefined) return acquiring.then(([client]) => client);
    acquiring.then(
      ([client, release]) => callback(undefined, client, release),
      (err: Error) => callback(err, undefined, noop),
    );
  }

  /**
   * Ends every connection, then closes the cache the factory built. Safe to call twice:
   * the second call returns the first call's promise.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void pool.end());
   * ```
   */
  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    this.#ending ??= new Promise<void>((resolve, reject) => super.end((err?: Error) => (err ? reject(err) : resolve()))).finally(
      () => this.#setup.ownedCache?.close(),
    );
    if (callback === undefined) return this.#ending;
    this.#ending.then(callback, callback);
  }

  /**
   * Same as `end()`.
   *
   * @example
   * ```ts
   * await pool.close();
   * ```
   */
  close(): Promise<void> {
    return this.end();
  }

  #checkOut(): Promise<[PoolClient, (release?: unknown) => void]> {
    return new Promise((resolve, reject) => {
      super.connect((err, client, release) => (err || client === undefined ? reject(err) : resolve([client, release])));
    });
  }
}

/**
 * A pg Pool for a Redshift (or PostgreSQL) secret that keeps working while the password
 * rotates: each new connection takes host, port, database, TLS, username and password from the
 * secret's current version, and a rejected login triggers credential recovery (newer
 * AWSCURRENT, else AWSPENDING) and another attempt. Open connections are left alone.
 *
 * @example
 * ```ts
 * import { getRedshiftPool } from 'credstage/redshift';
 *
 * const pool = getRedshiftPool({
 *   secretId: 'Applications/MyApp/Redshift',
 *   secretsManagerConfig: { region: 'us-west-2' },
 *   poolConfig: { max: 10, idleTimeoutMillis: 30_000 },
 * });
 * const { rows } = await pool.query('select count(*) from sales');
 * ```
 */
export function getRedshiftPool(options: RedshiftPoolOptions): RedshiftPool {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'must be an object');
  return new RedshiftPool(options);
}
