import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';

/**
 * Anything with the `send(command)` of a SecretsManagerClient: the real client, a client
 * with middleware, or `InMemorySecretsManager` from `credstage/testing`.
 */
export interface SecretsManagerLike {
  send(command: any, options?: any): Promise<any>;
  destroy?(): void;
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
 * const cache = new SecretCache({ client });
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
