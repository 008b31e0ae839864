import type { DatabaseSecret } from './parse.js';

/**
 * How strong a secret's TLS setting is: plaintext (`ssl: false`) ranks below TLS. `ssl: true`
 * and an absent `ssl` rank the same: absent means TLS with verification by default (for
 * Redshift, libpq's `PGSSLMODE` may choose when the secret is silent — a choice of the
 * deployment, not of the secret), so a rotation that drops or adds the field weakens nothing
 * the secret itself asked for. Only an explicit `false` is weaker.
 */
function tlsRank(ssl: unknown): number {
  return ssl === false ? 0 : 1;
}

/**
 * The fields that make `pending` something a rotation of `current` could not have produced
 * (DESIGN.md 7.4): another engine, host, port or database, or weaker TLS. Empty when `pending`
 * may be adopted. Rotation changes the password, and alternating users the username too:
 * those are not compared. Host names compare case-insensitively, as DNS does. Returns field
 * names only, never their values.
 *
 * @example
 * ```ts
 * const fields = untrustedPendingFields(pending, current); // e.g. ['host', 'ssl']
 * if (fields.length > 0) report(fields);
 * ```
 */
export function untrustedPendingFields(pending: DatabaseSecret, current: DatabaseSecret): string[] {
  const fields: string[] = [];
  if (pending.engine !== current.engine) fields.push('engine');
  if (pending.host.toLowerCase() !== current.host.toLowerCase()) fields.push('host');
  if (pending.port !== current.port) fields.push('port');
  if (pending.dbname !== current.dbname) fields.push('dbname');
  if (tlsRank(pending.ssl) < tlsRank(current.ssl)) fields.push('ssl');
  return fields;
}
