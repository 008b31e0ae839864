import { GetSecretValueCommand, SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { fromSdkError, SecretNotFoundError } from '../errors.js';
import { AWSCURRENT, SecretVersion, type VersionSelector } from './secret-version.js';

/**
 * Anything with the `send(command)` of a SecretsManagerClient: the real client, a client
 * with middleware, or `InMemorySecretsManager` from `credstage/testing`.
 */
export interface SecretsManagerLike {
  send(command: any, options?: any): Promise<any>;
  destroy?(): void;
}

/** Reads one version of a secret. The cache's only way to reach Secrets Manager. */
export interface SecretSource {
  fetch(secretId: string, selector: VersionSelector): Promise<SecretVersion>;
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

/**
 * GetSecretValue through the AWS SDK. Every request names its stage or version id
 * explicitly, AWSCURRENT included: the read path needs only `secretsmanager:GetSecretValue`.
 */
export class SecretsManagerSource implements SecretSource {
  constructor(private readonly client: SecretsManagerLike) {}

  async fetch(secretId: string, selector: VersionSelector): Promise<SecretVersion> {
    const ref = { secretId, ...selector };
    const input = selector.versionId
      ? { SecretId: secretId, VersionId: selector.versionId }
      : { SecretId: secretId, VersionStage: selector.versionStage ?? AWSCURRENT };
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand(input));
    } catch (err) {
      throw fromSdkError(err, ref);
    }
    if (!out || typeof out.VersionId !== 'string') throw new SecretNotFoundError(ref);
    return new SecretVersion(
      {
        arn: out.ARN,
        name: out.Name ?? secretId,
        versionId: out.VersionId,
        versionStages: out.VersionStages ?? [],
        createdDate: out.CreatedDate instanceof Date ? out.CreatedDate : out.CreatedDate ? new Date(out.CreatedDate) : undefined,
      },
      { secretString: out.SecretString, secretBinary: out.SecretBinary },
    );
  }
}
