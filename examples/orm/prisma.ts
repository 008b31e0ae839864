/**
 * Prisma (7, `prisma-client` generator) over credstage's pool: the recipe of README.md "With
 * your ORM" (between the region markers, which test/unit/examples/readme-orm-recipes.test.ts
 * keeps equal to the README's), type-checked by `npx tsc --noEmit` against the client the
 * integration test generated from test/integration/orm/prisma/schema.prisma (`model Item`).
 * Tested under rotation in test/integration/orm/prisma.test.ts.
 */
// #region readme
import { PrismaPg } from '@prisma/adapter-pg';
import { getRedshiftPool } from '../../src/redshift/index.js'; // in your app: 'credstage/redshift'
import { PrismaClient } from '../../test/integration/orm/prisma/generated/client.js'; // in your app: the generator output, e.g. './generated/prisma/client.js'

const pool = getRedshiftPool({ secretId: 'Applications/MyApp/Postgres' });
pool.on('error', (err) => console.warn(`idle connection closed: ${err.message}`));
const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });

await prisma.item.create({ data: { key: 'book', note: 'first' } });
await prisma.$transaction(async (tx) => {
  await tx.item.create({ data: { key: 'pen', note: 'second' } });
});
console.log(await prisma.item.findMany());
await prisma.$disconnect(); // at shutdown: leaves the pool open,
await pool.end(); // so end it too
// #endregion
