/** PostgreSQL's invalid_password: what it sends for a wrong password (password, md5, scram-sha-256). */
const PG_INVALID_PASSWORD = '28P01';
/**
 * invalid_authorization_specification: PostgreSQL sends it for refusals a new password cannot
 * fix (pg_hba.conf `reject` or no matching line — e.g. "no encryption" on a TLS-only server —,
 * a role without LOGIN, peer, ident or certificate failures). Redshift, a fork of PostgreSQL
 * 8.0, sends it for a wrong password too, as older PostgreSQL did.
 */
const PG_INVALID_AUTHORIZATION = '28000';
/**
 * The message of the server's auth_failed() for a password login. Redshift sends it with 28000
 * (`{S: FATAL, C: 28000, M: 'password authentication failed for user "…"', R: auth_failed}`, as
 * quoted in aws/amazon-redshift-python-driver#237 and aws/amazon-redshift-jdbc-driver#21).
 * Anchored at the start, and read only with 28000: the code decides, the text only splits it.
 * Redshift does not translate messages; PostgreSQL, which may, sends 28P01 for this case.
 */
const PASSWORD_FAILED = /^password authentication failed for user /;
/** MongoDB's AuthenticationFailed. */
const MONGO_AUTH_FAILED = 18;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  codeName?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function isAuthFailureItself(err: ErrorLike): boolean {
  if (typeof err.code === 'string') {
    if (err.code === PG_INVALID_PASSWORD) return true;
    return err.code === PG_INVALID_AUTHORIZATION && typeof err.message === 'string' && PASSWORD_FAILED.test(err.message);
  }
  if (err.code === MONGO_AUTH_FAILED) {
    return err.codeName === 'AuthenticationFailed' || (typeof err.name === 'string' && err.name.startsWith('Mongo'));
  }
  return false;
}

/**
 * True when the database rejected the password (or username): the one failure a newer secret
 * version can fix, so the one that recovery and the rotation engine act on. Found on the error or
 * anywhere in its `cause` chain (and in an AggregateError's `errors`):
 * - PostgreSQL SQLSTATE 28P01 (invalid_password);
 * - SQLSTATE 28000 whose message starts "password authentication failed for user " — Redshift's
 *   wrong password. Any other 28000 (pg_hba.conf rejects the host or wants TLS, a role without
 *   LOGIN) is not: no password fixes it, so it passes through at once with the server's code and
 *   message instead of spending a recovery budget;
 * - MongoDB error code 18 (AuthenticationFailed).
 * Never by message text alone: the text is read only to split SQLSTATE 28000.
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
