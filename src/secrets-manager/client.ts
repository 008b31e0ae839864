import { InvalidOptionError } from '../errors.js';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';

/**
 * Anything with the `send(command)` of a SecretsManagerClient: the real client, a client
 * with middleware, or `InMemorySecretsManager` from `credstage/testing`.
 */
export interface SecretsManagerLike {
  send(command: any, options?: any): Promise<any>;
  destroy?(): void;
}

/**
 * Where the Secrets Manager client comes from: `secretsManager` (a client you built) or
 * `secretsManagerConfig` (config of one credstage builds), never both; the types say so too.
 *
 * @example
 * ```ts
 * new SecretCache({ secretsManager: new SecretsManagerClient({}) });
 * new SecretCache({ secretsManagerConfig: { region: 'us-west-2' } });
 * ```
 */
export type SecretsManagerChoice =
  | {
      /** A SecretsManagerClient, or anything with the same `send(command)` (e.g. InMemorySecretsManager). Not with `secretsManagerConfig`. */
      secretsManager?: SecretsManagerLike;
      secretsManagerConfig?: never;
    }
  | {
      secretsManager?: never;
      /** Config of the SecretsManagerClient credstage builds when `secretsManager` is not given. */
      secretsManagerConfig?: SecretsManagerClientConfig;
    };

/** The keys of {@link SecretsManagerChoice}, for unknown-key checks. */
export const SECRETS_MANAGER_KEYS = Object.freeze({ secretsManager: true, secretsManagerConfig: true } as const);

/**
 * Checks `secretsManager` / `secretsManagerConfig` of an options object (InvalidOptionError
 * naming the field): a client must have `send()`, a config must be an object, not both.
 */
export function checkSecretsManagerChoice(options: { secretsManager?: unknown; secretsManagerConfig?: unknown }): void {
  const { secretsManager, secretsManagerConfig } = options;
  if (secretsManager !== undefined && typeof (secretsManager as Partial<SecretsManagerLike> | null)?.send !== 'function') {
    throw new InvalidOptionError('secretsManager', 'must have a send(command) method (a SecretsManagerClient)');
  }
  if (secretsManagerConfig !== undefined && (typeof secretsManagerConfig !== 'object' || secretsManagerConfig === null || Array.isArray(secretsManagerConfig))) {
    throw new InvalidOptionError('secretsManagerConfig', 'must be an object (SecretsManagerClientConfig)');
  }
  if (secretsManager !== undefined && secretsManagerConfig !== undefined) {
    throw new InvalidOptionError('secretsManagerConfig', 'cannot be combined with secretsManager');
  }
}

/** How long one request to Secrets Manager may take when the config sets no requestHandler. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/**
 * Builds a SecretsManagerClient for credstage. Unless the config says otherwise:
 * - the SDK's own retries are off (`maxAttempts: 1`): the cache retries with its own jittered
 *   backoff, and two retry layers would multiply the calls during an outage;
 * - a request times out after 5 s (connect and response), as an error: the SDK's default is to
 *   wait for the socket's 5-minute timeout, which would hold a waiting caller that long.
 *
 * @example
 * ```ts
 * const client = createSecretsManagerClient({ region: 'us-west-2' });
 * const cache = new SecretCache({ secretsManager: client });
 * ```
 */
export function createSecretsManagerClient(config: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
      requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...config,
  });
}
