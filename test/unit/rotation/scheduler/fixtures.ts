import type { RotateFunction } from '../../../../src/rotation/scheduler/scheduler.js';
import type { InMemorySecretsManager } from '../../../../src/testing/index.js';

/** A stand-in for the engine that does what a rotation does to Secrets Manager. */
export function fakeEngine(sm: InMemorySecretsManager): { rotate: RotateFunction; calls: Array<{ token: string; at: number }> } {
  const calls: Array<{ token: string; at: number }> = [];
  const rotate: RotateFunction = async ({ secretId, clientRequestToken }) => {
    calls.push({ token: clientRequestToken, at: Date.now() });
    const current = await sm.send({ name: 'GetSecretValue', input: { SecretId: secretId, VersionStage: 'AWSCURRENT' } });
    const resuming = (await sm.send({ name: 'ListSecretVersionIds', input: { SecretId: secretId } })).Versions.some(
      (v: { VersionId: string }) => v.VersionId === clientRequestToken,
    );
    if (!resuming) {
      await sm.send({
        name: 'PutSecretValue',
        input: { SecretId: secretId, ClientRequestToken: clientRequestToken, SecretString: `v-${clientRequestToken}`, VersionStages: ['AWSPENDING'] },
      });
    }
    await sm.send({
      name: 'UpdateSecretVersionStage',
      input: { SecretId: secretId, VersionStage: 'AWSCURRENT', MoveToVersionId: clientRequestToken, RemoveFromVersionId: current.VersionId },
    });
    await sm.send({ name: 'UpdateSecretVersionStage', input: { SecretId: secretId, VersionStage: 'AWSPENDING', RemoveFromVersionId: clientRequestToken } });
  };
  return { rotate, calls };
}
