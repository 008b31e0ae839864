import { describe, expect, it } from 'vitest';
import { getRedshiftClient, getRedshiftPool, type RedshiftEvent } from '../../../src/redshift/index.js';
import { CHURNING_POOL, loadDuring, logins, singleUserSecret, sleep, useRedshiftFixtures } from './support.js';

const STALL_MS = 10_000;

const fx = useRedshiftFixtures();

describe('getRedshiftPool against PostgreSQL rotated like AWS Lambda templates do', () => {
  it('serves continuous load through 20 single-user rotations with zero failed queries', async () => {
    const { secretId, rotator } = await singleUserSecret(fx.sm, fx.admin);
    const events: RedshiftEvent[] = [];
    const pool = getRedshiftPool({ secretId, secretsManager: fx.sm, poolConfig: CHURNING_POOL, onEvent: (e) => events.push(e) });
    try {
      const result = await loadDuring(
        () => pool.query('select 1'),
        async () => {
          for (let i = 0; i < 20; i++) await rotator.rotate({ pauseMs: 500 });
        },
      );

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(rotator.rotations).toBe(20);
      // The windows were really exercised: logins were refused mid-rotation and recovered via AWSPENDING.
      expect(logins(events, 'rejected').length).toBeGreaterThan(0);
      expect(events.some((e) => e.type === 'auth-recovery' && e.recoveredFrom === 'pending')).toBe(true);
      expect(new Set(logins(events, 'ok').map((e) => e.versionId)).size).toBeGreaterThan(10);
    } finally {
      await pool.end();
    }
  });

  it('serves load with zero failures through a rotation stalled with the old AWSCURRENT, and no query waits out the stall', async () => {
    const { secretId, rotator } = await singleUserSecret(fx.sm, fx.admin);
    const events: RedshiftEvent[] = [];
    const pool = getRedshiftPool({ secretId, secretsManager: fx.sm, poolConfig: CHURNING_POOL, onEvent: (e) => events.push(e) });
    let pendingVersion = '';
    try {
      const result = await loadDuring(
        () => pool.query('select 1'),
        async () => {
          const { token, oldVersionId } = await rotator.beginRotation();
          pendingVersion = token;
          await sleep(STALL_MS); // testSecret/finishSecret failed; the service retries later
          await rotator.finishRotation(token, oldVersionId);
        },
      );

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(Math.max(...result.latenciesMs)).toBeLessThan(STALL_MS / 2);
      // New connections kept opening during the stall, with the AWSPENDING version.
      expect(logins(events, 'ok').filter((e) => e.versionId === pendingVersion).length).toBeGreaterThan(10);
    } finally {
      await pool.end();
    }
  });

  it('keeps open connections of a pool and of a single client working across rotations', async () => {
    const { secretId, rotator } = await singleUserSecret(fx.sm, fx.admin);
    const pool = getRedshiftPool({ secretId, secretsManager: fx.sm });
    const single = await getRedshiftClient({ secretId, secretsManager: fx.sm });
    const held = await pool.connect();
    try {
      const pidBefore = (await held.query('select pg_backend_pid() as pid')).rows[0].pid;
      const singlePidBefore = (await single.query('select pg_backend_pid() as pid')).rows[0].pid;

      await rotator.rotate({ pauseMs: 0 });
      await rotator.rotate({ pauseMs: 0 });

      expect((await held.query('select pg_backend_pid() as pid')).rows[0].pid).toBe(pidBefore);
      expect((await single.query('select pg_backend_pid() as pid')).rows[0].pid).toBe(singlePidBefore);
    } finally {
      held.release();
      await pool.end();
      await single.end();
    }
  });

  it('opens a single client mid-rotation with AWSPENDING from a secret of engine redshift', async () => {
    const { secretId, rotator } = await singleUserSecret(fx.sm, fx.admin);
    const { token, oldVersionId } = await rotator.beginRotation();
    try {
      const events: RedshiftEvent[] = [];
      const client = await getRedshiftClient({ secretId, secretsManager: fx.sm, onEvent: (e) => events.push(e) });
      const { rows } = await client.query('select 1 as one');
      await client.end();

      expect(rows[0].one).toBe(1);
      expect(logins(events, 'ok').map((e) => e.versionId)).toEqual([token]);
    } finally {
      await rotator.finishRotation(token, oldVersionId);
    }
  });
});
