import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthenticationRejectedError, ThrottledError } from '../../../src/errors.js';
import { untrustedPendingFields } from '../../../src/credentials/pending-trust.js';
import { newPassword } from '../../support/aws-style-rotator.js';
import { credentialsSetup, FIRST_PASSWORD, putPending, readsOf, SECRET_ID } from './fixtures.js';

// Recovery waits with p-retry (setTimeout, performance.now) and rate-limits with Date.now:
// vitest's fake timers drive all three.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DbCredentials.recoverAfterAuthFailure, step by step', () => {
  it('a: uses a newer AWSCURRENT the cache already holds, without a request', async () => {
    const { sm, cache, creds, rotator, events } = await credentialsSetup();
    const failed = await creds.current();
    const { token, oldVersionId } = await rotator.beginRotation();
    await rotator.finishRotation(token, oldVersionId);
    await cache.refresh(SECRET_ID); // someone else's read already brought the new version in
    sm.calls.length = 0;

    const found = await creds.recoverAfterAuthFailure(failed);

    expect(found.versionId).toBe(token);
    expect(found.versionStages).toContain('AWSCURRENT');
    expect(readsOf(sm)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'auth-recovery', recoveredFrom: 'cached-current', failedVersionId: failed.versionId });
  });

  it('b: forces one AWSCURRENT read when the cache only holds the rejected version and AWSPENDING is gone', async () => {
    const { sm, creds, rotator, events } = await credentialsSetup();
    const failed = await creds.current();
    const { token, oldVersionId } = await rotator.beginRotation();
    await rotator.finishRotation(token, oldVersionId); // this rotator removes AWSPENDING at the end
    sm.calls.length = 0;

    const found = await creds.recoverAfterAuthFailure(failed);

    expect(found.versionId).toBe(token);
    // AWSPENDING is read first (it alone answers mid-rotation); here it is gone, so AWSCURRENT.
    expect(readsOf(sm)).toEqual(['AWSPENDING', 'AWSCURRENT']);
    expect(events.at(-1)).toMatchObject({ recoveredFrom: 'current', versionId: token });
  });

  it('c: reads AWSPENDING when AWSCURRENT has not moved yet (rotation mid-flight)', async () => {
    const { sm, db, creds, rotator, events } = await credentialsSetup();
    const failed = await creds.current();
    const { token, pending } = await rotator.beginRotation();
    sm.calls.length = 0;

    const found = await creds.recoverAfterAuthFailure(failed);

    expect(found.versionId).toBe(token);
    expect(found.password).toBe(pending.password);
    expect(db.passwordOf('app')).toBe(pending.password);
    expect(readsOf(sm)).toEqual(['AWSPENDING']); // one read: AWSPENDING alone answers mid-rotation
    expect(events.at(-1)).toMatchObject({ recoveredFrom: 'pending', versionId: token });
  });

  it('d: keeps looking with backoff and finds an AWSCURRENT that appears within the budget', async () => {
    const { sm, creds, rotator } = await credentialsSetup({ recoveryBudgetMs: 30_000 });
    const failed = await creds.current();

    const recovery = creds.recoverAfterAuthFailure(failed);
    await vi.advanceTimersByTimeAsync(5_000);
    const readsWhileWaiting = readsOf(sm).length;
    const { token, oldVersionId } = await rotator.beginRotation();
    await rotator.finishRotation(token, oldVersionId);
    await vi.advanceTimersByTimeAsync(5_000);

    expect((await recovery).versionId).toBe(token);
    expect(readsWhileWaiting).toBeGreaterThan(2); // more than one round of AWSCURRENT + AWSPENDING
  });

  it('d: after the budget throws a non-retryable AuthenticationRejectedError naming the secret and version', async () => {
    const { creds } = await credentialsSetup({ recoveryBudgetMs: 10_000 });
    const failed = await creds.current();

    const result = creds.recoverAfterAuthFailure(failed).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    const err = await result;

    expect(err).toBeInstanceOf(AuthenticationRejectedError);
    expect(err).toMatchObject({ retryable: false, secretId: SECRET_ID, versionId: failed.versionId });
    expect((err as Error).message).toContain(SECRET_ID);
    expect((err as Error).message).toContain(failed.versionId);
    expect(inspect(err, { depth: 10 })).not.toContain(FIRST_PASSWORD);
  });

  it('d: does not give up before the budget is spent', async () => {
    const { creds } = await credentialsSetup({ recoveryBudgetMs: 10_000 });
    const failed = await creds.current();

    let settled = false;
    const result = creds.recoverAfterAuthFailure(failed).catch(() => undefined).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(9_900);
    const settledEarly = settled;
    await vi.advanceTimersByTimeAsync(100);
    await result;

    expect(settledEarly).toBe(false);
    expect(settled).toBe(true);
  });

  // Regression: the rejection of the failed version was remembered for exactly the budget, and
  // p-retry's last look runs exactly at the budget's end, so the recovery "found" the version
  // that had just failed and returned it instead of throwing AuthenticationRejectedError.
  it('never returns the version that failed, even on the last look at the end of the budget', async () => {
    const { creds } = await credentialsSetup({ recoveryBudgetMs: 2_000 });
    const failed = await creds.current();

    const result = creds.recoverAfterAuthFailure(failed).then(
      (found) => found.versionId,
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(2_000);

    expect(await result).toBeInstanceOf(AuthenticationRejectedError);
  });

  it('passes a permanent Secrets Manager error through instead of retrying', async () => {
    const { sm, creds } = await credentialsSetup();
    const failed = await creds.current();
    sm.calls.length = 0;
    sm.injectFault({ command: 'GetSecretValue', error: 'AccessDeniedException' });

    const err = await creds.recoverAfterAuthFailure(failed).catch((e: unknown) => e);

    expect((err as Error).name).toBe('AccessDeniedError');
    expect(sm.callCount('GetSecretValue')).toBe(1);
  });

  // Throttling for the whole budget is not a verdict on the password: the caller gets the
  // retryable ThrottledError, not a permanent-looking AuthenticationRejectedError.
  it('keeps looking through throttling and ends with the retryable ThrottledError at the budget', async () => {
    const { sm, creds } = await credentialsSetup({ recoveryBudgetMs: 5_000 });
    const failed = await creds.current();
    sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException' });

    const result = creds.recoverAfterAuthFailure(failed).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000 + 3 * 20_000);

    const err = await result;
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as ThrottledError).retryable).toBe(true);
    expect(sm.callCount('GetSecretValue')).toBeGreaterThan(1); // it kept looking
  });
});

