import type { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';

/** How many calls that change the secret (PutSecretValue, UpdateSecretVersionStage) the fake has answered. */
export function writes(sm: InMemorySecretsManager): number {
  return sm.callCount('PutSecretValue') + sm.callCount('UpdateSecretVersionStage');
}
