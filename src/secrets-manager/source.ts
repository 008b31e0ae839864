import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { fromSdkError, SecretNotFoundError } from '../errors.js';
import type { SecretsManagerLike } from './client.js';
import { observeSecretsManager } from '../diagnostics/publish.js';
import { AWSCURRENT, SecretVersion, type VersionSelector } from './secret-version.js';

/** Reads one version of a secret. The cache's only way to reach Secrets Manager. */
export interface SecretSource {
  fetch(secretId: string, selector: VersionSelector): Promise<SecretVersion>;
}

/**
 * GetSecretValue through the AWS SDK. Every request names its stage or version id
 * explicitly, AWSCURRENT included: the read path needs only `secretsmanager:GetSecretValue`.
 */
export class SecretsManagerSource implements SecretSource {
  private readonly client: SecretsManagerLike;

  constructor(client: SecretsManagerLike) {
    this.client = observeSecretsManager(client);
  }

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
