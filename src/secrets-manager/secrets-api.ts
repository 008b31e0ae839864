import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type GetRandomPasswordRequest,
} from '@aws-sdk/client-secrets-manager';
import { fromSdkError, SecretNotFoundError } from '../errors.js';
import { SecretsManagerSource } from './source.js';
import type { SecretsManagerLike } from './client.js';
import { observeSecretsManager } from '../diagnostics/publish.js';
import { AWSCURRENT, type SecretVersion } from './secret-version.js';

/** A secret's rotation-relevant metadata from one DescribeSecret. */
export interface DescribedSecret {
  readonly arn: string | undefined;
  readonly rotationEnabled: boolean;
  /** Versions that carry at least one stage label (DescribeSecret lists only those). */
  readonly versionIdsToStages: ReadonlyMap<string, readonly string[]>;
}

/** The version holding `stage`, if any. */
export function holderOf(state: DescribedSecret, stage: string): string | undefined {
  for (const [versionId, stages] of state.versionIdsToStages) if (stages.includes(stage)) return versionId;
  return undefined;
}

/** The stages of `versionId` (empty when it has none or does not exist). */
export function stagesOf(state: DescribedSecret, versionId: string): readonly string[] {
  return state.versionIdsToStages.get(versionId) ?? [];
}

/**
 * The Secrets Manager calls of a rotation (DescribeSecret, GetSecretValue by version,
 * PutSecretValue, UpdateSecretVersionStage, GetRandomPassword), for one secret. Every error is mapped to a typed
 * credstage error; every read names the version or stage explicitly.
 */
export class SecretsApi {
  readonly #client: SecretsManagerLike;
  readonly #source: SecretsManagerSource;

  constructor(
    client: SecretsManagerLike,
    readonly secretId: string,
  ) {
    this.#client = observeSecretsManager(client);
    this.#source = new SecretsManagerSource(this.#client);
  }

  async describe(): Promise<DescribedSecret> {
    const out = await this.#send(new DescribeSecretCommand({ SecretId: this.secretId }), {});
    const map = new Map<string, readonly string[]>();
    for (const [versionId, stages] of Object.entries((out?.VersionIdsToStages ?? {}) as Record<string, string[]>)) {
      map.set(versionId, Object.freeze([...stages]));
    }
    return { arn: out?.ARN, rotationEnabled: out?.RotationEnabled === true, versionIdsToStages: map };
  }

  /** One version by id, or undefined when it does not exist (or has no value yet). */
  async readVersion(versionId: string): Promise<SecretVersion | undefined> {
    try {
      return await this.#source.fetch(this.secretId, { versionId });
    } catch (err) {
      if (err instanceof SecretNotFoundError) return undefined;
      throw err;
    }
  }

  /** The AWSCURRENT version of another secret (the master secret of alternating users). */
  readCurrentOf(secretId: string): Promise<SecretVersion> {
    return this.#source.fetch(secretId, { versionStage: AWSCURRENT });
  }

  /**
   * PutSecretValue under `token` with the given stages. `exists` when the token already names a
   * version with another value (ResourceExistsException): a run sharing the token put first.
   */
  async put(token: string, secretString: string, stages: readonly string[]): Promise<'created' | 'exists'> {
    const input = { SecretId: this.secretId, ClientRequestToken: token, SecretString: secretString, VersionStages: [...stages] };
    try {
      await this.#client.send(new PutSecretValueCommand(input));
      return 'created';
    } catch (err) {
      if ((err as { name?: unknown }).name === 'ResourceExistsException') return 'exists';
      throw fromSdkError(err, { secretId: this.secretId, versionId: token });
    }
  }

  /** UpdateSecretVersionStage: fails (InvalidParameter) unless `removeFrom` holds the stage — a compare-and-swap. */
  async moveStage(stage: string, move: { to?: string; from?: string }): Promise<void> {
    const input = { SecretId: this.secretId, VersionStage: stage, MoveToVersionId: move.to, RemoveFromVersionId: move.from };
    await this.#send(new UpdateSecretVersionStageCommand(input), { versionStage: stage });
  }

  async randomPassword(request: GetRandomPasswordRequest): Promise<unknown> {
    const out = await this.#send(new GetRandomPasswordCommand({ ...request }), {});
    return out?.RandomPassword;
  }

  async #send(command: unknown, ref: { versionId?: string; versionStage?: string }): Promise<any> {
    try {
      return await this.#client.send(command);
    } catch (err) {
      throw fromSdkError(err, { secretId: this.secretId, ...ref });
    }
  }
}