describe('DbCredentials.recoverAfterAuthFailure, coalescing and rate limits', () => {
  it('100 concurrent failures of one version cause one recovery', async () => {
    const { sm, creds, rotator, events } = await credentialsSetup();
    const failed = await creds.current();
    const { token } = await rotator.beginRotation();
    sm.calls.length = 0;

    const found = await Promise.all(Array.from({ length: 100 }, () => creds.recoverAfterAuthFailure(failed)));

    expect(new Set(found.map((s) => s.versionId))).toEqual(new Set([token]));
    expect(readsOf(sm)).toEqual(['AWSPENDING']);
    expect(events.filter((e) => e.type === 'auth-recovery')).toHaveLength(1);
  });

  it('100 connections failing at once through withRecovery share one recovery', async () => {
    const { sm, db, creds, rotator } = await credentialsSetup();
    await creds.current();
    const { token } = await rotator.beginRotation();
    sm.calls.length = 0;

    const connections = await Promise.all(Array.from({ length: 100 }, () => creds.withRecovery((s) => db.connect(s))));

    expect(connections.every((c) => c.password === db.passwordOf('app'))).toBe(true);
    expect(readsOf(sm)).toEqual(['AWSPENDING']);
    expect(db.logins).toBe(200); // each connection: one rejected try, one with ${token}
    expect(token).toBeTruthy();
  });

  it('a wrong password with no rotation makes at most 2 * (budget / minRefreshInterval + 1) reads', async () => {
    const budgetMs = 30_000;
    const minRefreshIntervalMs = 1_000;
    const { sm, creds } = await credentialsSetup({ recoveryBudgetMs: budgetMs, minRefreshIntervalMs });
    const failed = await creds.current();
    sm.calls.length = 0;

    const result = creds.recoverAfterAuthFailure(failed).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(budgetMs);
    const err = await result;

    // Each of AWSCURRENT and AWSPENDING is read at most once per interval, at both ends included.
    const perStage = Math.floor(budgetMs / minRefreshIntervalMs) + 1;
    const reads = readsOf(sm);
    expect(err).toBeInstanceOf(AuthenticationRejectedError);
    expect(reads.filter((s) => s === 'AWSCURRENT').length).toBeLessThanOrEqual(perStage);
    expect(reads.filter((s) => s === 'AWSPENDING').length).toBeLessThanOrEqual(perStage);
    expect(reads.length).toBeGreaterThan(2);
  });

  it('rate-limits reads across back-to-back recoveries of one version', async () => {
    const { sm, creds } = await credentialsSetup({ recoveryBudgetMs: 0, minRefreshIntervalMs: 1_000 });
    const failed = await creds.current();
    sm.calls.length = 0;

    for (let i = 0; i < 20; i++) await creds.recoverAfterAuthFailure(failed).catch(() => undefined);

    // No time passed: one AWSPENDING (none there) and one AWSCURRENT read in all.
    expect(readsOf(sm)).toEqual(['AWSPENDING', 'AWSCURRENT']);
  });

  // Regression: one rate limit for all recoveries made the second of two back-to-back
  // rotations wait a whole interval (or fail a short budget) before reading its AWSPENDING.
  it('gives each newly rejected version one immediate round of reads (back-to-back rotations)', async () => {
    const { sm, creds, rotator } = await credentialsSetup({ recoveryBudgetMs: 0, minRefreshIntervalMs: 60_000 });
    const first = await creds.current();
    const one = await rotator.beginRotation();
    sm.calls.length = 0;

    const foundOne = await creds.recoverAfterAuthFailure(first);
    await rotator.finishRotation(one.token, one.oldVersionId);
    const two = await rotator.beginRotation();
    const foundTwo = await creds.recoverAfterAuthFailure(foundOne);
    // A repeat for a version that already had its free round reads nothing: it gets what is known.
    const again = await creds.recoverAfterAuthFailure(foundOne);

    expect([foundOne.versionId, foundTwo.versionId, again.versionId]).toEqual([one.token, two.token, two.token]);
    // Recovery 1, the rotator's own read of AWSCURRENT, recovery 2; nothing for the repeat.
    expect(readsOf(sm)).toEqual(['AWSPENDING', 'AWSCURRENT', 'AWSPENDING']);
  });
});

