/**
 * Shared by the Knex, Sequelize and TypeORM rotation tests: a secret ready for both strategies,
 * the rotations to run, login counting through `onEvent`, the app's mix of operations, the
 * exactly-once check and the line each test prints.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import type { RedshiftEvent } from '../../../src/redshift/index.js';
import type { RotationStrategyName } from '../../../src/rotation/index.js';
import { AcknowledgedInserts, rotationsUnderLoad } from '../../support/orm-rotation.js';
import { uniqueName } from '../../support/names.js';
import { asPostgresAdmin, rotatableSecret } from '../rotation/support.js';
import { storedCounts } from './pool-support.js';

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
  // Every login was as a user the secret named. The pool logs in as `<user>_clone` only when a new
  // connection is refused inside the second alternating rotation's window (or a TTL refresh
  // brings AWSCURRENT's user): most runs show both users, a run on a loaded machine may not.
  expect(logins.users.has(baseUser)).toBe(true);
  expect([...logins.users].filter((u) => u !== baseUser && u !== `${baseUser}_clone`)).toEqual([]);
}

/** What one ORM does for the app's mix of operations, written in its own API. */
export interface OrmOperations {
  insert(key: string, n: number): Promise<unknown>;
  count(): Promise<unknown>;
  /** In one transaction: inserts the row, then reads it back. */
  insertAndRead(key: string, n: number): Promise<unknown>;
  /** `current_user`, asked through the ORM's own pool. */
  currentUser(): Promise<string>;
}

/**
 * One test's run: a secret and table from `ormSecret`, the logins counted through `logins.onEvent`
 * (give it to `pgModule` / `getRedshiftPool`), and the inserts the ORM acknowledged.
 */
export class OrmRun {
  readonly logins = new Logins();
  readonly inserts = new AcknowledgedInserts();

  private constructor(
    readonly sm: SecretsManagerClient,
    readonly secretId: string,
    readonly username: string,
    readonly table: string,
  ) {}

  static async start(sm: SecretsManagerClient): Promise<OrmRun> {
    const { secretId, username, table } = await ormSecret(sm);
    return new OrmRun(sm, secretId, username, table);
  }

  /**
   * Runs ROTATIONS while the app does an insert, a count, or a transaction with an insert and a
   * read, by turns; then `checkRun`, and after the last rotation a query through the ORM's pool
   * runs as a user the secret names, and AWSCURRENT holds `<user>_clone`.
   */
  async rotateAndCheck(library: string, orm: OrmOperations): Promise<void> {
    const { inserts } = this;
    const op = async (seq: number): Promise<void> => {
      if (seq % 3 === 1) {
        await orm.count();
        return;
      }
      const key = inserts.next(seq);
      await (seq % 3 === 0 ? orm.insert(key, seq) : orm.insertAndRead(key, seq));
      inserts.record(key);
    };
    const result = await this.logins.during(() => rotationsUnderLoad({ client: this.sm, secretId: this.secretId, strategies: ROTATIONS, op }));

    await checkRun(library, result, this.logins, inserts, this.table, this.username);
    expect([this.username, `${this.username}_clone`]).toContain(await orm.currentUser());
    expect(await currentUsername(this.sm, this.secretId)).toBe(`${this.username}_clone`);
  }
}
