import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationScheduler, rotateSecret, type RotationSchedulerOptions, type SchedulerEvent } from '../../../src/rotation/index.js';
import type { RotateSecretOptions } from '../../../src/rotation/index.js';
import { logsIn } from '../rotation/support.js';
import { dueSecret } from './support.js';
import { holderOf, readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

describe('RotationScheduler restarted in the middle of a rotation, against moto and PostgreSQL', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  it('a new scheduler with the same config resumes the rotation under its derived token at its first check', async () => {
    const { secretId, versionId, schedule, dueAtMs, token } = await dueSecret(client);
    // Both runs see the same moment, a minute past the due time: the AWSPENDING left behind is
    // minutes old, far inside the 15-minute grace a foreign run's AWSPENDING gets.
    const offsetMs = dueAtMs + 60_000 - Date.now();
    const config = (events: SchedulerEvent[]): RotationSchedulerOptions => ({
      secrets: [{ secretId, schedule, window: '1h' }],
      secretsManager: client,
      clock: { now: () => Date.now() + offsetMs },
      random: () => 0,
      onEvent: (event) => events.push(event),
    });

    const firstEvents: SchedulerEvent[] = [];
    let stopping: Promise<void> | undefined;
    const first: RotationScheduler = new RotationScheduler({
      ...config(firstEvents),
      // The process is told to stop as soon as createSecret has put AWSPENDING: it dies between steps.
      rotate: (request) =>
        rotateSecret({
          ...request,
          onStep: (report) => {
            request.onStep?.(report);
            if (report.step === 'createSecret') stopping = first.stop();
          },
        } as RotateSecretOptions),
    });
    await first.tick();
    await first.idle();
    await stopping;
    expect(firstEvents.filter((e) => e.type === 'step').map((e) => e.step)).toEqual(['createSecret']);
    expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(token);
    expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(versionId);

    const secondEvents: SchedulerEvent[] = [];
    const second = new RotationScheduler(config(secondEvents));
    await second.tick();
    await second.idle();
    await second.stop();

    expect(secondEvents.filter((e) => e.type !== 'step').map((e) => e.type)).toEqual(['rotation-started', 'rotation-succeeded']);
    expect(secondEvents[0]).toMatchObject({ reason: 'resume', clientRequestToken: token });
    expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(token);
    expect(await holderOf(client, secretId, 'AWSPREVIOUS')).toBe(versionId);
    expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(await holderOf(client, secretId, 'AWSCURRENT')); // left on AWSCURRENT, as Secrets Manager leaves it
    expect(await logsIn((await readStage(client, secretId, 'AWSCURRENT')).value)).toBe(true);
  });
});
