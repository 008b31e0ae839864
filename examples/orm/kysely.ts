/**
 * Kysely over credstage's pool: the recipe of README.md "With your ORM" (between the region
 * markers, which test/unit/examples/readme-orm-recipes.test.ts keeps equal to the README's),
 * type-checked by `npx tsc --noEmit`. Tested under rotation in test/integration/orm/kysely.test.ts.
 */
// #region readme
import { getRedshiftPool } from '../../src/redshift/index.js'; // in your app: 'credstage/redshift'
import { Kysely, PostgresDialect, type Generated } from 'kysely';

interface Database {
  items: { id: Generated<number>; name: string };
}

const pool = getRedshiftPool({ secretId: 'Applications/MyApp/Postgres' });
pool.on('error', (err) => console.warn(`idle connection closed: ${err.message}`));
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

await db.insertInto('items').values({ name: 'book' }).execute();
await db.transaction().execute(async (trx) => {
  await trx.insertInto('items').values({ name: 'pen' }).execute();
});
console.log(await db.selectFrom('items').selectAll().execute());
await db.destroy(); // at shutdown: ends the pool
// #endregion
