import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getRedshiftClient, getRedshiftPool, type RedshiftPool } from '../../../src/redshift/index.js';
import { Fixture, SECRET_ID } from './support/fixtures.js';

const ROUNDS = 15; // past EventEmitter's default limit of 10 listeners

/**
 * Guards issue 10/A13: `npm run bench:rotation -- --db redshift` printed "11 error listeners
 * added to [Client]". Those were aws-advanced-nodejs-wrapper's (a baseline in the benchmark),
 * not credstage's; these tests keep it that way for credstage's own pool and client.
 */
describe("credstage's pg clients and pools keep a bounded number of 'error' listeners", () => {
  let fixture: Fixture;
  let pool: RedshiftPool | undefined;
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);

  beforeEach(async () => {
    warnings.length = 0;
    process.on('warning', onWarning);
    fixture = await Fixture.start({ ssl: false });
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    await pool?.end();
    pool = undefined;
    await fixture.close();
  });

  const listenerWarnings = () => warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message);

  it('over many checkouts of the same pooled connection', async () => {
    pool = getRedshiftPool({ secretId: SECRET_ID, secretsManager: fixture.sm, onEvent: fixture.onEvent, poolConfig: { max: 1 } });
    pool.on('error', () => undefined);
    const counts: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const client = await pool.connect();
      counts.push(client.listenerCount('error'));
      await client.query('select 1');
      client.release();
      await pool.query('select 1');
    }
    await new Promise((resolve) => process.nextTick(resolve));

    expect(fixture.logins('ok')).toBe(1); // one connection, checked out again and again
    expect(new Set(counts).size).toBe(1);
    expect(pool.listenerCount('error')).toBe(1);
    expect(listenerWarnings()).toEqual([]);
  });

  it('over many rejected logins and recoveries (rotations), in the pool and in getRedshiftClient', async () => {
    pool = getRedshiftPool({ secretId: SECRET_ID, secretsManager: fixture.sm, onEvent: fixture.onEvent, poolConfig: { max: 1, maxUses: 1 } });
    pool.on('error', () => undefined);
    const counts: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // setSecret ran (the database wants AWSPENDING), finishSecret not yet: every new login recovers.
      const password = `pw-round-${i}:/?#`;
      const current = await pool.credentials.current();
      const pending = await fixture.putPending({ password, ssl: false });
      fixture.db.users.set('app', password);
      const client = await pool.connect();
      counts.push(client.listenerCount('error'));
      client.release();
      const single = await getRedshiftClient({ secretId: SECRET_ID, secretsManager: fixture.sm, onEvent: fixture.onEvent });
      counts.push(single.listenerCount('error'));
      await single.end();
      await fixture.promote(pending, current.versionId);
    }
    await new Promise((resolve) => process.nextTick(resolve));

    expect(fixture.logins('rejected')).toBeGreaterThanOrEqual(ROUNDS);
    expect(Math.max(...counts)).toBeLessThanOrEqual(Math.min(...counts) + 1);
    expect(pool.listenerCount('error')).toBe(1);
    expect(listenerWarnings()).toEqual([]);
  });
});
