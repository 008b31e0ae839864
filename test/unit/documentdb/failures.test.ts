import { MongoNetworkError, MongoNetworkTimeoutError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { classifyFailure, describeFailure } from '../../../src/documentdb/failures.js';
import { authError, lostReplyError, poolClearedError } from './fake-mongo.js';

describe('classifyFailure', () => {
  it('treats a login rejected during the connection handshake as auth', () => {
    expect(classifyFailure(authError())).toBe('auth');
  });

  it('treats a PoolClearedError caused by a rejected login as auth', () => {
    expect(classifyFailure(poolClearedError(authError()))).toBe('auth');
  });

  it('treats a PoolClearedError after a network failure as transient', () => {
    expect(classifyFailure(poolClearedError(new MongoNetworkError('socket hang up')))).toBe('transient');
  });

  it('treats a refused TCP connection as transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { code: 'ECONNREFUSED' });

    expect(classifyFailure(new MongoNetworkError('connect ECONNREFUSED', { cause: refused }))).toBe('transient');
  });

  it('treats a timeout before the handshake as transient', () => {
    expect(classifyFailure(new MongoNetworkTimeoutError('connection timed out', { beforeHandshake: true }))).toBe('transient');
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
    expect(describeFailure(poolClearedError())).toBe('MongoNetworkError');
  });
});
