import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationScheduler, rotateSecret, type SchedulerEvent } from '../../../src/rotation/index.js';
import type { RotateSecretOptions } from '../../../src/rotation/index.js';
import { logsIn } from '../rotation/support.js';
import { dueSecret } from './support.js';
import { holderOf, readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

describe('RotationScheduler.stop() against moto and PostgreSQL', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  // Regression: p-retry rejected with the abort reason after the last step had succeeded, and the
  // scheduler reported nothing for a rotation that was done.
  it('reports a rotation that finished while stop() was called as succeeded', async () => {
    const { secretId, versionId, schedule, dueAtMs, token } = await dueSecret(client);
    const events: SchedulerEvent[] = [];
    let stopping: Promise<void> | undefined;
    const offsetMs = dueAtMs + 60_000 - Date.now(); // a minute past the due time
    const scheduler: RotationScheduler = new RotationScheduler({
      secrets: [{ secretId, schedule, window: '1h' }],
      secretsManager: client,
      clock: { now: () => Date.now() + offsetMs },
      random: () => 0,
      rotate: async (request) => {
        const result = await rotateSecret(request as RotateSecretOptions);
        stopping = scheduler.stop(); // SIGTERM lands right as finishSecret returns
        return result;
      },
      onEvent: (event) => events.push(event),
    });

    await scheduler.tick();
    await scheduler.idle();
    await stopping;

    expect(stopping).toBeDefined();
    expect(events.map((e) => e.type)).toEqual(['rotation-started', 'step', 'step', 'step', 'step', 'rotation-succeeded']);
    const [status] = scheduler.status();
    expect(status).toMatchObject({ state: 'idle', attempts: 0, lastError: undefined });
    expect(status!.lastSucceededAt).toBeInstanceOf(Date);
    expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(token);
    expect(await holderOf(client, secretId, 'AWSPREVIOUS')).toBe(versionId);
    expect(await logsIn((await readStage(client, secretId, 'AWSCURRENT')).value)).toBe(true);
  });
});