describe('DbCredentials recovery trusts only an AWSPENDING a rotation could have produced', () => {
  // Regression (issue 10, A6): recovery adopted any AWSPENDING, including one naming another
  // host or turning TLS off, and handed its credentials to the connection factory.
  it.each([
    ['host', { host: 'db.elsewhere.example' }],
    ['port', { port: 6543 }],
    ['dbname', { dbname: 'other' }],
    ['engine', { engine: 'redshift' }],
    ['ssl', { ssl: false }],
  ])(
    'refuses an AWSPENDING whose %s differs from AWSCURRENT\'s (or whose TLS is weaker), reports it once without a value, and keeps looking as if there were none',
    async (field, patch) => {
      const budgetMs = 10_000;
      const minRefreshIntervalMs = 1_000;
      const { sm, db, creds, events, value } = await credentialsSetup({ recoveryBudgetMs: budgetMs, minRefreshIntervalMs, secretFields: { ssl: true } });
      const failed = await creds.current();
      const password = newPassword();
      const pendingId = await putPending(sm, { ...value, ...patch, password });
      db.setPassword('app', password); // even a database that would accept it must not be offered it
      sm.calls.length = 0;

      const result = creds.recoverAfterAuthFailure(failed).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(budgetMs);
      const err = await result;

      const refused = events.filter((e) => e.type === 'pending-refused');
      expect(err).toBeInstanceOf(AuthenticationRejectedError);
      expect((err as Error).message).toContain(pendingId);
      expect(refused).toEqual([
        { type: 'pending-refused', secretId: SECRET_ID, versionId: pendingId, failedVersionId: failed.versionId, differingFields: [field] },
      ]);
      expect(events.filter((e) => e.type === 'auth-recovery')).toEqual([]);
      expect(readsOf(sm).filter((s) => s === 'AWSPENDING').length).toBeLessThanOrEqual(Math.floor(budgetMs / minRefreshIntervalMs) + 1);
      expect(JSON.stringify(events)).not.toContain(password);
      expect(inspect(err, { depth: 10 })).not.toContain(password);
    },
  );

  it('adopts an AWSPENDING that changes the username and password only (alternating users)', async () => {
    const { sm, db, creds, events, value } = await credentialsSetup({ secretFields: { ssl: true } });
    const failed = await creds.current();
    const password = newPassword();
    const pendingId = await putPending(sm, { ...value, username: 'app_clone', password });
    db.addUser('app_clone', password);

    const found = await creds.recoverAfterAuthFailure(failed);

    expect(found).toMatchObject({ versionId: pendingId, username: 'app_clone' });
    expect(events.filter((e) => e.type === 'pending-refused')).toEqual([]);
  });

  it('after refusing an AWSPENDING, still finds an AWSCURRENT that moves within the budget', async () => {
    const { sm, creds, rotator, value } = await credentialsSetup({ recoveryBudgetMs: 30_000 });
    const failed = await creds.current();
    await putPending(sm, { ...value, host: 'db.elsewhere.example', password: newPassword() });

    const recovery = creds.recoverAfterAuthFailure(failed);
    await vi.advanceTimersByTimeAsync(3_000);
    const { token, oldVersionId } = await rotator.beginRotation();
    await rotator.finishRotation(token, oldVersionId);
    await vi.advanceTimersByTimeAsync(3_000);

    expect((await recovery).versionId).toBe(token);
  });
});

describe('untrustedPendingFields', () => {
  const base = { engine: 'postgres', host: 'rs.example', port: 5432, dbname: 'app', ssl: true } as const;
  const of = (current: object, pending: object) => untrustedPendingFields({ ...base, ...pending } as never, { ...base, ...current } as never);

  it('ranks ssl true and absent as equally strong, and plaintext below both', () => {
    expect(of({ ssl: true }, { ssl: undefined })).toEqual([]);
    expect(of({ ssl: undefined }, { ssl: true })).toEqual([]);
    expect(of({ ssl: true }, { ssl: false })).toEqual(['ssl']);
    expect(of({ ssl: undefined }, { ssl: false })).toEqual(['ssl']);
    expect(of({ ssl: false }, { ssl: false })).toEqual([]);
    expect(of({ ssl: false }, { ssl: true })).toEqual([]);
  });

  it('compares host names case-insensitively, as DNS does, and lists every differing field', () => {
    expect(of({}, { host: 'RS.Example' })).toEqual([]);
    expect(of({}, { host: 'other', port: 1, dbname: 'x', engine: 'redshift', ssl: false })).toEqual(['engine', 'host', 'port', 'dbname', 'ssl']);
  });
});
