import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoClient } from '../../support/moto.js';
import { AcknowledgedInserts, rotationsUnderLoad } from '../../support/orm-rotation.js';
import { PrismaClient } from './prisma/generated/client.js';
import { ROTATION_PLANS, createTable, expectSurvivedRotations, observedPool, secretForTable } from './pool-support.js';

/** The table of `model Item` in prisma/schema.prisma (`@@map`). */
const TABLE = 'credstage_orm_prisma_items';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PRISMA_DIR = fileURLToPath(new URL('./prisma/', import.meta.url));

/**
 * Runs `prisma generate` for a copy of schema.prisma in a temporary directory, offline: the
 * `prisma-client` generator needs no engine binary, but the CLI downloads the schema engine
 * before any `generate` unless PRISMA_SCHEMA_ENGINE_BINARY names an existing file — so it
 * names a stub that only fails. Returns the generated files by relative path.
 */
async function generateOffline(): Promise<Map<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'credstage-prisma-'));
  try {
    await copyFile(join(PRISMA_DIR, 'schema.prisma'), join(dir, 'schema.prisma'));
    const stub = join(dir, 'no-schema-engine');
    await writeFile(stub, '#!/bin/sh\necho "no schema engine in this test" >&2\nexit 1\n');
    await chmod(stub, 0o755);
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/prisma'), ['generate', '--schema', join(dir, 'schema.prisma')], {
      cwd: dir,
      env: {
        ...process.env, // vitest's dummy AWS credentials and AWS_EC2_METADATA_DISABLED among them
        PRISMA_SCHEMA_ENGINE_BINARY: stub,
        CHECKPOINT_DISABLE: '1', // no version check / telemetry request
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        DO_NOT_TRACK: '1',
      },
      timeout: 60_000,
    });
    return await filesUnder(join(dir, 'generated'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function filesUnder(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path.slice(dir.length + 1), await readFile(path, 'utf8'));
  }
  return files;
}

describe('Prisma (@prisma/adapter-pg over getRedshiftPool()) while the secret rotates', () => {
  let client: SecretsManagerClient;

  beforeAll(async () => {
    client = motoClient({ maxAttempts: 3 });
    // `prisma db push` needs the schema engine binary, which cannot be downloaded here: the
    // table is created with the SQL Prisma's model maps to.
    await createTable(TABLE, `CREATE TABLE ${TABLE} (id serial PRIMARY KEY, key text NOT NULL, note text NOT NULL)`);
  });
  afterAll(() => client.destroy());

  it('the committed client in prisma/generated is what `prisma generate` makes offline from prisma/schema.prisma', async () => {
    const generated = await generateOffline();
    const committed = await filesUnder(join(PRISMA_DIR, 'generated'));
    expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
    for (const [path, text] of generated) expect(committed.get(path), `${path} differs: regenerate (see schema.prisma)`).toBe(text);
  });

  it.each(ROTATION_PLANS)('%s × %i: creates, reads and $transactions through new PrismaClient({ adapter: new PrismaPg(pool) }) all succeed, each insert stored once', async (strategy, rotations) => {
    const { secretId, username } = await secretForTable(client, strategy, TABLE);
    const { pool, events, poolErrors } = observedPool(client, secretId);
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const inserts = new AcknowledgedInserts();
    try {
      const op = async (seq: number): Promise<void> => {
        const key = inserts.next(seq);
        switch (seq % 5) {
          case 0:
            await prisma.item.create({ data: { key, note: 'create' } });
            inserts.record(key);
            return;
          case 1:
            await prisma.item.count();
            return;
          case 2:
            // An interactive transaction: one pooled connection from BEGIN to COMMIT.
            await prisma.$transaction(async (tx) => {
              await tx.item.create({ data: { key, note: 'transaction' } });
              const row = await tx.item.findFirst({ where: { key } });
              if (row?.key !== key) throw new Error('the transaction does not see its own insert');
            });
            inserts.record(key);
            return;
          case 3: {
            // A batch transaction, and raw SQL through the adapter.
            const [, rows] = await prisma.$transaction([
              prisma.$executeRaw`INSERT INTO credstage_orm_prisma_items (key, note) VALUES (${key}, 'raw batch')`,
              prisma.$queryRaw<{ key: string }[]>`SELECT key FROM credstage_orm_prisma_items WHERE key = ${key}`,
            ]);
            if (rows.length !== 1) throw new Error('the batch does not see its own insert');
            inserts.record(key);
            return;
          }
          default:
            await prisma.item.findMany({ orderBy: { id: 'asc' }, take: 5 });
        }
      };
      const result = await rotationsUnderLoad({ client, secretId, strategies: Array(rotations).fill(strategy), op });

      // The library's pool is healthy after the last rotation: a query through Prisma succeeds.
      expect(await prisma.item.count()).toBeGreaterThanOrEqual(inserts.size);
      await expectSurvivedRotations({ library: 'prisma', strategy, result, inserts, table: TABLE, events, poolErrors, pool, username }, rotations);

      // $disconnect() leaves a pool the app passed in open (PrismaPg's disposeExternalPool is off).
      await prisma.$disconnect();
      expect(pool.ended).toBe(false);
      expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await prisma.$disconnect();
      await pool.end();
    }
  });
});
