import { InvalidOptionError } from '../errors.js';
import { checkSecretsManagerChoice, SECRETS_MANAGER_KEYS, type SecretsManagerChoice } from '../secrets-manager/client.js';
import type { SecretCache } from './secret-cache.js';

/**
 * Where a connection factory reads its secret: a `cache` you share, or a cache the factory
 * builds (and closes) over `secretsManager` or `secretsManagerConfig`. One of the three at
 * most; the types say so too.
 *
 * @example
 * ```ts
 * getRedshiftPool({ secretId, cache });                                        // a shared cache
 * getRedshiftPool({ secretId, secretsManagerConfig: { region: 'us-west-2' } }); // a cache of its own
 * ```
 */
export type CacheChoice =
  | {
      /** The cache to read the secret through. Default: a cache the factory builds and closes with the client. */
      cache?: SecretCache;
      secretsManager?: never;
      secretsManagerConfig?: never;
    }
  | ({ cache?: never } & SecretsManagerChoice);

/** The keys of {@link CacheChoice}, for unknown-key checks. */
export const CACHE_CHOICE_KEYS = Object.freeze({ cache: true, ...SECRETS_MANAGER_KEYS } as const);

/** Checks `cache`, `secretsManager` and `secretsManagerConfig` (InvalidOptionError naming the field). */
export function checkCacheChoice(options: { cache?: unknown; secretsManager?: unknown; secretsManagerConfig?: unknown }): void {
  const { cache } = options;
  if (cache !== undefined) {
    if (typeof (cache as Partial<SecretCache> | null)?.getSecretVersion !== 'function') throw new InvalidOptionError('cache', 'must be a SecretCache');
    if (options.secretsManager !== undefined) throw new InvalidOptionError('secretsManager', 'cannot be combined with cache (the cache has its own client)');
    if (options.secretsManagerConfig !== undefined) throw new InvalidOptionError('secretsManagerConfig', 'cannot be combined with cache');
  }
  checkSecretsManagerChoice(options);
}
