interface LoginFields {
  type: 'login';
  secretId: string;
  /** The secret version whose username and password were used. */
  versionId: string;
  username: string;
  host: string;
  port: number;
  /** Time from the connection request to its outcome. */
  durationMs: number;
}

/** The database accepted the login. */
export interface LoginSucceededEvent extends LoginFields {
  outcome: 'ok';
}

/** The login failed: `rejected` (the password was refused) or `error` (anything else). */
export interface LoginFailedEvent extends LoginFields {
  outcome: 'rejected' | 'error';
  /** The driver's error code (SQLSTATE, MongoDB code) or a Node error code, when the error had one. */
  errorCode: string | undefined;
}

/**
 * One login to the database by a connection factory: a new connection (pg) or MongoClient
 * (DocumentDB) opened with the credentials of one secret version. `outcome` is `ok`,
 * `rejected` (the database refused the password: `isAuthenticationError` — SQLSTATE 28P01,
 * Redshift's 28000 "password authentication failed", MongoDB code 18) or `error` (anything else,
 * e.g. a refused TCP connection or a pg_hba.conf refusal, SQLSTATE 28000); narrow by `outcome`
 * to read `errorCode`. Never carries the password.
 *
 * @example
 * ```ts
 * onEvent: (event) => {
 *   if (event.type === 'login' && event.outcome !== 'ok') metrics.increment(`login.${event.errorCode}`);
 * }
 * ```
 */
export type LoginEvent = LoginSucceededEvent | LoginFailedEvent;
