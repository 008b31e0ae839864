import { isAuthenticationError } from '../credentials/auth-errors.js';

/**
 * What to do after a driver error:
 * - `auth`: the credentials were rejected while a connection was being established; switch
 *   to recovered credentials and run the operation again.
 * - `transient`: the operation never left the client (a checkout failed because the pool was
 *   cleared, the connection was refused or broke before its handshake finished); run it again.
 * - `fatal`: it may have reached the server; running it again could apply a write twice.
 *
 * Reads and writes are classified alike: credstage runs nothing again that may have reached
 * the server. A read that may have (a network error after it was sent) is retried once by the
 * driver itself (`retryReads`, on by default), which is harmless for a read; writes are not,
 * as DocumentDB has no retryable writes (`retryWrites: false`).
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

/** The parts of the driver's BulkWriteResult that show whether any batch of a bulk write ran. */
interface BulkResultLike {
  insertedCount?: unknown;
  matchedCount?: unknown;
  modifiedCount?: unknown;
  deletedCount?: unknown;
  upsertedCount?: unknown;
  hasWriteErrors?: () => boolean;
  getRawResponse?: () => { writeErrors?: unknown; writeConcernErrors?: unknown; upserted?: unknown };
}

/** Errors of bulk writes whose result cannot show every batch that ran (see {@link markPossiblyApplied}). */
const possiblyApplied = new WeakSet<object>();

/**
 * Records that `err` comes from a bulk write whose result may hide batches that ran: updates
 * and deletes that matched nothing, or unacknowledged (`w: 0`) writes, leave every count at 0.
 * Such an error is never retried.
 *
 * @example
 * ```ts
 * promise.catch((err) => { markPossiblyApplied(err); throw err; });
 * ```
 */
export function markPossiblyApplied(err: unknown): void {
  if (err !== null && typeof err === 'object') possiblyApplied.add(err);
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

/**
 * A MongoBulkWriteError copies the labels and code of the error that stopped its batch, so a
 * later batch failing at checkout looks like a failure before the server, while the earlier
 * batches are committed. Only a result that shows no batch took effect lets it be retried;
 * no result at all does not.
 */
function bulkShowsNoProgress(err: DriverErrorLike & { result?: unknown; writeErrors?: unknown }): boolean {
  if (possiblyApplied.has(err)) return false;
  const result = err.result as BulkResultLike | undefined;
  if (result === null || typeof result !== 'object') return false;
  const counts = [result.insertedCount, result.matchedCount, result.modifiedCount, result.deletedCount, result.upsertedCount];
  if (!counts.every((count) => count === 0)) return false;
  if (typeof result.hasWriteErrors !== 'function' || result.hasWriteErrors()) return false;
  if (err.writeErrors !== undefined && !isEmptyList(err.writeErrors)) return false;
  const raw = typeof result.getRawResponse === 'function' ? result.getRawResponse() : undefined;
  return raw !== undefined && isEmptyList(raw.writeErrors) && isEmptyList(raw.writeConcernErrors) && isEmptyList(raw.upserted);
}

function isNetworkError(err: DriverErrorLike): boolean {
  return typeof err.name === 'string' && err.name.startsWith('MongoNetwork');
}

/**
 * The driver error a bulk write error stands for: lib/bulk/common.js builds a
 * MongoBulkWriteError from the error that stopped its batch, keeping that error as
 * `errorResponse` (a driver error) or copying its code and labels (a server error).
 */
function bulkCause(err: DriverErrorLike & { errorResponse?: unknown }): DriverErrorLike {
  return err.errorResponse instanceof Error ? (err.errorResponse as DriverErrorLike) : err;
}

/**
 * The driver's (mongodb 7) errors that prove an operation was never written to a socket,
 * each by where the driver raises it:
 * - label `HandshakeError`: cmap/connect.js labels the errors of establishing a connection
 *   (TCP, TLS, hello, authentication); the connection is not in the pool yet and has carried
 *   no operation;
 * - name `MongoPoolClearedError`: cmap/connection_pool.js fails a checkout with it while the
 *   pool is paused after a clear; the operation never had a connection. Not its subclass
 *   `PoolClearedOnNetworkError` (same `PoolRequestedRetry` label): after a heartbeat timeout
 *   the pool fails the checked-out connections with it, whose commands may have been sent;
 * - a MongoNetworkError flagged `beforeHandshake`: cmap/connection.js sets it on a timeout
 *   while the connection has no hello yet;
 * - a MongoNetworkError caused by ECONNREFUSED: a socket is refused only while connecting.
 */
function errorProvesNotSent(e: DriverErrorLike): boolean {
  if (e.name === 'PoolClearedOnNetworkError') return false;
  if (hasLabel(e, 'HandshakeError') || e.name === 'MongoPoolClearedError') return true;
  if (!isNetworkError(e)) return false;
  if (e.beforeHandshake === true) return true;
  const cause = e.cause as { code?: unknown } | undefined;
  return cause?.code === 'ECONNREFUSED';
}

/**
 * True when the error proves the operation was never sent (see the list on
 * `errorProvesNotSent` in this file: a handshake error, a checkout failed on a cleared pool,
 * a refused connection, a timeout before the handshake). A bulk write error counts only when
 * the error that stopped it does and its result shows that no batch took effect.
 *
 * @example
 * ```ts
 * if (failedBeforeServer(err)) return runAgain(); // cannot have been applied
 * ```
 */
export function failedBeforeServer(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as DriverErrorLike;
  if (possiblyApplied.has(e)) return false;
  if (e.name === 'MongoBulkWriteError') return bulkShowsNoProgress(e) && errorProvesNotSent(bulkCause(e));
  return errorProvesNotSent(e);
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
