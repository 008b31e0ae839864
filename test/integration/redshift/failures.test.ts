import { describe, expect, it } from 'vitest';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { AuthenticationRejectedError, InvalidSecretFormatError } from '../../../src/errors.js';
import { getRedshiftPool, type RedshiftEvent } from '../../../src/redshift/index.js';
import { newPassword } from '../../support/aws-style-rotator.js';
import { CHURNING_POOL, createRole, createSecret, dbSecret, loadDuring, logins, singleUserSecret, useRedshiftFixtures } from './support.js';
import { uniqueName } from '../../support/names.js';
import { countingMotoClient } from '../../support/moto.js';

const fx = useRedshiftFixtures();

async function putStalePending(secretId: string, value: Record<string, unknown>): Promise<string> {
  const token = randomUUID();
  await fx.sm.send(
    new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: JSON.stringify(value), VersionStages: ['AWSPENDING'] }),
  );
  return token;
}

describe('getRedshiftPool when things go wrong', () => {
  it('ignores a stale AWSPENDING left by a failed rotation: zero failures under load and through later rotations', async () => {
    const { secretId, role, rotator } = await singleUserSecret(fx.sm, fx.admin);
    const stale = await putStalePending(secretId, dbSecret(role, 'not-the-password'));
    const events: RedshiftEvent[] = [];
    const pool = getRedshiftPool({ secretId, secretsManager: fx.sm, poolConfig: CHURNING_POOL, onEvent: (e) => events.push(e) });
    try {
      const result = await loadDuring(
        () => pool.query('select 1'),
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          for (let i = 0; i < 3; i++) await rotator.rotate({ pauseMs: 500 });
        },
      );

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(logins(events).some((e) => e.versionId === stale)).toBe(false);
    } finally {
      await pool.end();
    }
  });

  it('recovers through the new AWSCURRENT after a rotation it did not see, trying the next rotation\'s unset AWSPENDING at most once', async () => {
    const { secretId, role, rotator } = await singleUserSecret(fx.sm, fx.admin);
    const events: RedshiftEvent[] = [];
    const pool = getRedshiftPool({ secretId, secretsManager: fx.sm, poolConfig: { idleTimeoutMillis: 1 }, onEvent: (e) => events.push(e) });
    try {
      await pool.query('select 1'); // caches AWSCURRENT
      await rotator.rotate({ pauseMs: 0 });
      const stale = await putStalePending(secretId, dbSecret(role, 'not-the-password'));
      await new Promise((resolve) => setTimeout(resolve, 20)); // the idle connection closes

      await pool.query('select 1');

      // Recovery reads AWSPENDING first (during a rotation's window it alone answers, one read per
      // process for a whole fleet). An AWSPENDING newer than the held version whose password the
      // database does not have yet cannot be told from one it has without a login: that costs one
      // rejected login, then AWSCURRENT answers. Never more than one, and the query succeeds.
      const withStale = logins(events).filter((e) => e.versionId === stale);
      expect(withStale.length).toBeLessThanOrEqual(1);
      expect(withStale.every((e) => e.outcome === 'rejected')).toBe(true);
      expect(events).toContainEqual(expect.objectContaining({ type: 'auth-recovery', recoveredFrom: 'current' }));
    } finally {
      await pool.end();
    }
  });

  it('rejects a wrong password with AuthenticationRejectedError within the budget, with bounded logins and Secrets Manager calls', async () => {
    const { sm: counted, calls } = countingMotoClient();
    const role = uniqueName('wrong');
    const realPassword = newPassword();
    await createRole(fx.admin, role, realPassword);
    const wrongPassword = newPassword();
    const secretId = `test/redshift/${role}`;
    await createSecret(counted, secretId, dbSecret(role, wrongPassword));
    calls.length = 0;
    const events: RedshiftEvent[] = [];
    const budgetMs = 2_000;
    const pool = getRedshiftPool({ secretId, secretsManager: counted, recoveryBudgetMs: budgetMs, onEvent: (e) => events.push(e) });
    try {
      const startedAt = performance.now();
      const errors = await Promise.all(Array.from({ length: 5 }, () => pool.query('select 1').catch((e: unknown) => e)));
      const elapsedMs = performance.now() - startedAt;

      for (const err of errors) {
        expect(err).toBeInstanceOf(AuthenticationRejectedError);
        expect((err as Error).message).not.toContain(wrongPassword);
      }
      expect(elapsedMs).toBeLessThan(3 * budgetMs);
      expect(logins(events).length).toBeGreaterThan(0);
      expect(logins(events).length).toBeLessThanOrEqual(5); // one per checkout, then one shared recovery
      const reads = calls.filter((c) => c.command === 'GetSecretValue');
      expect(reads.length).toBeLessThanOrEqual(8);
      expect(JSON.stringify(events)).not.toContain(wrongPassword);
    } finally {
      await pool.end();
      counted.destroy();
    }
  });

  it.each([
    ['port', { port: 'five-four-three-two' }],
    ['engine', { engine: 'mysql' }],
    ['host', { host: undefined }],
  ])('rejects a secret with a bad %s with InvalidSecretFormatError naming it, password not in the message', async (field, change) => {
    const password = newPassword();
    const secretId = `test/redshift/${uniqueName('bad')}`;
    await createSecret(fx.sm, secretId, { ...dbSecret('nobody', password), ...change });
    const pool = getRedshiftPool({ secretId, secretsManager: fx.sm });
    try {
      const err = await pool.query('select 1').catch((e: unknown) => e);

      expect(err).toBeInstanceOf(InvalidSecretFormatError);
      expect((err as InvalidSecretFormatError).field).toBe(field);
      expect((err as Error).message).not.toContain(password);
    } finally {
      await pool.end();
    }
  });
});
