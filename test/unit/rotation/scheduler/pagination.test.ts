import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RotationScheduler } from '../../../../src/rotation/scheduler/scheduler.js';
import { InMemorySecretsManager } from '../../../../src/testing/index.js';
import { fakeEngine } from './fixtures.js';

const DAY = 24 * 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const ID = 'Applications/MyApp/Redshift';
const TOKEN_1 = '11111111-1111-4111-8111-111111111111';

/** A secret rotated once at T0 + 1 day (AWSPREVIOUS listed first), listed one version per page. */
async function rotatedOnce(): Promise<InMemorySecretsManager> {
  const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() }, listPageSize: 1 });
  await sm.send({ name: 'CreateSecret', input: { Name: ID, SecretString: 'v0' } });
  vi.setSystemTime(T0 + DAY);
  const current = await sm.send({ name: 'GetSecretValue', input: { SecretId: ID, VersionStage: 'AWSCURRENT' } });
  await sm.send({ name: 'PutSecretValue', input: { SecretId: ID, ClientRequestToken: TOKEN_1, SecretString: 'v1', VersionStages: ['AWSPENDING'] } });
  await sm.send({
    name: 'UpdateSecretVersionStage',
    input: { SecretId: ID, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_1, RemoveFromVersionId: current.VersionId },
  });
  await sm.send({ name: 'UpdateSecretVersionStage', input: { SecretId: ID, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN_1 } });
  return sm;
}

describe('RotationScheduler reading a secret listed over several pages', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('the in-memory Secrets Manager answers one page per call and a NextToken while more remain', async () => {
    const sm = await rotatedOnce();
    const first = await sm.send({ name: 'ListSecretVersionIds', input: { SecretId: ID } });
    const second = await sm.send({ name: 'ListSecretVersionIds', input: { SecretId: ID, NextToken: first.NextToken } });
    expect(first.Versions).toHaveLength(1);
    expect(first.NextToken).toBeDefined();
    expect(second.Versions.map((v: { VersionId: string }) => v.VersionId)).toEqual([TOKEN_1]);
    expect(second.NextToken).toBeUndefined();
  });

  it('follows NextToken to find AWSCURRENT on a later page and plans from its creation date', async () => {
    const sm = await rotatedOnce();
    vi.setSystemTime(T0 + DAY + 60_000);
    const engine = fakeEngine(sm);
    const scheduler = new RotationScheduler({ secrets: [{ secretId: ID, schedule: 'rate(1 days)' }], secretsManager: sm, rotate: engine.rotate, random: () => 0 });

    const [plan] = await scheduler.plan();
    await scheduler.tick();
    await scheduler.idle();

    expect(plan!.lastRotatedAt.getTime()).toBe(T0 + DAY);
    expect(plan!.dueAt.getTime()).toBe(T0 + 2 * DAY);
    expect(plan!.action).toBe('wait');
    expect(engine.calls).toEqual([]);
    expect(sm.calls.filter((c) => c.command === 'ListSecretVersionIds').some((c) => c.input['NextToken'] !== undefined)).toBe(true);
  });

  it('follows NextToken to find an AWSPENDING on a later page', async () => {
    const sm = await rotatedOnce();
    await sm.send({ name: 'PutSecretValue', input: { SecretId: ID, ClientRequestToken: 'manual-run-token', SecretString: 'v2', VersionStages: ['AWSPENDING'] } });
    const scheduler = new RotationScheduler({ secrets: [{ secretId: ID, schedule: 'rate(1 days)' }], secretsManager: sm, rotate: fakeEngine(sm).rotate, random: () => 0 });

    const [plan] = await scheduler.plan();

    expect(plan).toMatchObject({ action: 'in-progress-elsewhere', clientRequestToken: 'manual-run-token' });
  });

  it('gives up with ERR_SERVICE_UNAVAILABLE when the service hands back the same NextToken (no endless paging)', async () => {
    const sm = await rotatedOnce();
    const looping = {
      // Answers every ListSecretVersionIds with the first page and the same NextToken.
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (command.constructor.name !== 'ListSecretVersionIdsCommand') return sm.send(command);
        const out = await sm.send({ name: 'ListSecretVersionIds', input: { ...command.input, NextToken: undefined } });
        return { ...out, NextToken: 'again' };
      },
    };
    const scheduler = new RotationScheduler({ secrets: [{ secretId: ID, schedule: 'rate(1 days)' }], secretsManager: looping, rotate: fakeEngine(sm).rotate });

    const err = await scheduler.plan().catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'ERR_SERVICE_UNAVAILABLE', secretId: ID });
    expect(sm.callCount('ListSecretVersionIds')).toBeLessThanOrEqual(3);
  });
});
