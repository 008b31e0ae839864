import { isAuthenticationError } from '../credentials/auth-errors.js';

/**
 * What to do after a driver error:
 * - `auth`: the credentials were rejected while a connection was being established; switch
 *   to recovered credentials and run the operation again.
 * - `transient`: the operation never left the client (pool cleared, connection refused or
 *   broken before its handshake finished); run it again.
 * - `fatal`: it may have reached the server; running it again could apply a write twice.
 */
export type FailureKind = 'auth' | 'transient' | 'fatal';

interface DriverErrorLike {
  name?: unknown;
  code?: unknown;
  beforeHandshake?: unknown;
  cause?: unknown;
  errorLabels?: unknown;
  hasErrorLabel?: (label: string) => boolean;
}

function hasLabel(err: DriverErrorLike, label: string): boolean {
  if (typeof err.hasErrorLabel === 'function') return err.hasErrorLabel(label);
  return Array.isArray(err.errorLabels) && err.errorLabels.includes(label);
}

function isNetworkError(err: DriverErrorLike): boolean {
  return typeof err.name === 'string' && err.name.startsWith('MongoNetwork');
}

/**
 * True when the error proves the operation was never sent: the driver labels errors of the
 * connection handshake (authentication included) `HandshakeError`; a pool that was cleared
 * fails its waiting checkouts with a PoolClearedError (`PoolRequestedRetry`); a refused TCP
 * connection or a network error flagged `beforeHandshake` happened before any command.
 *
 * @example
 * ```ts
 * if (failedBeforeServer(err)) return runAgain(); // cannot have been applied
 * ```
 */
export function failedBeforeServer(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as DriverErrorLike;
  if (hasLabel(e, 'HandshakeError') || hasLabel(e, 'PoolRequestedRetry') || e.name === 'MongoPoolClearedError') return true;
  if (!isNetworkError(e)) return false;
  if (e.beforeHandshake === true) return true;
  const cause = e.cause as { code?: unknown } | undefined;
  return cause?.code === 'ECONNREFUSED';
}

/**
 * Classifies a driver error for the retry decision (see {@link FailureKind}). Decided by
 * error classes, labels and codes, never by message text.
 *
 * @example
 * ```ts
 * if (classifyFailure(err) === 'fatal') throw err;
 * ```
 */
export function classifyFailure(err: unknown): FailureKind {
  if (!failedBeforeServer(err)) return 'fatal';
  return isAuthenticationError(err) ? 'auth' : 'transient';
}

/** `MongoServerError [18]`: enough to tell what failed, nothing a password could hide in. */
export function describeFailure(err: unknown): string {
  const e = (err ?? {}) as DriverErrorLike;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  return typeof e.code === 'number' || typeof e.code === 'string' ? `${name} [${String(e.code)}]` : name;
}
