import { inspect } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import { DrizzleQueryError } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, serial } from 'drizzle-orm/pg-core';
import { Kysely, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getRedshiftPool, type RedshiftPool } from '../../../src/redshift/index.js';
import { motoClient } from '../../support/moto.js';
import { AuthenticationRejectedError, ERROR_CODES } from '../../../src/errors.js';
import { awkwardPassword, createDbUser, createSecret, secretFor } from '../rotation/support.js';
import { uniqueName } from '../../support/names.js';
import { Prisma, PrismaClient } from './prisma/generated/client.js';

/** Walks `cause` links from `err`; returns every error on the way. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && !chain.includes(e); e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

function describeChain(err: unknown): string {
  return causes(err)
    .map((e) => `${(e as Error).constructor?.name}${(e as { code?: unknown }).code !== undefined ? `[${String((e as { code?: unknown }).code)}]` : ''}`)
    .join(' <- ');
}

const WRONG_PASSWORD = awkwardPassword();

describe('a login the database refuses past recoveryBudgetMs (no newer version), as each library reports it', () => {
  let client: SecretsManagerClient;
  let secretId: string;

  beforeAll(async () => {
    client = motoClient({ maxAttempts: 3 });
    const username = uniqueName('app_orm_refused');
    await createDbUser('postgres', username, awkwardPassword());
    secretId = uniqueName('orm/refused');
    await createSecret(client, secretId, secretFor('postgres', username, WRONG_PASSWORD));
  });
  afterAll(() => client.destroy());

  /** Runs `run` on a fresh pool over the secret and returns what it threw. */
  async function thrownThrough(run: (pool: RedshiftPool) => PromiseLike<unknown>): Promise<unknown> {
    const pool = getRedshiftPool({ secretId, secretsManager: client, recoveryBudgetMs: 200 });
    pool.on('error', () => undefined);
    try {
      const err = await Promise.resolve(run(pool)).then(
        () => new Error('expected the refused login to fail the query'),
        (e: unknown) => e,
      );
      console.log(`${describeChain(err)}: ${JSON.stringify((err as Error).message)}`);
      // Whatever the library wraps it in, the password is nowhere in what the app logs.
      expect(inspect(err, { depth: 10 })).not.toContain(WRONG_PASSWORD);
      return err;
    } finally {
      await pool.end();
    }
  }

  it("Kysely rejects with credstage's AuthenticationRejectedError itself", async () => {
    const err = await thrownThrough((pool) =>
      new Kysely<{ anything: { id: number } }>({ dialect: new PostgresDialect({ pool }) }).selectFrom('anything').selectAll().execute(),
    );
    expect(err).toBeInstanceOf(AuthenticationRejectedError);
  });

  it("Drizzle rejects with a DrizzleQueryError whose cause is credstage's AuthenticationRejectedError", async () => {
    const err = await thrownThrough((pool) => drizzle({ client: pool }).select().from(pgTable('anything', { id: serial('id') })));
    expect(err).toBeInstanceOf(DrizzleQueryError);
    expect((err as DrizzleQueryError).cause).toBeInstanceOf(AuthenticationRejectedError);
  });

  it("Prisma rejects a query with a PrismaClientKnownRequestError carrying credstage's code and message, a $transaction with credstage's error itself", async () => {
    const prisma = (pool: RedshiftPool) => new PrismaClient({ adapter: new PrismaPg(pool) });
    const err = await thrownThrough((pool) => prisma(pool).$queryRaw`select 1`);
    expect(err).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((err as Prisma.PrismaClientKnownRequestError).code).toBe(ERROR_CODES.AUTHENTICATION_REJECTED);
    expect((err as Error).message).toContain(`the database rejected the credentials of secret "${secretId}"`);
    const viaModel = await thrownThrough((pool) => prisma(pool).item.count());
    expect((viaModel as { code?: unknown }).code).toBe(ERROR_CODES.AUTHENTICATION_REJECTED);
    // An interactive transaction checks out its connection in the adapter's startTransaction, whose error Prisma passes on as it is.
    const viaTransaction = await thrownThrough((pool) => prisma(pool).$transaction(async (tx) => tx.item.count()));
    expect(viaTransaction).toBeInstanceOf(AuthenticationRejectedError);
  });
});
