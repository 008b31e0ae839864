/**
 * Shared pieces of the "an ORM over getRedshiftPool() survives rotation" tests (Drizzle, Kysely,
 * Prisma): a rotatable secret whose user may use the library's table, a pool that opens new
 * connections all the time (so logins happen inside the rotation windows), and the checks every
 * library must pass afterwards.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import { getRedshiftPool, type RedshiftEvent, type RedshiftPool } from '../../../src/redshift/index.js';
import type { RotationStrategyName } from '../../../src/rotation/types.js';
import { AcknowledgedInserts } from '../../support/orm-rotation.js';
import type { LoadResult } from '../../../tools/demo/load.js';
import { asPostgresAdmin, rotatableSecret } from '../rotation/support.js';

/** The rotation plans every library runs through: ≥ 5 single-user, ≥ 3 alternating-users. */
export const ROTATION_PLANS: readonly (readonly [RotationStrategyName, number])[] = [
  ['single-user', 5],
  ['alternating-users', 3],
];

/** Connections live 300 ms and idle 100 ms: new logins all through the load, in every rotation window. */
export const CHURNING_POOL = { max: 6, maxLifetimeSeconds: 0.3, idleTimeoutMillis: 100 } as const;

/**
 * (Re)creates the library's table as the admin with `ddl`. Its columns: `id` (serial), `key`
 * (text, deliberately not unique so a duplicate insert stays visible), `note` (text).
 */
export async function createTable(table: string, ddl?: string): Promise<void> {
  await asPostgresAdmin(async (c) => {
    const t = c.escapeIdentifier(table);
    await c.query(`DROP TABLE IF EXISTS ${t}`);
    await c.query(ddl ?? `CREATE TABLE ${t} (id serial PRIMARY KEY, key text NOT NULL, note text NOT NULL)`);
  });
}

/**
 * A secret rotatable with `strategy` whose user may read and insert into `table`. The grant goes
 * to the user; the alternating strategy's `_clone` is a member of that role (createUserLike), so
 * it inherits the grant — the same way `readsGrantedTable` checks for the engine's own table.
 */
export async function secretForTable(
  client: SecretsManagerClient,
  strategy: RotationStrategyName,
  table: string,
): Promise<{ secretId: string; username: string }> {
  const { secretId, username } = await rotatableSecret(client, 'postgres', strategy);
  await asPostgresAdmin(async (c) => {
    const user = c.escapeIdentifier(username);
    await c.query(`GRANT SELECT, INSERT ON ${c.escapeIdentifier(table)} TO ${user}`);
    await c.query(`GRANT USAGE ON SEQUENCE ${c.escapeIdentifier(`${table}_id_seq`)} TO ${user}`);
  });
  return { secretId, username };
}

/** A pool over the secret that records its events and every 'error' event it emits. */
export function observedPool(client: SecretsManagerClient, secretId: string): { pool: RedshiftPool; events: RedshiftEvent[]; poolErrors: Error[] } {
  const events: RedshiftEvent[] = [];
  const poolErrors: Error[] = [];
  const pool = getRedshiftPool({ secretId, secretsManager: client, poolConfig: CHURNING_POOL, onEvent: (e) => events.push(e) });
  // What an app must do with any pg Pool (README): an idle connection's error is otherwise thrown.
  pool.on('error', (err) => poolErrors.push(err));
  return { pool, events, poolErrors };
}

/** Stored rows per key of `table`, read by the admin (not through the library under test). */
export async function storedCounts(table: string): Promise<Map<string, number>> {
  return asPostgresAdmin(async (c) => {
    const { rows } = await c.query<{ key: string; n: number }>(`SELECT key, count(*)::int AS n FROM ${c.escapeIdentifier(table)} GROUP BY key`);
    return new Map(rows.map((r) => [r.key, r.n]));
  });
}

/** Logins of the pool: how many were refused (the rotation windows were hit) and the users logged in as. */
export function loginSummary(events: readonly RedshiftEvent[]): { rejected: number; recoveries: number; users: Set<string> } {
  let rejected = 0;
  let recoveries = 0;
  const users = new Set<string>();
  for (const e of events) {
    if (e.type === 'login' && e.outcome === 'rejected') rejected++;
    if (e.type === 'login' && e.outcome === 'ok') users.add(e.username);
    if (e.type === 'auth-recovery') recoveries++;
  }
  return { rejected, recoveries, users };
}

export interface RunReport {
  library: string;
  strategy: RotationStrategyName;
  result: LoadResult & { rotations: number };
  inserts: AcknowledgedInserts;
  table: string;
  events: readonly RedshiftEvent[];
  poolErrors: readonly Error[];
  pool: RedshiftPool;
  /** Username of the secret before the rotations. */
  username: string;
}

/** Prints the run's numbers and checks what every library must satisfy after the rotations. */
export async function expectSurvivedRotations(report: RunReport, expectedRotations: number): Promise<void> {
  const { library, strategy, result, inserts, table, events, poolErrors, pool, username } = report;
  const logins = loginSummary(events);
  const counts = await storedCounts(table);
  console.log(
    `${library} / ${strategy}: ${result.ok} ops ok, ${result.failed} failed, ${result.rotations} rotations, ` +
      `${inserts.size} acknowledged inserts, ${logins.rejected} logins refused, ${logins.recoveries} recoveries, users ${[...logins.users].join(' ')}, ` +
      `pool total=${pool.totalCount} idle=${pool.idleCount} waiting=${pool.waitingCount}`,
  );
  expect(result.failures).toEqual([]);
  expect(result.failed).toBe(0);
  expect(result.rotations).toBe(expectedRotations);
  expect(result.ok).toBeGreaterThan(expectedRotations * 10);
  expect(inserts.size).toBeGreaterThan(expectedRotations);
  expect(inserts.notStoredOnce(counts)).toEqual([]);
  expect(AcknowledgedInserts.duplicated(counts)).toEqual([]);
  expect(poolErrors).toEqual([]);
  expect(pool.waitingCount).toBe(0);
  expect(pool.totalCount).toBeLessThanOrEqual(CHURNING_POOL.max);
  expect(pool.idleCount).toBeLessThanOrEqual(pool.totalCount);
  if (strategy === 'single-user') {
    // The windows were really exercised: logins refused between setSecret and finishSecret, recovered.
    expect(logins.rejected).toBeGreaterThan(0);
    expect(logins.recoveries).toBeGreaterThan(0);
  } else {
    // Every login was as a user of the pair. The pool moves to `<user>_clone` when a new
    // connection is refused inside the second rotation's window (or a TTL refresh brings
    // AWSCURRENT's user): most runs show both users, a run on a loaded machine may not.
    expect(logins.users.has(username)).toBe(true);
    expect([...logins.users].filter((u) => u !== username && u !== `${username}_clone`)).toEqual([]);
  }
}
