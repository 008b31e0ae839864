import pg from 'pg';
import type { ClientConfig, PoolConfig } from 'pg';
import type { DbCredentials } from '../credentials/db-credentials.js';
import type { RedshiftSecret } from '../credentials/parse.js';
import { InvalidOptionError } from '../errors.js';
import { isPlainObject } from '../internal/options.js';
import { resolveSetup, type RedshiftCommonOptions, type RedshiftConnectionConfig, type Setup } from './options.js';
import { PREBUILT_SETUP, RedshiftPool } from './pool.js';
import { recoveringClientClass } from './recovering-client.js';

/** Options of {@link pgModule}. */
export type PgModuleOptions = RedshiftCommonOptions & {
  /**
   * pg settings for every connection the module opens (`statement_timeout`, `application_name`,
   * ...), under whatever the ORM passes; `host`, `port`, `database` here override the secret's.
   */
  connectionConfig?: RedshiftConnectionConfig;
};

/**
 * A stand-in for the `pg` package, to hand to an ORM: everything of `pg` (`types`, `defaults`,
 * `escapeIdentifier`, ...) except `Pool` and `Client`, which log in with the secret.
 */
export type PgModule = Omit<typeof pg, 'Pool' | 'Client' | 'native'> & {
  /** pg's Pool, logging every new connection in with the secret's current credentials and recovering like {@link getRedshiftPool}. */
  Pool: new (config?: PoolConfig) => RedshiftPool;
  /** pg's Client, logging in with the secret's current credentials; `connect()` recovers from a rejected login on the same instance. */
  Client: new (config?: ClientConfig) => pg.Client;
  /** Always null: pg-native connections would bypass credstage, so ORMs that look for it (TypeORM, Sequelize's `native`) keep the JavaScript client. */
  native: null;
  /** The rotation-aware credentials every Pool and Client of the module shares (one recovery per rejected version). */
  readonly credentials: DbCredentials<RedshiftSecret>;
  /** Closes the cache the module built (not the ORM's connections). Safe to call twice. */
  close(): Promise<void>;
};

/**
 * What an ORM may not set in its own connection settings once it uses the module, and why.
 * Credentials in two places are always a mistake (after an alternating-users rotation the ORM's
 * username would even be wrong), and a database or TLS choice the ORM asked for but did not get
 * would fail later and less clearly, so these are refused instead of silently dropped.
 */
const REFUSED_FROM_ORM: Readonly<Record<string, string>> = {
  user: 'comes from the secret: remove the username from the ORM\'s connection settings',
  password: 'comes from the secret: remove the password from the ORM\'s connection settings',
  connectionString: 'cannot be combined with a secret: remove the URL from the ORM\'s connection settings',
  database: 'comes from the secret\'s "dbname": to use another database, pass it as pgModule({ connectionConfig: { database } })',
  ssl: 'follows the secret\'s "ssl" field: pass TLS options as pgModule({ ssl })',
  Client: 'is set by credstage',
};

/**
 * Ignored when the ORM passes them: Sequelize fills in `localhost` and 5432 when its config has
 * none, so a value here cannot be told from a default. The secret's host and port (or
 * `connectionConfig`'s) are used.
 */
const IGNORED_FROM_ORM = ['host', 'port'] as const;

/** The ORM's pg settings without the ignored keys; throws InvalidOptionError for a refused one. */
export function ormSettings(secretId: string, where: 'Pool' | 'Client', config: unknown): Record<string, unknown> {
  if (config === undefined || config === null) return {};
  if (!isPlainObject(config)) throw new InvalidOptionError(`${where} settings`, `must be an object (pgModule of secret "${secretId}")`);
  const settings: Record<string, unknown> = { ...config };
  for (const [key, problem] of Object.entries(REFUSED_FROM_ORM)) {
    // Sequelize passes `password: null` when none is configured: null counts as not set.
    if (settings[key] !== undefined && settings[key] !== null) {
      throw new InvalidOptionError(`${where} settings.${key}`, `${problem} (pgModule of secret "${secretId}")`);
    }
    delete settings[key];
  }
  if (settings['stream'] !== undefined && typeof settings['stream'] !== 'function') {
    throw new InvalidOptionError(
      `${where} settings.stream`,
      `must be a function returning a new stream: a rejected login is retried on a new connection (pgModule of secret "${secretId}")`,
    );
  }
  for (const key of IGNORED_FROM_ORM) delete settings[key];
  return settings;
}

/**
 * A pg-shaped module for ORMs that build their own connections from the `pg` package — Sequelize
 * (`dialectModule`), TypeORM (`driver`) — whose `Pool` and `Client` log in with the secret's
 * current username and password and recover from a rotation exactly as {@link getRedshiftPool}
 * does. Every Pool and Client of one module shares one cache and one recovery.
 *
 * Where to connect and as whom comes from the secret (and from `connectionConfig` / `ssl`
 * here), never from the ORM's own settings: the ORM's `user`, `password`, `connectionString`,
 * `database` and `ssl` are refused (InvalidOptionError when the ORM opens its first connection),
 * its `host` and `port` are ignored. Pool sizes, timeouts and other pg settings the ORM passes
 * are used as given.
 *
 * @example
 * ```ts
 * import { Sequelize } from 'sequelize';
 * import { pgModule } from 'credstage/redshift';
 *
 * const sequelize = new Sequelize({ dialect: 'postgres', dialectModule: pgModule({ secretId: 'Applications/MyApp/Redshift' }) });
 * ```
 */
export function pgModule(options: PgModuleOptions): PgModule {
  const setup = resolveSetup(options, 'connectionConfig', options?.connectionConfig);
  // Pools and clients of the module must not close the shared cache when one of them ends.
  const shared: Setup = Object.freeze({ ...setup, ownedCache: undefined });
  const { secretId } = setup;
  const defaults: Record<string, unknown> = { ...options.connectionConfig };
  const RecoveringClient = recoveringClientClass(shared);

  class Pool extends RedshiftPool {
    constructor(config?: PoolConfig) {
      const poolConfig = { ...defaults, ...ormSettings(secretId, 'Pool', config) } as PoolConfig;
      super({ secretId, [PREBUILT_SETUP]: { setup: shared, poolConfig } } as ConstructorParameters<typeof RedshiftPool>[0]);
    }
  }

  class Client extends RecoveringClient {
    constructor(config?: ClientConfig) {
      super({ ...defaults, ...ormSettings(secretId, 'Client', config) } as ClientConfig);
    }
  }

  let closing: Promise<void> | undefined;
  // pg's own properties as they are (its `native` getter is not invoked: it would load pg-native).
  const { native: _native, Pool: _pool, Client: _client, ...rest } = Object.getOwnPropertyDescriptors(pg);
  return Object.defineProperties({} as PgModule, {
    ...rest,
    Pool: { value: Pool, enumerable: true },
    Client: { value: Client, enumerable: true },
    native: { value: null, enumerable: true },
    credentials: { value: setup.credentials, enumerable: false },
    close: { value: () => (closing ??= setup.ownedCache?.close() ?? Promise.resolve()), enumerable: false },
  });
}
