import type { CacheEvent } from '../cache/events.js';

/**
 * The client moved to a new MongoClient. `reason` is `auth-failure` when the database rejected
 * the credentials of `previousVersionId`, `current-changed` when AWSCURRENT moved on and the
 * client followed before anything failed.
 */
export interface ClientSwitchEvent {
  type: 'client-switch';
  secretId: string;
  generation: number;
  versionId: string;
  previousVersionId: string;
  /** The database user of the new MongoClient (alternating-users rotation changes it). */
  username: string;
  reason: 'auth-failure' | 'current-changed';
}

/** An operation failed before it reached the server and runs again. */
export interface OperationRetryEvent {
  type: 'operation-retry';
  secretId: string;
  /** The generation the failed attempt ran on. */
  generation: number;
  /** `auth`: credentials rejected (the client switches first); `transient`: pool cleared, connection not established. */
  reason: 'auth' | 'transient';
  attempt: number;
  /** The driver error's name and code, e.g. `MongoServerError [18]`. Never its full text. */
  error: string;
}

/** A replaced MongoClient was closed once its operations and cursors were done. */
export interface ClientRetiredEvent {
  type: 'client-retired';
  secretId: string;
  generation: number;
}

/**
 * One login: a new MongoClient (generation) connecting with the credentials of one secret
 * version, the same shape as `credstage/redshift`'s login event. `outcome` is `ok`, `rejected`
 * (the database refused the credentials: code 18 in the handshake) or `error` (anything else,
 * e.g. a refused TCP connection). Never carries the password.
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
  /** Time from `connect()` to its outcome. */
  durationMs: number;
  /** The driver's error code (e.g. `18`) or a Node error code (`ECONNREFUSED`), when the login failed. */
  errorCode?: string | undefined;
}

/** Everything `onEvent` of {@link getDocumentDbClient} receives. Never carries a password. */
export type DocumentDbClientEvent = CacheEvent | ClientSwitchEvent | OperationRetryEvent | ClientRetiredEvent | LoginEvent;
