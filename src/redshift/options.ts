import pg from 'pg';
import type { ClientConfig, PoolConfig } from 'pg';
import { checkFunction, checkNumber, DEFAULT_RECOVERY_BUDGET_MS, isPlainObject, refuseUnknownKeys } from '../internal/options.js';
import { checkClock, type Clock, type RandomSource } from '../internal/clock.js';
import { SecretCache } from '../cache/secret-cache.js';
import { CACHE_CHOICE_KEYS, checkCacheChoice, type CacheChoice } from '../cache/cache-choice.js';
import { DbCredentials } from '../credentials/db-credentials.js';
import { parseRedshiftSecret, type RedshiftSecret } from '../credentials/parse.js';
import { InvalidOptionError } from '../errors.js';
import { emitSafely } from '../internal/emit.js';
import type { RedshiftEvent } from './events.js';
import { prepareTls, type RedshiftTlsOption, type TlsPolicy } from '../credentials/pg-tls.js';

/** Settings the secret owns: the factory refuses them in `poolConfig` / `connectionConfig`. */
const OWNED_BY_SECRET = {
  user: 'comes from the secret (alternating-users rotation changes it)',
  password: 'comes from the secret',
  connectionString: 'cannot be combined with a secret: pass host, port or database to override the secret',
  ssl: 'is set with the top-level "ssl" option',
  // pg reads these only from a connection string; refused rather than silently ignored.
  sslmode: 'is not read by pg here: TLS follows the secret\'s "ssl" field, PGSSLMODE and the top-level "ssl" option',
  sslrootcert: 'is not read by pg here: pass the CA as the top-level "ssl" option\'s "ca"',
  sslcert: 'is not read by pg here: pass the certificate as the top-level "ssl" option\'s "cert"',
  sslkey: 'is not read by pg here: pass the key as the top-level "ssl" option\'s "key"',
  Client: 'is set by credstage',
} as const;

/** pg settings for the pool, without the ones the secret provides. `host`, `port`, `database` override the secret's. */
export type RedshiftPoolConfig = Omit<PoolConfig, keyof typeof OWNED_BY_SECRET>;

/** pg settings for one client, without the ones the secret provides. `host`, `port`, `database` override the secret's. */
export type RedshiftConnectionConfig = Omit<ClientConfig, keyof typeof OWNED_BY_SECRET>;

/** The pg Client class connections are built from; credstage subclasses it. */
export type PgClientClass = typeof pg.Client;

/**
 * Options shared by {@link getRedshiftPool} and {@link getRedshiftClient}. The secret is read
 * through `cache`, or through a cache the factory builds (closed on `end()`) over
 * `secretsManager` or `secretsManagerConfig`; one of the three at most.
 */
export type RedshiftCommonOptions = RedshiftOwnOptions & CacheChoice;

/** The options of both Redshift factories besides the secret's source. */
export interface RedshiftOwnOptions {
  /** Name or ARN of the secret (`{ engine: "redshift" | "postgres", host, port, username, password, dbname, ssl }`). */
  secretId: string;
  /**
   * TLS. Default: what the secret says — `"ssl": true` or no `ssl` field → TLS with certificate
   * verification (without the field, `PGSSLMODE` may choose), `"ssl": false` → plaintext.
   * Node TLS options (`{ ca }` for a private or RDS CA) turn TLS on. When the secret says
   * `"ssl": true`, `false` and `{ rejectUnauthorized: false }` are refused.
   */
  ssl?: RedshiftTlsOption;
  /** How long one connection attempt looks for working credentials after a rejected login. Default {@link DEFAULT_RECOVERY_BUDGET_MS} (30,000 ms). */
  recoveryBudgetMs?: number;
  /**
   * The pg Client class every connection is built from (credstage subclasses it to log in with
   * the secret). Default `pg.Client`. Injectable, as DocumentDB's `createMongoClient` is, to
   * instrument, count or fake connections.
   */
  pgClient?: PgClientClass;
  /** The time source: `now()` for rate limits, `monotonicMs()` for recovery budgets and login durations. Default the system clock. */
  clock?: Clock;
  /** The random source of recovery backoff jitter (and of the cache the factory builds). Default `Math.random`. */
  random?: RandomSource;
  /**
   * Called with every login and with `auth-recovery` events; with the cache's events too when the
   * factory built the cache. Must not throw (a throw is ignored). Never receives a password.
   */
  onEvent?: (event: RedshiftEvent) => void;
}

/** Everything a connection needs, resolved and checked once per factory call. */
export interface Setup {
  readonly secretId: string;
  readonly credentials: DbCredentials<RedshiftSecret>;
  /** The cache the factory built, to close with the pool or client; undefined when the caller passed one. */
  readonly ownedCache: SecretCache | undefined;
  readonly tls: TlsPolicy;
  readonly overrides: Readonly<{ host?: string; port?: number; database?: string }>;
  readonly emit: (event: RedshiftEvent) => void;
  readonly pgClient: PgClientClass;
  readonly clock: Clock;
}

