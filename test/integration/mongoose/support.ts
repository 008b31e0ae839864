/** Shared by the mongoose integration tests: both mongoose majors, the database, a connection whose password can be switched. */
import { createRequire } from 'node:module';
import mongoose9 from 'mongoose';
import { createDocumentDbConnection } from '../../../src/mongoose/index.js';
import { newPassword } from '../../support/aws-style-rotator.js';
import { switchPassword, userWithSecret, type DocumentDbFixtures } from '../documentdb/helpers.js';

export const DB = 'credstage_it';
// mongoose 8's types declare the module 'mongoose', so they cannot be imported under the alias: load it untyped.
export const mongoose8 = createRequire(import.meta.url)('mongoose8') as typeof mongoose9;

/**
 * A user with a secret and a credstage connection whose one pooled connection idles out at once
 * (the next operation logs in again). `rotate()` switches the password (`switchPassword`);
 * `passwords` holds every password the user has had, the first one first.
 */
export async function connectionWithSecret(mongoose: typeof mongoose9, fx: DocumentDbFixtures, nextPassword: () => string = newPassword) {
  const user = await userWithSecret(fx.sm, fx.admin, { password: nextPassword() });
  const conn = await createDocumentDbConnection(mongoose, {
    secretId: user.secretId,
    secretsManager: fx.sm,
    dbName: DB,
    mongoClientOptions: { maxPoolSize: 1, maxIdleTimeMS: 10 },
  });
  const passwords = [user.password];
  const rotate = async (): Promise<void> => {
    const next = nextPassword();
    passwords.push(next);
    await switchPassword(fx, user, next);
  };
  return { conn, rotate, passwords, secretId: user.secretId };
}
