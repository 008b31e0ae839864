import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { getRedshiftPool } from '../../../src/redshift/index.js';
import { servers } from '../../support/servers.js';
import { AwsStyleRotator, newPassword, type SecretJson } from '../../support/aws-style-rotator.js';
import { CHURNING_POOL, createRole, createSecret, dbSecret, loadDuring, setRolePassword, useRedshiftFixtures } from './support.js';
import { uniqueName } from '../../support/names.js';

const fx = useRedshiftFixtures();

/** setSecret of the alternating-users template: the master creates `<user>_clone` or re-passwords the other user. */
async function setPasswordAsMaster(masterArn: string, base: string, pending: SecretJson): Promise<void> {
  const out = await fx.sm.send(new GetSecretValueCommand({ SecretId: masterArn, VersionStage: 'AWSCURRENT' }));
  const master = JSON.parse(out.SecretString!) as SecretJson;
  const client = new pg.Client({ host: String(master['host']), port: Number(master['port']), user: master.username, password: master.password, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_roles where rolname = $1', [pending.username]);
    if (exists.rowCount === 0) await createRole(client, pending.username, pending.password, base);
    else await setRolePassword(client, pending.username, pending.password);
  } finally {
    await client.end();
  }
}

describe('getRedshiftPool with alternating-users rotation', () => {
  it('serves load with zero failures across 10 rotations while the username switches between the user and its clone', async () => {
    const { user, password } = servers().postgres;
    const masterArn = await createSecret(fx.sm, `test/redshift/${uniqueName('master')}`, dbSecret(user, password));
    const base = uniqueName('alt');
    const clone = `${base}_clone`;
    const basePassword = newPassword();
    await createRole(fx.admin, base, basePassword);
    const secretId = `test/redshift/${base}`;
    await createSecret(fx.sm, secretId, dbSecret(base, basePassword, { masterarn: masterArn }));
    const rotator = new AwsStyleRotator({
      client: fx.sm,
      secretId,
      setPassword: (pending) => setPasswordAsMaster(masterArn, base, pending),
      nextSecret: (current) => ({ ...current, username: current.username === base ? clone : base, password: newPassword() }),
    });
    const pool = getRedshiftPool({ secretId, secretsManager: fx.sm, poolConfig: CHURNING_POOL });
    const usersSeen = new Set<string>();
    try {
      const result = await loadDuring(
        async () => usersSeen.add((await pool.query('select current_user')).rows[0].current_user),
        async () => {
          for (let i = 0; i < 10; i++) await rotator.rotate({ pauseMs: 500 });
        },
      );

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(rotator.rotations).toBe(10);
      expect([...usersSeen].sort()).toEqual([base, clone].sort());
    } finally {
      await pool.end();
    }
  });
});