function checkPgConfig(name: string, config: unknown): Setup['overrides'] {
  if (config === undefined) return {};
  if (!isPlainObject(config)) throw new InvalidOptionError(name, 'must be an object');
  for (const [key, problem] of Object.entries(OWNED_BY_SECRET)) {
    if (config[key] !== undefined) throw new InvalidOptionError(`${name}.${key}`, problem);
  }
  const overrides: { host?: string; port?: number; database?: string } = {};
  if (config['host'] !== undefined) {
    if (typeof config['host'] !== 'string' || config['host'] === '') {
      throw new InvalidOptionError(`${name}.host`, 'must be a non-empty string');
    }
    // A URL here would carry a password into login events and pg's DNS errors: refused, and not printed.
    if (/[/@]/.test(config['host']) && !config['host'].startsWith('/')) {
      throw new InvalidOptionError(`${name}.host`, 'must be a host name, an IP address or a socket directory, not a URL (the credentials come from the secret)');
    }
    overrides.host = config['host'];
  }
  if (config['port'] !== undefined) {
    const port = checkNumber(`${name}.port`, config['port'], 1, 65_535);
    if (!Number.isInteger(port)) throw new InvalidOptionError(`${name}.port`, 'must be an integer');
    overrides.port = port;
  }
  if (config['database'] !== undefined) {
    if (typeof config['database'] !== 'string' || config['database'] === '') {
      throw new InvalidOptionError(`${name}.database`, 'must be a non-empty string');
    }
    overrides.database = config['database'];
  }
  return Object.freeze(overrides);
}

/** The top-level options both factories take; each adds its own pg settings (`poolConfig`, `connectionConfig`). */
const COMMON_KEYS: Readonly<Record<keyof RedshiftCommonOptions, true>> = {
  ...CACHE_CHOICE_KEYS, secretId: true, ssl: true, recoveryBudgetMs: true, onEvent: true, pgClient: true, clock: true, random: true,
};

function checkSsl(ssl: unknown): RedshiftTlsOption | undefined {
  if (ssl === undefined || typeof ssl === 'boolean' || isPlainObject(ssl)) return ssl as RedshiftTlsOption | undefined;
  throw new InvalidOptionError('ssl', 'must be true, false or an object of TLS options');
}

/**
 * Checks the options (InvalidOptionError naming the field), then builds the cache (unless one
 * was given) and the credentials. `pgConfigName` names the pg settings in error messages.
 */
export function resolveSetup(options: RedshiftCommonOptions, pgConfigName: string, pgConfig: unknown): Setup {
  if (!isPlainObject(options)) throw new InvalidOptionError('options', 'must be an object');
  // A misspelt option (`recoverBudgetMs`, pg's `max` at the top level) would otherwise be ignored silently.
  refuseUnknownKeys('', options, { ...COMMON_KEYS, [pgConfigName]: true }, 'this factory', ` (pg settings go in "${pgConfigName}")`);
  const { secretId, cache, secretsManager, secretsManagerConfig, onEvent } = options;
  if (typeof secretId !== 'string' || secretId === '') throw new InvalidOptionError('secretId', 'must be a non-empty string');
  checkCacheChoice(options);
  checkFunction('onEvent', onEvent);
  const pgClient = options.pgClient ?? pg.Client;
  if (typeof pgClient !== 'function') throw new InvalidOptionError('pgClient', 'must be a class: pg.Client or a subclass of it');
  const clock = checkClock('clock', options.clock);
  const random = checkFunction('random', options.random) ?? Math.random;
  const recoveryBudgetMs = checkNumber('recoveryBudgetMs', options.recoveryBudgetMs ?? DEFAULT_RECOVERY_BUDGET_MS, 0);
  const tls = prepareTls(checkSsl(options.ssl));
  const overrides = checkPgConfig(pgConfigName, pgConfig);
  const emit = (event: RedshiftEvent): void => emitSafely(onEvent, event);

  // Built last: every check above can throw without leaving a client behind.
  const ownedCache =
    cache === undefined
      ? new SecretCache({ ...(secretsManager ? { secretsManager } : { secretsManagerConfig }), onEvent: onEvent && emit, clock, random })
      : undefined;
  const credentials = new DbCredentials<RedshiftSecret>({
    cache: cache ?? (ownedCache as SecretCache),
    secretId,
    parse: parseRedshiftSecret,
    recoveryBudgetMs,
    onEvent: onEvent && emit,
    clock,
    random,
  });
  return Object.freeze({ secretId, credentials, ownedCache, tls, overrides, emit, pgClient, clock });
}
