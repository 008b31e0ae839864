import type { CacheEvent } from '../cache/events.js';

/**
 * One login to the database: a new pg connection opened with the credentials of one secret
 * version. `outcome` is `ok`, `rejected` (the database refused the credentials: SQLSTATE 28P01
 * or 28000) or `error` (anything else, e.g. a refused TCP connection). Never carries the password.
 */
export interface LoginEvent {
  type: 'login';
  outcome: 'ok' | 'rejected' | 'error';
  secretId: string;
  /** The secret version whose username and password were used. */
  versionId: string;
  username: string;
  host: string;
  port: number;
  /** Time from sending the connection request to its outcome. */
  durationMs: number;
  /** The driver's error code (SQLSTATE or a Node error code), when the login failed. */
  errorCode?: string | undefined;
}

/**
 * What `credstage/redshift` reports to `onEvent`: every login, plus the cache and
 * credential events (`auth-recovery` above all) of the secret behind the connections.
 */
export type RedshiftEvent = CacheEvent | LoginEvent;

/** Calls `listener` and swallows what it throws: a broken listener must not break a connection. */
export function emitRedshiftEvent(listener: ((event: RedshiftEvent) => void) | undefined, event: RedshiftEvent): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // The listener's failure is its own.
  }
}
