import { randomBytes } from 'node:crypto';

/**
 * `prefix` plus a random suffix: moto, PostgreSQL and FerretDB are shared by every test file,
 * so each secret, role and user needs a name no other test takes.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}
