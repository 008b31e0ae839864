import { SecretCache } from '../cache/secret-cache.js';
import type { CacheEvent } from '../cache/events.js';
import { DbCredentials } from '../credentials/db-credentials.js';
import { parseDocumentDbSecret, type DocumentDbSecret } from '../credentials/parse.js';
import { DocumentDbClient } from './client.js';
import { ClientCore } from './core.js';
import { resolveDocumentDbOptions, type DocumentDbClientOptions } from './options.js';

/**
 * Opens a DocumentDB connection from a Secrets Manager secret, in place of credentials in a
 * config file. Resolves once the database accepted a login: with AWSCURRENT, or with the
 * version recovery found (AWSPENDING while a rotation is between its password change and its
 * stage move). Rejects with AuthenticationRejectedError when no version works within
 * `recoveryBudgetMs`, with InvalidOptionError naming a bad option, with
 * InvalidSecretFormatError naming a bad secret field, or with the driver's error when the
 * server cannot be reached (TLS failures included).
 *
 * Settings come from the secret (`host`, `port` 27017, `username`, `password`, `ssl`,
 * `dbname`) on top of DocumentDB defaults: TLS when `ssl` is true (with `tlsCAFile`, and never
 * a plaintext fallback), `retryWrites: false`, `authSource: 'admin'`, `directConnection: true`,
 * `minHeartbeatFrequencyMS: 20` (see `DOCUMENTDB_DEFAULTS`).
 * The password goes to the driver as an option, never into a URI.
 *
 * @example
 * ```ts
 * import { getDocumentDbClient } from 'credstage/documentdb';
 *
 * const client = await getDocumentDbClient({
 *   secretId: 'Applications/MyApp/Documentdb-instance',
 *   secretsManagerConfig: { region: 'us-west-2' },
 *   tlsCAFile: '/opt/myapp/global-bundle.pem',
 * });
 * const orders = client.db('shop').collection('orders');
 * await orders.insertOne({ _id: 'o-1', total: 42 });
 * ```
 */
export async function getDocumentDbClient(options: DocumentDbClientOptions): Promise<DocumentDbClient> {
  return (await openDocumentDb(options)).client;
}

/**
 * What {@link getDocumentDbClient} builds, with its machinery: for integrations (mongoose) that
 * need the live MongoClient itself. Resolves once a login succeeded; on failure closes what it built.
 */
export async function openDocumentDb(options: DocumentDbClientOptions): Promise<{ client: DocumentDbClient; core: ClientCore }> {
  const config = resolveDocumentDbOptions(options);
  // A DocumentDB listener takes every cache event too, so it serves as the cache's listener as it is.
  const onCacheEvent: ((event: CacheEvent) => void) | undefined = config.onEvent;
  const ownedCache =
    options.cache === undefined
      ? new SecretCache({
          ...(options.secretsManager === undefined ? { secretsManagerConfig: options.secretsManagerConfig } : { secretsManager: options.secretsManager }),
          ...(onCacheEvent === undefined ? {} : { onEvent: onCacheEvent }),
          clock: config.clock,
          random: config.random,
        })
      : undefined;
  const cache = options.cache ?? ownedCache!;
  const core = new ClientCore(
    new DbCredentials<DocumentDbSecret>({
      cache,
      secretId: config.secretId,
      parse: parseDocumentDbSecret,
      recoveryBudgetMs: config.recoveryBudgetMs,
      clock: config.clock,
      random: config.random,
      ...(onCacheEvent === undefined ? {} : { onEvent: onCacheEvent }),
    }),
    config,
  );
  const client = new DocumentDbClient(core, ownedCache);
  try {
    await core.start();
  } catch (err) {
    await client.close();
    throw err;
  }
  return { client, core };
}
