import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { DbCredentials } from '../../../src/credentials/db-credentials.js';
import { parseRedshiftSecret } from '../../../src/credentials/parse.js';
import { AuthenticationRejectedError, InvalidOptionError, InvalidSecretFormatError } from '../../../src/errors.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { newPassword } from '../../support/aws-style-rotator.js';
import { authError } from '../../support/fake-database.js';
import { credentialsSetup, FIRST_PASSWORD, readsOf, SECRET_ID } from './fixtures.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DbCredentials.current', () => {
  it('returns the parsed AWSCURRENT credentials through the cache', async () => {
    const { sm, creds, firstVersionId } = await credentialsSetup();

    const first = await creds.current();
    const second = await creds.current();

    expect(first).toBe(second); // parsed once per version
    expect(first).toMatchObject({ versionId: firstVersionId, engine: 'postgres', username: 'app' });
    expect(first.password).toBe(FIRST_PASSWORD);
    expect(readsOf(sm)).toEqual(['AWSCURRENT']);
  });

  it('returns AWSPENDING after a recovery found it, while AWSCURRENT is the rejected version', async () => {
    const { creds, rotator } = await credentialsSetup();
    const failed = await creds.current();
    const { token } = await rotator.beginRotation();
    await creds.recoverAfterAuthFailure(failed);

    const during = await Promise.all([creds.current(), creds.current()]);

    expect(during.map((s) => s.versionId)).toEqual([token, token]);
  });

  // Regression: once the rejection of AWSCURRENT was forgotten (after one recovery budget), a
  // rotation stalled longer than that sent every new connection to the old password first.
  // Fleet scale (issue 13): a read of AWSCURRENT per process per second for the whole stall was a
  // fleet's GetSecretValue quota spent to learn nothing; the cache's TTL refresh learns the move.
  it('keeps returning AWSPENDING through a stall longer than the recovery budget, without reading AWSCURRENT for new connections', async () => {
    const clock = new ManualClock();
    const { sm, creds, rotator } = await credentialsSetup({ recoveryBudgetMs: 1_000, minRefreshIntervalMs: 500, clock, ttlMs: 3_600_000 });
    const failed = await creds.current();
    const { token } = await rotator.beginRotation();
    await creds.recoverAfterAuthFailure(failed);
    const readsBefore = readsOf(sm).filter((stage) => stage === 'AWSCURRENT').length;

    clock.advance(10_000); // ten budgets later, AWSCURRENT has still not moved
    const during = await creds.current();
    await vi.advanceTimersByTimeAsync(0);

    expect(during.versionId).toBe(token);
    expect(readsOf(sm).filter((stage) => stage === 'AWSCURRENT').length).toBe(readsBefore);
  });

  it('drops AWSPENDING for the new AWSCURRENT once the cache\'s own TTL refresh sees the stage move', async () => {
    const clock = new ManualClock();
    const { creds, rotator } = await credentialsSetup({ minRefreshIntervalMs: 500, clock, ttlMs: 3_600_000 });
    const failed = await creds.current();
    const { token, oldVersionId } = await rotator.beginRotation();
    await creds.recoverAfterAuthFailure(failed);
    await rotator.finishRotation(token, oldVersionId);

    vi.advanceTimersByTime(3_600_000); // the cache's clock (the faked system clock): AWSCURRENT expires
    await creds.current(); // still the pending credentials; the cache refreshes AWSCURRENT in the background
    await vi.advanceTimersByTimeAsync(0);
    const after = await creds.current();

    expect(after.versionId).toBe(token);
    expect(after.versionStages).toContain('AWSCURRENT');
  });

  // Regression: parsed credentials were kept per version id, so the version AWSCURRENT moved to
  // still reported versionStages ['AWSPENDING'] from the read that recovery made.
  it('switches to the new AWSCURRENT once the rotation finishes (with its new stages), and follows later rotations', async () => {
    const ttlMs = 10_000;
    const { creds, rotator } = await credentialsSetup({ ttlMs });
    const failed = await creds.current();
    const first = await rotator.beginRotation();
    await creds.recoverAfterAuthFailure(failed);
    await rotator.finishRotation(first.token, first.oldVersionId);

    await vi.advanceTimersByTimeAsync(ttlMs); // the cache refreshes AWSCURRENT in the background
    await creds.current();
    await vi.advanceTimersByTimeAsync(0);
    const afterFinish = await creds.current();
    const second = await rotator.beginRotation();
    await rotator.finishRotation(second.token, second.oldVersionId);
    await vi.advanceTimersByTimeAsync(ttlMs);
    await creds.current();
    await vi.advanceTimersByTimeAsync(0);
    const afterNext = await creds.current();

    expect(afterFinish.versionId).toBe(first.token);
    expect(afterFinish.versionStages).toContain('AWSCURRENT');
    expect(afterNext.versionId).toBe(second.token);
  });

  it('ignores a stale AWSPENDING left by a failed rotation while AWSCURRENT works', async () => {
    const { sm, db, creds, firstVersionId } = await credentialsSetup();
    // A rotation died after createSecret: AWSPENDING holds a password the database never got.
    await sm.send({
      name: 'PutSecretValue',
      input: { SecretId: SECRET_ID, SecretString: JSON.stringify({ engine: 'postgres', host: 'h', username: 'app', password: newPassword() }), VersionStages: ['AWSPENDING'] },
    });
    sm.calls.length = 0;

    const connection = await creds.withRecovery((secret) => db.connect(secret));
    const current = await creds.current();

    expect(connection.password).toBe(FIRST_PASSWORD);
    expect(current.versionId).toBe(firstVersionId);
    expect(readsOf(sm)).toEqual(['AWSCURRENT']);
  });

  it('after a failed rotation, the next rotation\'s AWSPENDING is found, not the stale one', async () => {
    const { sm, db, creds, rotator } = await credentialsSetup();
    await sm.send({
      name: 'PutSecretValue',
      input: { SecretId: SECRET_ID, SecretString: JSON.stringify({ engine: 'postgres', host: 'h', username: 'app', password: newPassword() }), VersionStages: ['AWSPENDING'] },
    });
    await creds.current();
    const { token } = await rotator.beginRotation(); // moves AWSPENDING to its own version

    const connection = await creds.withRecovery((secret) => db.connect(secret));

    expect(connection.password).toBe(db.passwordOf('app'));
    expect((await creds.current()).versionId).toBe(token);
  });
});

