import { existsSync } from 'node:fs';
import type { MongoClient, MongoClientOptions } from 'mongodb';
import { InvalidOptionError } from '../errors.js';
import { checkClock, type Clock, type RandomSource } from '../internal/clock.js';
import { mongoUrl } from '../internal/mongo-url.js';
import { checkFunction, checkNumber, DEFAULT_RECOVERY_BUDGET_MS, isPlainObject, refuseUnknownKeys, type KnownKeys } from '../internal/options.js';
import { CACHE_CHOICE_KEYS, checkCacheChoice, type CacheChoice } from '../cache/cache-choice.js';
import type { DocumentDbSecret } from '../credentials/parse.js';
import type { DocumentDbClientEvent } from './events.js';
import { checkMongoOverrides, mergeMongoOptions } from './mongo-overrides.js';

/** Builds a MongoClient; injectable so tests can count or fake clients. */
export type MongoClientFactory = (url: string, options: MongoClientOptions) => MongoClient;

/**
 * Options of {@link getDocumentDbClient}. Only `secretId` is required. The secret is read
 * through `cache`, or through a new SecretCache (closed with the client) over
 * `secretsManager` or `secretsManagerConfig`; one of the three at most.
 */
export type DocumentDbClientOptions = DocumentDbOwnOptions & CacheChoice;

/** The options of {@link getDocumentDbClient} besides the secret's source. */
export interface DocumentDbOwnOptions {
  /** Name or ARN of the DocumentDB secret (`{ engine: "mongo", host, port, username, password, ssl }`). */
  secretId: string;
  /**
   * Extra MongoClient options; they override credstage's defaults (`directConnection: true`,
   * `retryWrites: false`, `authSource: 'admin'`, `minHeartbeatFrequencyMS: 20`), in any
   * spelling the driver accepts (it reads option names case-insensitively). Not allowed: `auth`
   * (credentials come from the secret), two spellings of one option, and, when the secret says
   * `ssl: true` or a CA is given, anything that turns TLS off (`tls`/`ssl` false) or weakens
   * its verification (`tlsInsecure`, `tlsAllowInvalidCertificates`, `tlsAllowInvalidHostnames`,
   * `rejectUnauthorized: false`, `checkServerIdentity`, `pskCallback`); through a tunnel, set
   * `servername` to the certificate's host name. Each is refused with InvalidOptionError.
   */
  mongoClientOptions?: MongoClientOptions;
  /**
   * CA bundle for TLS, e.g. Amazon's `global-bundle.pem`. A CA file implies TLS: given, it turns
   * TLS on also for a secret that says `ssl: false` (so does a CA given through
   * `mongoClientOptions` `tlsCAFile`, `ca` or `secureContext`).
   * Cannot be combined with `mongoClientOptions` `tlsCAFile`, `ca` or `secureContext`, which
   * would make the driver ignore it.
   */
  tlsCAFile?: string;
  /** How long an operation may spend finding working credentials after a rejection. Default {@link DEFAULT_RECOVERY_BUDGET_MS} (30,000 ms). */
  recoveryBudgetMs?: number;
  /**
   * Called with `login` (one per MongoClient built), switch, retry and `auth-recovery` events,
   * and with the cache's events when the client builds its own cache (a cache passed in reports
   * to its own `onEvent`). Never receives a password; must not throw (a throw is ignored).
   */
  onEvent?: (event: DocumentDbClientEvent) => void;
  /**
   * Builds each MongoClient. Default `new MongoClient(url, options)`. It receives the password
   * in `options.auth`; the client it returns gets its credentials hidden from printing before
   * `connect()`.
   */
  createMongoClient?: MongoClientFactory;
  /** The time source: `now()` for rate limits and follow-up checks, `monotonicMs()` for recovery budgets and login durations. Default the system clock. */
  clock?: Clock;
  /** The random source for retry jitter (and the cache built when `cache` is not given). Default `Math.random`. */
  random?: RandomSource;
}

