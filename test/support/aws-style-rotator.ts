import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerLike } from '../../src/secrets-manager/client.js';

/** A database secret's JSON, as a rotator handles it. */
export type SecretJson = Record<string, unknown> & { username: string; password: string };

export interface AwsStyleRotatorOptions {
  client: SecretsManagerLike;
  secretId: string;
  /**
   * Makes the database accept `pending` (ALTER USER / updateUser; for alternating users,
   * create or re-password the other user with the master credentials).
   */
  setPassword: (pending: SecretJson, current: SecretJson) => Promise<void>;
  /** The AWSPENDING value from AWSCURRENT. Default: same fields, a new random password. */
  nextSecret?: (current: SecretJson) => SecretJson;
}

export interface RotationTiming {
  /** Wait between the password change and the AWSCURRENT move (AWS: testSecret, Lambda round trips). */
  pauseMs: number;
}

/** A password with the characters generated passwords contain, including ones that need URI escaping. */
export function newPassword(): string {
  return `Pw:/?#%&=+${randomUUID().replaceAll('-', '')}`;
}

/**
 * A rotation that behaves like AWS's Lambda templates, written independently of credstage's
 * engine so the connection factories are tested against rotations they did not cause:
 * PutSecretValue(AWSPENDING) → change the password in the database → a pause →
 * UpdateSecretVersionStage(AWSCURRENT), and the AWSPENDING label removed as the service does.
 */
export class AwsStyleRotator {
  rotations = 0;

  constructor(private readonly options: AwsStyleRotatorOptions) {}

  async readStage(stage: string): Promise<{ versionId: string; value: SecretJson }> {
    const out = await this.options.client.send(
      new GetSecretValueCommand({ SecretId: this.options.secretId, VersionStage: stage }),
    );
    return { versionId: out.VersionId, value: JSON.parse(out.SecretString) };
  }

  /** createSecret + setSecret: AWSPENDING exists and the database accepts it; AWSCURRENT still old. */
  async beginRotation(): Promise<{ token: string; oldVersionId: string; pending: SecretJson }> {
    const current = await this.readStage('AWSCURRENT');
    const pending = (this.options.nextSecret ?? ((c) => ({ ...c, password: newPassword() })))(current.value);
    const token = randomUUID();
    await this.options.client.send(
      new PutSecretValueCommand({
        SecretId: this.options.secretId,
        ClientRequestToken: token,
        SecretString: JSON.stringify(pending),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await this.options.setPassword(pending, current.value);
    return { token, oldVersionId: current.versionId, pending };
  }

  /** finishSecret: AWSCURRENT moves to the token (AWSPREVIOUS follows), AWSPENDING is removed. */
  async finishRotation(token: string, oldVersionId: string): Promise<void> {
    const { client, secretId } = this.options;
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: oldVersionId,
      }),
    );
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }),
    );
    this.rotations++;
  }

  /** One whole rotation with `pauseMs` between the password change and the stage move. */
  async rotate({ pauseMs }: RotationTiming): Promise<void> {
    const { token, oldVersionId } = await this.beginRotation();
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await this.finishRotation(token, oldVersionId);
  }

  /** The stages by version id (for assertions). */
  async stages(): Promise<Record<string, string[]>> {
    const out = await this.options.client.send(new DescribeSecretCommand({ SecretId: this.options.secretId }));
    return out.VersionIdsToStages ?? {};
  }
}
