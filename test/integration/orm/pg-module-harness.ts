/**
 * Shared by the Knex, Sequelize and TypeORM rotation tests: a secret ready for both strategies,
 * the rotations to run, login counting through `onEvent`, the exactly-once check and the line
 * each test prints.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import type { RedshiftEvent } from '../../../src/redshift/index.js';
import type { RotationStrategyName } from '../../../src/rotation/index.js';
import { AcknowledgedInserts } from '../../support/orm-rotation.js';
import { uniqueName } from '../../support/names.js';
import { asPostgresAdmin, rotatableSecret } from '../rotation/support.js';

/** Five single-user rotations, then three alternating-users ones (the username switches to `<user>_clone` and back). */
export const ROTATIONS: readonly RotationStrategyName[] = [
  ...Array<RotationStrategyName>(5).fill('single-user'),
  ...Array<RotationStrategyName>(3).fill('alternating-users'),
];

/** Small pools whose connections are replaced all the time, so new logins happen inside every rotation window. */
export const POOL_MAX = 2;
export const IDLE_MS = 50;
export const MAX_USES = 15;

/**
 * A user, its secret (with `masterarn`, so both strategies can run) and the right to create a
 * table in `public` (PostgreSQL 15+ no longer grants it): the ORM creates its table as the app
 * user, and the `_clone` user alternating-users rotation makes is a member of that user, so it
 * may use the table too.
 */
export async function ormSecret(sm: SecretsManagerClient): Promise<{ secretId: string; username: string; table: string }> {
  const { secretId, username } = await rotatableSecret(sm, 'postgres', 'alternating-users');
  await asPostgresAdmin((c) => c.query(`GRANT CREATE ON SCHEMA public TO ${c.escapeIdentifier(username)}`));
  return { secretId, username, table: uniqueName('orm_items') };
}

/** Counts logins and recoveries reported to `onEvent`, separately for those while the rotations run. */
export class Logins {
  ok = 0;
  rejected = 0;
  okDuringRotations = 0;
  recoveries = 0;
  users = new Set<string>();
  #rotating = false;

  readonly onEvent = (event: RedshiftEvent): void => {
    if (event.type === 'auth-recovery') this.recoveries++;
    if (event.type !== 'login') return;
    if (event.outcome === 'rejected') this.rejected++;
    if (event.outcome !== 'ok') return;
    this.ok++;
    this.users.add(event.username);
    if (this.#rotating) this.okDuringRotations++;
  };

  async during<T>(fn: () => Promise<T>): Promise<T> {
    this.#rotating = true;
    try {
      return await fn();
    } finally {
      this.#rotating = false;
    }
  }
}

/** The stored count of every key in `table`, read by the admin (not through the library under test). */
export async function storedCounts(table: string): Promise<Map<string, number>> {
  const { rows } = await asPostgresAdmin((c) => c.query(`SELECT key, count(*)::int AS n FROM ${c.escapeIdentifier(table)} GROUP BY key`));
  return new Map(rows.map((r: { key: string; n: number }) => [r.key, r.n]));
}

/** The username AWSCURRENT holds now. */
export async function currentUsername(sm: SecretsManagerClient, secretId: string): Promise<string> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
  return (JSON.parse(out.SecretString!) as { username: string }).username;
}

export interface RunSummary {
  ok: number;
  failed: number;
  failures: string[];
  rotations: number;
}

/** Prints the per-test line the report quotes, then asserts what every library must meet. */
export async function checkRun(
  library: string,
  result: RunSummary,
  logins: Logins,
  inserts: AcknowledgedInserts,
  table: string,
  baseUser: string,
): Promise<void> {
  const stored = await storedCounts(table);
  const notOnce = inserts.notStoredOnce(stored);
  const duplicated = AcknowledgedInserts.duplicated(stored);
  console.log(
    `[orm ${library}] ops ok=${result.ok} failed=${result.failed} rotations=${result.rotations} ` +
      `logins ok=${logins.ok} (during rotations ${logins.okDuringRotations}) rejected=${logins.rejected} recoveries=${logins.recoveries} ` +
      `acknowledged inserts=${inserts.size} stored-not-once=${notOnce.length} users=${[...logins.users].sort().join(',')}`,
  );
  expect(result.failures).toEqual([]);
  expect(result.failed).toBe(0);
  expect(result.rotations).toBe(ROTATIONS.length);
  expect(inserts.size).toBeGreaterThan(0);
  expect(notOnce).toEqual([]);
  expect(duplicated).toEqual([]);
  // New connections were opened while the database changed passwords, and some hit the window.
  expect(logins.okDuringRotations).toBeGreaterThanOrEqual(ROTATIONS.length);
  expect(logins.recoveries).toBeGreaterThan(0);
  expect([...logins.users].sort()).toEqual([baseUser, `${baseUser}_clone`].sort());
}
