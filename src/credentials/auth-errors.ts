/** PostgreSQL / Redshift SQLSTATEs for a rejected login: invalid_password, invalid_authorization_specification. */
const PG_AUTH_CODES = new Set(['28P01', '28000']);
/** MongoDB's AuthenticationFailed. */
const MONGO_AUTH_FAILED = 18;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  codeName?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function isAuthFailureItself(err: ErrorLike): boolean {
  if (typeof err.code === 'string') return PG_AUTH_CODES.has(err.code);
  if (err.code === MONGO_AUTH_FAILED) {
    return err.codeName === 'AuthenticationFailed' || (typeof err.name === 'string' && err.name.startsWith('Mongo'));
  }
  return false;
}

/**
 * True when the database rejected the credentials: PostgreSQL/Redshift SQLSTATE 28P01 or
 * 28000, or MongoDB error code 18 (AuthenticationFailed), found on the error or anywhere in
 * its `cause` chain (and in an AggregateError's `errors`). Decided by codes only, never by
 * message text.
 *
 * @example
 * ```ts
 * try { await pool.query('select 1'); } catch (err) {
 *   if (isAuthenticationError(err)) console.warn('password rotated under us');
 * }
 * ```
 */
export function isAuthenticationError(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const next = queue.shift();
    if (next === null || typeof next !== 'object' || seen.has(next)) continue;
    seen.add(next);
    const e = next as ErrorLike;
    if (isAuthFailureItself(e)) return true;
    queue.push(e.cause);
    if (Array.isArray(e.errors)) queue.push(...e.errors);
  }
  return false;
}
