import { MongoNetworkError, MongoNetworkTimeoutError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { classifyFailure, describeFailure, markPossiblyApplied } from '../../../src/documentdb/failures.js';
import { authError, bulkWriteError, lostReplyError, poolClearedError, poolClearedOnNetworkError, type BulkProgress } from './fake-mongo.js';

/**
 * One test per error the classifier accepts as "never reached the server", each saying where
 * the driver (mongodb 7, lib/) raises it and why no command of the operation can have been
 * written to a socket by then.
 */
describe('classifyFailure: what it accepts as never sent', () => {
  it('accepts a login rejected in the connection handshake (HandshakeError, cmap/connect.js): the connection is not in the pool yet, so it carried no operation', () => {
    expect(classifyFailure(authError())).toBe('auth');
  });

  it('accepts a network error of the connection handshake (HandshakeError, cmap/connect.js executeHandshake): hello and SASL only', () => {
    const error = new MongoNetworkError('connection 4 to 127.0.0.1:27017 closed');
    error.addErrorLabel('HandshakeError');

    expect(classifyFailure(error)).toBe('transient');
  });

  it('accepts a PoolClearedError caused by a rejected login as auth (connection_pool.js fails waiting checkouts with it: the operation never had a connection)', () => {
    expect(classifyFailure(poolClearedError(authError()))).toBe('auth');
  });

  it('accepts a PoolClearedError after a network failure as transient (a checkout failure, never sent)', () => {
    expect(classifyFailure(poolClearedError(new MongoNetworkError('socket hang up')))).toBe('transient');
  });

  it('accepts a refused TCP connection (ECONNREFUSED exists only while connecting, cmap/connect.js makeSocket)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { code: 'ECONNREFUSED' });

    expect(classifyFailure(new MongoNetworkError('connect ECONNREFUSED', { cause: refused }))).toBe('transient');
  });

  it('accepts a network timeout flagged beforeHandshake (cmap/connection.js sets it while the connection has no hello yet, so it carried no operation)', () => {
    expect(classifyFailure(new MongoNetworkTimeoutError('connection timed out', { beforeHandshake: true }))).toBe('transient');
  });
});

describe('classifyFailure: what may have reached the server', () => {
  it('treats PoolClearedOnNetworkError as fatal: connection_pool.js interrupts checked-out connections with it after a heartbeat timeout, so the command may have been written', () => {
    const error = poolClearedOnNetworkError();

    expect(error.hasErrorLabel('PoolRequestedRetry')).toBe(true); // inherited from PoolClearedError: not proof of anything
    expect(classifyFailure(error)).toBe('fatal');
    expect(classifyFailure(poolClearedOnNetworkError(authError()))).toBe('fatal');
  });

  it('does not take the PoolRequestedRetry label alone as proof that nothing was sent', () => {
    const error = new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed');
    error.addErrorLabel('PoolRequestedRetry');

    expect(classifyFailure(error)).toBe('fatal');
  });

  it('treats a bulk write stopped by PoolClearedOnNetworkError as fatal even when its result shows nothing done', () => {
    const error = bulkWriteError(poolClearedOnNetworkError());

    expect(classifyFailure(error)).toBe('fatal');
  });

  it('treats a connection lost after the command was sent as fatal: the write may have happened', () => {
    expect(classifyFailure(lostReplyError())).toBe('fatal');
    expect(classifyFailure(new MongoNetworkTimeoutError('timed out'))).toBe('fatal');
  });

  it('treats code 18 outside a handshake as fatal', () => {
    const fromCommand = new MongoServerError({ message: 'Authentication failed.', code: 18, codeName: 'AuthenticationFailed' });

    expect(classifyFailure(fromCommand)).toBe('fatal');
  });

  it('treats server errors such as a duplicate key as fatal', () => {
    expect(classifyFailure(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }))).toBe('fatal');
    expect(classifyFailure(new Error('anything'))).toBe('fatal');
    expect(classifyFailure(undefined)).toBe('fatal');
  });

  it('describes a failure by name and code only', () => {
    expect(describeFailure(authError())).toBe('MongoServerError [18]');
    expect(describeFailure(poolClearedError())).toBe('MongoPoolClearedError');
  });

  it('treats a bulk write whose later batch hit a cleared pool as fatal when earlier batches were committed', () => {
    const error = bulkWriteError(poolClearedError(new MongoNetworkError('socket hang up')), { nInserted: 1000 });

    expect(error.hasErrorLabel('PoolRequestedRetry')).toBe(true); // what made it look retryable
    expect(classifyFailure(error)).toBe('fatal');
  });

  it('treats a bulk write whose later batch was rejected in the handshake as fatal when earlier batches were committed', () => {
    const error = bulkWriteError(authError(), { nInserted: 1000 });

    expect(error.code).toBe(18);
    expect(error.hasErrorLabel('HandshakeError')).toBe(true);
    expect(classifyFailure(error)).toBe('fatal');
  });

  it.each<[string, BulkProgress]>([
    ['matched', { nMatched: 1 }],
    ['deleted', { nRemoved: 2 }],
    ['upserted', { upserted: [{ index: 0, _id: 'u' }] }],
    ['write errors', { writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key' }] }],
  ])('treats a cleared-pool bulk write error whose result shows %s as fatal', (_what, progress) => {
    expect(classifyFailure(bulkWriteError(poolClearedError(new MongoNetworkError('socket hang up')), progress))).toBe('fatal');
  });

  it('treats a bulk write error without a result as fatal', () => {
    const error = bulkWriteError(poolClearedError(new MongoNetworkError('socket hang up')));
    Object.defineProperty(error, 'result', { value: undefined });

    expect(classifyFailure(error)).toBe('fatal');
  });

  it('retries a bulk write whose first batch failed before the server and whose result shows nothing done', () => {
    expect(classifyFailure(bulkWriteError(poolClearedError(new MongoNetworkError('socket hang up'))))).toBe('transient');
    expect(classifyFailure(bulkWriteError(authError()))).toBe('auth');
  });

  it('treats a bulk write error marked as possibly applied as fatal even when its result shows nothing done', () => {
    const error = bulkWriteError(authError());

    markPossiblyApplied(error);

    expect(classifyFailure(error)).toBe('fatal');
  });
});
