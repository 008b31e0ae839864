/**
 * Drizzle over credstage's pool: the recipe of README.md "With your ORM" (between the region
 * markers, which test/unit/examples/readme-orm-recipes.test.ts keeps equal to the README's),
 * type-checked by `npx tsc --noEmit`. Tested under rotation in test/integration/orm/drizzle.test.ts.
 */
// #region readme
import { getRedshiftPool } from '../../src/redshift/index.js'; // in your app: 'credstage/redshift'
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, serial, text } from 'drizzle-orm/pg-core';

const items = pgTable('items', { id: serial('id').primaryKey(), name: text('name').notNull() });

const pool = getRedshiftPool({ secretId: 'Applications/MyApp/Postgres' });
pool.on('error', (err) => console.warn(`idle connection closed: ${err.message}`));
const db = drizzle({ client: pool });

await db.insert(items).values({ name: 'book' });
await db.transaction(async (tx) => {
  await tx.insert(items).values({ name: 'pen' });
});
console.log(await db.select().from(items));
await pool.end(); // at shutdown
// #endregion
