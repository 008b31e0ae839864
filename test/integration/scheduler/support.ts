import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { rotationToken } from '../../../src/rotation/index.js';
import { currentCreatedAtMs, dailyCronDueSoon } from '../cli/support.js';
import { rotatableSecret } from '../rotation/support.js';

/**
 * A PostgreSQL user and its single-user secret, with a daily schedule due a few minutes from now
 * by the real clock, and the token every scheduler derives for that due time.
 */
export async function dueSecret(client: SecretsManagerClient) {
  const secret = await rotatableSecret(client, 'postgres', 'single-user');
  const { schedule, dueAtMs } = dailyCronDueSoon(await currentCreatedAtMs(client, secret.secretId));
  return { ...secret, schedule, dueAtMs, token: rotationToken(secret.secretId, dueAtMs) };
}