describe('DbCredentials.withRecovery', () => {
  it('passes an error that is not an authentication failure through unchanged, without recovery', async () => {
    const { sm, creds } = await credentialsSetup();
    const boom = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    let attempts = 0;

    const err = await creds
      .withRecovery(async () => {
        attempts++;
        throw boom;
      })
      .catch((e: unknown) => e);

    expect(err).toBe(boom);
    expect(attempts).toBe(1);
    expect(readsOf(sm)).toEqual(['AWSCURRENT']);
  });

  it('retries with the recovered credentials after an authentication failure', async () => {
    const { db, creds, rotator } = await credentialsSetup();
    await creds.current();
    const { token } = await rotator.beginRotation();
    const tried: string[] = [];

    const connection = await creds.withRecovery(async (secret) => {
      tried.push(secret.versionId);
      return db.connect(secret);
    });

    expect(connection.password).toBe(db.passwordOf('app'));
    expect(tried).toHaveLength(2);
    expect(tried[1]).toBe(token);
  });

  it('throws AuthenticationRejectedError when every version keeps failing, within one budget', async () => {
    const { creds, rotator } = await credentialsSetup({ recoveryBudgetMs: 5_000 });
    await rotator.beginRotation();
    let attempts = 0;

    const result = creds
      .withRecovery(async () => {
        attempts++;
        throw authError();
      })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000);
    const err = await result;

    expect(err).toBeInstanceOf(AuthenticationRejectedError);
    expect(attempts).toBeGreaterThanOrEqual(2); // AWSCURRENT, then AWSPENDING
    expect(attempts).toBeLessThanOrEqual(4);
  });

  it('surfaces a malformed secret as InvalidSecretFormatError without calling attempt', async () => {
    const sm = new InMemorySecretsManager();
    await sm.send({ name: 'CreateSecret', input: { Name: SECRET_ID, SecretString: JSON.stringify({ host: 'h', password: 'p' }) } });
    const creds = new DbCredentials({ cache: new SecretCache({ secretsManager: sm }), secretId: SECRET_ID, parse: parseRedshiftSecret });
    let attempts = 0;

    const err = await creds.withRecovery(async () => attempts++).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidSecretFormatError);
    expect((err as InvalidSecretFormatError).field).toBe('username');
    expect(attempts).toBe(0);
  });
});

describe('DbCredentials events and options', () => {
  it('emits auth-recovery events that name versions, never the password', async () => {
    const { creds, rotator, events } = await credentialsSetup();
    const failed = await creds.current();
    const { pending } = await rotator.beginRotation();

    await creds.recoverAfterAuthFailure(failed);

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'auth-recovery', secretId: SECRET_ID, failedVersionId: failed.versionId });
    expect(JSON.stringify(events)).not.toContain(pending.password);
    expect(inspect(events, { depth: 10 })).not.toContain(pending.password);
  });

  it.each([
    ['cache', { cache: {} }],
    ['secretId', { secretId: '' }],
    ['parse', { parse: 'parseRedshiftSecret' }],
    ['recoveryBudgetMs', { recoveryBudgetMs: -1 }],
    ['minRefreshIntervalMs', { minRefreshIntervalMs: Number.NaN }],
    ['backoff.baseMs', { backoff: { baseMs: -1 } }],
    ['backoff.factor', { backoff: { factor: 0 } }],
    ['backoff.maxMs', { backoff: { maxMs: 'x' } }],
    ['clock', { clock: {} }],
    ['clock', { clock: () => 0 }],
    ['onEvent', { onEvent: 'log' }],
  ])('throws InvalidOptionError naming %s', (option, patch) => {
    const valid = { cache: new SecretCache({ secretsManager: new InMemorySecretsManager() }), secretId: SECRET_ID, parse: parseRedshiftSecret };

    let err: unknown;
    try {
      new DbCredentials({ ...valid, ...patch } as never);
    } catch (e) {
      err = e;
    }

    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe(option);
  });
});
