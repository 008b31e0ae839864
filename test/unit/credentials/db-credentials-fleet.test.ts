import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { DbCredentials } from '../../../src/credentials/db-credentials.js';
import { parseRedshiftSecret } from '../../../src/credentials/parse.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { readsOf, SECRET_ID } from './fixtures.js';

// Behaviours issue 13 (fleet scale) asked for, on a fake clock for both the cache and the credentials.

const VALUE = { engine: 'postgres', host: '127.0.0.1', port: 5432, username: 'app', dbname: 'app' };

async function fleetSetup(extra: Record<string, unknown> = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const sm = new InMemorySecretsManager({ clock });
  const created = await sm.send({ name: 'CreateSecret', input: { Name: SECRET_ID, SecretString: JSON.stringify({ ...VALUE, ...extra, password: 'pw-1' }) } });
  const cache = new SecretCache({ secretsManager: sm, clock, maxAttempts: 1, ttlMs: 300_000, random: () => 0 });
  const creds = new DbCredentials({ cache, secretId: SECRET_ID, parse: parseRedshiftSecret, clock, random: () => 0 });
  const failed = await creds.current();
  const pending = await sm.send(
    new PutSecretValueCommand({ SecretId: SECRET_ID, ClientRequestToken: 'token-2', SecretString: JSON.stringify({ ...VALUE, ...extra, password: 'pw-2' }), VersionStages: ['AWSPENDING'] }),
  );
  const finish = () =>
    sm.send(new UpdateSecretVersionStageCommand({ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT', MoveToVersionId: pending.VersionId, RemoveFromVersionId: created.VersionId }));
  sm.calls.length = 0;
  return { clock, sm, cache, creds, failed, pendingId: pending.VersionId as string, finish };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('DbCredentials at fleet scale', () => {
  it('after a rejected login during the window, one GetSecretValue(AWSPENDING) answers', async () => {
    const { sm, creds, failed, pendingId } = await fleetSetup();

    const found = await creds.recoverAfterAuthFailure(failed);

    expect(found.versionId).toBe(pendingId);
    expect(readsOf(sm)).toEqual(['AWSPENDING']);
  });

  it('after finishSecret (AWSPENDING left on the new AWSCURRENT), one GetSecretValue(AWSPENDING) answers, and new connections use it with no further read', async () => {
    const { sm, creds, failed, pendingId, finish } = await fleetSetup();
    await finish();
    sm.calls.length = 0;

    const found = await creds.recoverAfterAuthFailure(failed);
    const next = await creds.current();

    expect(found.versionId).toBe(pendingId);
    expect(found.versionStages).toContain('AWSCURRENT');
    expect(next.versionId).toBe(pendingId);
    expect(readsOf(sm)).toEqual(['AWSPENDING']);
  });

  it('through a rotation stalled for an hour, new connections read nothing beyond the cache\'s TTL refreshes', async () => {
    const { clock, sm, creds, failed, pendingId } = await fleetSetup();
    await creds.recoverAfterAuthFailure(failed);
    sm.calls.length = 0;

    for (let second = 0; second < 3_600; second++) {
      clock.advance(1_000);
      expect((await creds.current()).versionId).toBe(pendingId);
    }
    await settle();

    // TTL 300 s: the cache refreshes AWSCURRENT about 12 times an hour, and nothing else is read.
    expect(readsOf(sm).every((stage) => stage === 'AWSCURRENT')).toBe(true);
    expect(readsOf(sm).length).toBeLessThanOrEqual(3_600 / 300);
  });

  it('a throttled recovery read waits on the clock (half a second at least, and the 1 s rate limit) before the next read', async () => {
    const { clock, sm, creds, failed, pendingId } = await fleetSetup();
    sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException', times: 1 });

    const recovering = creds.recoverAfterAuthFailure(failed);
    await settle();
    clock.advance(499);
    await settle();
    expect(readsOf(sm)).toEqual(['AWSPENDING']);
    clock.advance(500);
    await settle();
    expect(readsOf(sm)).toEqual(['AWSPENDING']);
    clock.advance(1);

    expect((await recovering).versionId).toBe(pendingId);
    expect(readsOf(sm)).toEqual(['AWSPENDING', 'AWSPENDING']);
  });

  it('an alternating-users secret (it names masterarn) still reads AWSCURRENT first: the other user answers', async () => {
    const { sm, creds, failed, finish } = await fleetSetup({ masterarn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin' });
    await finish();
    sm.calls.length = 0;

    const found = await creds.recoverAfterAuthFailure(failed);

    expect(found.versionStages).toContain('AWSCURRENT');
    expect(readsOf(sm)).toEqual(['AWSCURRENT']);
  });
});
