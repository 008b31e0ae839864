import { fileURLToPath } from 'node:url';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { servers } from '../../support/servers.js';
import { allVersions, leakedPasswords, LineProcess } from '../cli/support.js';
import { logsIn } from '../rotation/support.js';
import { dueSecret } from './support.js';
import { holderOf, readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

const REPLICA = fileURLToPath(new URL('./fixtures/replica.ts', import.meta.url));
const TRIALS = 3;

type Event = Record<string, unknown>;

/** A replica whose clock runs a minute past the secret's due time. */
function startReplica(secretId: string, schedule: string, dueAtMs: number): LineProcess {
  return LineProcess.start(REPLICA, [], {
    env: {
      CREDSTAGE_TEST_ENDPOINT: servers().moto.endpoint,
      CREDSTAGE_TEST_SECRET_ID: secretId,
      CREDSTAGE_TEST_SCHEDULE: schedule,
      CREDSTAGE_TEST_CLOCK_OFFSET_MS: String(dueAtMs + 60_000 - Date.now()),
    },
  });
}

/** Lets the replicas check once, at the same moment; resolves with each one's events once all have exited. */
async function race(replicas: LineProcess[]): Promise<Event[][]> {
  await Promise.all(replicas.map((r) => r.waitForEvent('ready')));
  for (const r of replicas) r.send('go');
  const finished = await Promise.all(replicas.map((r) => r.exited()));
  finished.forEach((f) => expect(f.code, f.stderr).toBe(0));
  return replicas.map((r) => r.json());
}

/** Everything the replicas printed. */
const printedBy = (replicas: LineProcess[]): string => replicas.map((r) => r.stdout + r.stderr).join('\n');

const ofType = (events: Event[], type: string): Event[] => events.filter((e) => e['event'] === type);

describe('scheduler replicas in separate processes', () => {
  afterEach(() => LineProcess.killAll());

  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  it('two replicas due at the same moment rotate the secret exactly once for that due time', async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { secretId, versionId, password, schedule, dueAtMs, token } = await dueSecret(client);

      const replicas = [startReplica(secretId, schedule, dueAtMs), startReplica(secretId, schedule, dueAtMs)];
      const [a, b] = await race(replicas);

      const versions = await allVersions(client, secretId);
      expect(versions.map((v) => v.versionId).sort()).toEqual([versionId, token].sort());
      expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(token);
      expect(await holderOf(client, secretId, 'AWSPREVIOUS')).toBe(versionId);
      expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(await holderOf(client, secretId, 'AWSCURRENT')); // left on AWSCURRENT, as Secrets Manager leaves it
      const current = await readStage(client, secretId, 'AWSCURRENT');
      expect(await logsIn(current.value)).toBe(true);
      expect(current.value.password).not.toBe(password);
      const events = [...a!, ...b!];
      // Each replica either drove the rotation under the shared token or stood aside for the other.
      for (const replica of [a!, b!]) {
        expect(ofType(replica, 'rotation-succeeded').length + ofType(replica, 'skipped').length, JSON.stringify(replica)).toBe(1);
      }
      expect(ofType(events, 'rotation-succeeded').length).toBeGreaterThanOrEqual(1);
      expect(ofType(events, 'rotation-failed')).toEqual([]);
      expect(ofType(events, 'error')).toEqual([]);
      for (const e of events.filter((e) => e['clientRequestToken'] !== undefined)) expect(e['clientRequestToken']).toBe(token);
      expect(leakedPasswords(printedBy(replicas), password, current.value.password)).toEqual([]);
    }
  });

  it('a replica that checks after another finished the due rotation writes no new version', async () => {
    const { secretId, versionId, schedule, dueAtMs, token } = await dueSecret(client);
    const [first] = await race([startReplica(secretId, schedule, dueAtMs)]);
    expect(ofType(first!, 'rotation-succeeded')).toHaveLength(1);

    const [late] = await race([startReplica(secretId, schedule, dueAtMs)]);

    // The late replica derives the same token for the same due time: the rotation is already done.
    expect(ofType(late!, 'rotation-failed')).toEqual([]);
    expect(ofType(late!, 'step').every((e) => e['clientRequestToken'] === token)).toBe(true);
    expect((await allVersions(client, secretId)).map((v) => v.versionId).sort()).toEqual([versionId, token].sort());
    expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(token);
    expect(await holderOf(client, secretId, 'AWSPREVIOUS')).toBe(versionId);
    expect(await logsIn((await readStage(client, secretId, 'AWSCURRENT')).value)).toBe(true);
  });
});