/** The checked, frozen settings of one client. */
export interface DocumentDbClientConfig {
  readonly secretId: string;
  readonly mongoClientOptions: Readonly<MongoClientOptions>;
  readonly tlsCAFile: string | undefined;
  readonly recoveryBudgetMs: number;
  readonly onEvent: ((event: DocumentDbClientEvent) => void) | undefined;
  readonly createMongoClient: MongoClientFactory | undefined;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Defaults for a DocumentDB cluster; every one can be overridden through `mongoClientOptions`.
 * TLS is not among them: it follows the secret's `ssl` field (and a given CA file), and
 * nothing in `mongoClientOptions` can turn it off.
 *
 * @example
 * ```ts
 * // A cluster endpoint with replica-set discovery and reads from replicas:
 * await getDocumentDbClient({
 *   secretId,
 *   mongoClientOptions: { directConnection: false, replicaSet: 'rs0', readPreference: 'secondaryPreferred' },
 * });
 * ```
 */
export const DOCUMENTDB_DEFAULTS: Readonly<MongoClientOptions> = Object.freeze({
  // DocumentDB does not support retryable writes; the driver would fail every write with them on.
  retryWrites: false,
  authSource: 'admin',
  // One endpoint (cluster, instance or tunnel): talk to it, do not discover a replica set.
  directConnection: true,
  // A rejected login (a rotation changed the password) marks the server Unknown and clears the
  // pool; operations already selecting it wait for the monitor's next check, which the driver
  // spaces at least 500 ms apart. 20 ms keeps that wait out of a rotation's latency; the check
  // is a hello on the monitor's own connection, and runs this often only while one is pending.
  minHeartbeatFrequencyMS: 20,
});

/** The option keys getDocumentDbClient shares with the mongoose connection factories: all but `createMongoClient`. */
export const SHARED_OPTION_KEYS: KnownKeys<Omit<DocumentDbClientOptions, 'createMongoClient'>> = {
  ...CACHE_CHOICE_KEYS,
  secretId: true,
  mongoClientOptions: true,
  tlsCAFile: true,
  recoveryBudgetMs: true,
  onEvent: true,
  clock: true,
  random: true,
};

const OWN_KEYS: KnownKeys<DocumentDbClientOptions> = { ...SHARED_OPTION_KEYS, createMongoClient: true };

/** Checks the options once, up front; each problem names its field. */
export function resolveDocumentDbOptions(options: DocumentDbClientOptions): DocumentDbClientConfig {
  if (!isPlainObject(options as unknown)) throw new InvalidOptionError('options', 'must be an object');
  refuseUnknownKeys('', options, OWN_KEYS, 'getDocumentDbClient');
  const { secretId, mongoClientOptions = {}, tlsCAFile, onEvent, createMongoClient } = options;
  if (typeof secretId !== 'string' || secretId.trim() === '') {
    throw new InvalidOptionError('secretId', 'must be a non-empty string');
  }
  checkCacheChoice(options);
  if (!isPlainObject(mongoClientOptions)) throw new InvalidOptionError('mongoClientOptions', 'must be an object');
  if (tlsCAFile !== undefined) {
    if (typeof tlsCAFile !== 'string' || tlsCAFile === '') throw new InvalidOptionError('tlsCAFile', 'must be a non-empty path');
    if (!existsSync(tlsCAFile)) throw new InvalidOptionError('tlsCAFile', `names a file that does not exist: ${tlsCAFile}`);
  }
  const overrides = checkMongoOverrides(mongoClientOptions, tlsCAFile);
  checkFunction('onEvent', onEvent);
  checkFunction('createMongoClient', createMongoClient);
  const clock = checkClock('clock', options.clock);
  const random = checkFunction('random', options.random) ?? Math.random;
  return Object.freeze({
    secretId,
    mongoClientOptions: overrides,
    tlsCAFile,
    recoveryBudgetMs: checkNumber('recoveryBudgetMs', options.recoveryBudgetMs ?? DEFAULT_RECOVERY_BUDGET_MS, 0),
    onEvent,
    createMongoClient,
    clock,
    random,
  });
}

/**
 * The URI and MongoClient options for one secret version. The URI holds only host and port:
 * the username and password go in as `auth`, so no character of a password needs escaping.
 * TLS is applied after the overrides: when the secret says `ssl: true` or a CA file is given,
 * the options say `tls: true` whatever the overrides say, and an override that would turn TLS
 * off or weaken its verification throws InvalidOptionError naming it.
 */
export function mongoSettings(secret: DocumentDbSecret, config: DocumentDbClientConfig): { url: string; options: MongoClientOptions } {
  const options: MongoClientOptions = {
    ...mergeMongoOptions(DOCUMENTDB_DEFAULTS, config.mongoClientOptions, { secretSsl: secret.ssl, secretId: secret.secretId, tlsCAFile: config.tlsCAFile }),
    auth: { username: secret.username, password: secret.password },
  };
  return { url: mongoUrl(secret.host, secret.port, secret), options };
}
