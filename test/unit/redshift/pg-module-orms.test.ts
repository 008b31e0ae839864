import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { pgModule, type PgModule } from '../../../src/redshift/index.js';
import { Fixture, SECRET_ID } from './support/fixtures.js';

let fixture: Fixture | undefined;
let mod: PgModule | undefined;

afterEach(async () => {
  await mod?.close();
  await fixture?.close();
  fixture = mod = undefined;
});

/** The first error in `err`'s cause chain (Sequelize wraps connection errors) that is an InvalidOptionError. */
function invalidOption(err: unknown): InvalidOptionError | undefined {
  for (let next = err; next !== null && typeof next === 'object'; next = (next as { parent?: unknown; cause?: unknown }).parent ?? (next as { cause?: unknown }).cause) {
    if (next instanceof InvalidOptionError) return next;
  }
  return undefined;
}

describe('pgModule as the real ORMs use it', () => {
  it('Sequelize: a password in its config fails the first connection with InvalidOptionError, before any login', async () => {
    fixture = await Fixture.start();
    mod = pgModule({ secretId: SECRET_ID, secretsManager: fixture.sm });
    const sequelize = new Sequelize({ dialect: 'postgres', dialectModule: mod, logging: false, password: 'from-the-config' });

    const err = await sequelize.authenticate().then(() => undefined, (e: unknown) => e);
    await sequelize.close();

    expect(invalidOption(err)?.option).toBe('Client settings.password');
    expect(fixture.db.logins).toEqual([]);
  });

  it('Sequelize: its default host and port (localhost:5432) are ignored, the secret\'s are used', async () => {
    fixture = await Fixture.start();
    mod = pgModule({ secretId: SECRET_ID, secretsManager: fixture.sm });
    // The fake server runs on another port and answers every query with current_user: enough for authenticate().
    const sequelize = new Sequelize({ dialect: 'postgres', dialectModule: mod, logging: false, pool: { max: 1 } });

    await sequelize.query('select 1', { raw: true }).catch(() => undefined);
    await sequelize.close();

    expect(fixture.db.logins.length).toBeGreaterThan(0);
    expect(fixture.db.logins.every((l) => l.user === 'app' && l.database === 'dev' && l.accepted)).toBe(true);
  });

  it('TypeORM: a url or a username in the DataSource fails initialize() with InvalidOptionError, before any login', async () => {
    fixture = await Fixture.start();
    mod = pgModule({ secretId: SECRET_ID, secretsManager: fixture.sm });

    for (const [options, field] of [[{ url: 'postgres://x@h/db' }, 'Pool settings.connectionString'], [{ username: 'me' }, 'Pool settings.user']] as const) {
      const dataSource = new DataSource({ type: 'postgres', driver: mod, ...options });
      const err = await dataSource.initialize().then(() => undefined, (e: unknown) => e);
      expect(invalidOption(err)?.option).toBe(field);
    }
    expect(fixture.db.logins).toEqual([]);
  });
});
