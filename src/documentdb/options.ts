import { existsSync } from 'node:fs';
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { MongoClient, MongoClientOptions } from 'mongodb';
import { InvalidOptionError } from '../errors.js';
import { systemClock, type Clock, type RandomSource } from '../internal/clock.js';
import { mongoUrl } from '../internal/mongo-url.js';
import { checkNumber } from '../internal/options.js';
import type { SecretCache } from '../cache/secret-cache.js';
import type { SecretsManagerLike } from '../secrets-manager/client.js';
import type { DocumentDbSecret } from '../credentials/parse.js';
import type { DocumentDbClientEvent } from './events.js';
import { checkMongoOverrides, mergeMongoOptions } from './mongo-overrides.js';

/** Builds a MongoClient; injectable so tests can count or fake clients. */
export type MongoClientFactory = (url: string, options: MongoClientOptions) => MongoClient;

/** Options of {@link getDocumentDbClient}. Only `secretId` is required. */
export interface DocumentDbClientOptions {
  /** Name or ARN of the DocumentDB secret (`{ engine: "mongo", host, port, username, password, ssl }`). */
  secretId: string;
  /** The cache to read the secret through. Default: a new SecretCache, closed with the client. */
  cache?: SecretCache;
  /** Secrets Manager client for the cache built when `cache` is not given. */
  client?: SecretsManagerLike;
  /** Config for the Secrets Manager client built when neither `cache` nor `client` is given. */
  clientConfig?: SecretsManagerClientConfig;
  /**
   * Extra MongoClient options; they override credstage's defaults (`directConnection: true`,
   * `retryWrites: false`, `authSource: 'admin'`), in any spelling the driver accepts (it reads
   * option names case-insensitively). Not allowed: `auth` (credentials come from the secret),
   * two spellings of one option, and, when the secret says `ssl: true` or a CA is given,
   * anything that turns TLS off (`tls`/`ssl` false) or weakens its verification
   * (`tlsInsecure`, `tlsAllowInvalidCertificates`, `tlsAllowInvalidHostnames`,
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
  /** How long an operation may spend finding working credentials after a rejection. Default 30,000 ms. */
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
  /** The time source for rate limits and follow-up checks. Default `Date.now`. */
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
});

const OWN_KEYS = new Set([
  'secretId',
  'cache',
  'client',
  'clientConfig',
  'mongoClientOptions',
  'tlsCAFile',
  'recoveryBudgetMs',
  'onEvent',
  'createMongoClient',
  'clock',
  'random',
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks the options once, up front; each problem names its field. */
export function resolveDocumentDbOptions(options: DocumentDbClientOptions): DocumentDbClientConfig {
  if (!isPlainObject(options)) throw new InvalidOptionError('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!OWN_KEYS.has(key)) throw new InvalidOptionError(key, 'is not an option of getDocumentDbClient');
  }
  const { secretId, cache, client, clientConfig, mongoClientOptions = {}, tlsCAFile, onEvent, createMongoClient } = options;
  if (typeof secretId !== 'string' || secretId.trim() === '') {
    throw new InvalidOptionError('secretId', 'must be a non-empty string');
  }
  if (cache !== undefined) {
    if (typeof (cache as { getSecretVersion?: unknown })?.getSecretVersion !== 'function') {
      throw new InvalidOptionError('cache', 'must be a SecretCache');
    }
    if (client !== undefined) throw new InvalidOptionError('client', 'cannot be combined with cache (the cache has its own client)');
    if (clientConfig !== undefined) throw new InvalidOptionError('clientConfig', 'cannot be combined with cache');
  }
  if (!isPlainObject(mongoClientOptions)) throw new InvalidOptionError('mongoClientOptions', 'must be an object');
  if (tlsCAFile !== undefined) {
    if (typeof tlsCAFile !== 'string' || tlsCAFile === '') throw new InvalidOptionError('tlsCAFile', 'must be a non-empty path');
    if (!existsSync(tlsCAFile)) throw new InvalidOptionError('tlsCAFile', `names a file that does not exist: ${tlsCAFile}`);
  }
  const overrides = checkMongoOverrides(mongoClientOptions, tlsCAFile);
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new InvalidOptionError('onEvent', 'must be a function');
  if (createMongoClient !== undefined && typeof createMongoClient !== 'function') {
    throw new InvalidOptionError('createMongoClient', 'must be a function');
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function') throw new InvalidOptionError('clock', 'must have a now() method');
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new InvalidOptionError('random', 'must be a function');
  return Object.freeze({
    secretId,
    mongoClientOptions: overrides,
    tlsCAFile,
    recoveryBudgetMs: checkNumber('recoveryBudgetMs', options.recoveryBudgetMs ?? 30_000, 0),
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
