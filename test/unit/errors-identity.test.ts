import { describe, expect, it, vi } from 'vitest';
import * as errors from '../../src/errors.js';
import { CredstageError, fromSdkError, InvalidOptionError, InvalidRequestError, RotationError, SecretNotFoundError, ThrottledError } from '../../src/errors.js';

/** A second, separately loaded copy of the module: what a CJS build next to an ESM build gives. */
async function otherCopy(): Promise<typeof errors> {
  vi.resetModules();
  return import('../../src/errors.js');
}

const REF = { secretId: 'Applications/MyApp/Documentdb-instance', versionStage: 'AWSCURRENT' };

describe('error identity across copies of the module', () => {
  it('an error of one copy is an instance of the same class of the other copy, both ways', async () => {
    const other = await otherCopy();
    expect(other.SecretNotFoundError).not.toBe(SecretNotFoundError);

    expect(new other.SecretNotFoundError(REF)).toBeInstanceOf(SecretNotFoundError);
    expect(new other.SecretNotFoundError(REF)).toBeInstanceOf(CredstageError);
    expect(new SecretNotFoundError(REF)).toBeInstanceOf(other.SecretNotFoundError);
    expect(new SecretNotFoundError(REF)).toBeInstanceOf(other.CredstageError);
    expect(new other.RotationError({ secretId: 's', step: 'setSecret', problem: 'x' })).toBeInstanceOf(RotationError);
  });

  it('an error is no instance of a sibling class, in either copy', async () => {
    const other = await otherCopy();

    expect(new other.SecretNotFoundError(REF)).not.toBeInstanceOf(ThrottledError);
    expect(new ThrottledError(REF)).not.toBeInstanceOf(other.SecretNotFoundError);
    expect(new Error('plain')).not.toBeInstanceOf(CredstageError);
    expect({ code: 'ERR_THROTTLED' }).not.toBeInstanceOf(ThrottledError);
  });

  it('keeps the brand out of JSON and inspect output', () => {
    const err = new ThrottledError(REF);

    expect(Object.keys(err)).not.toContain('credstage.error');
    expect(Object.getOwnPropertySymbols(err).every((s) => !Object.getOwnPropertyDescriptor(err, s)!.enumerable)).toBe(true);
  });

  it('a subclass an application defines keeps the ordinary instanceof', () => {
    class AppError extends SecretNotFoundError {}

    expect(new AppError(REF)).toBeInstanceOf(AppError);
    expect(new AppError(REF)).toBeInstanceOf(SecretNotFoundError);
    expect(new SecretNotFoundError(REF)).not.toBeInstanceOf(AppError);
  });
});

describe('fromSdkError fallback', () => {
  it('builds an instance of the class its code names for an unknown 4xx error', () => {
    const err = fromSdkError({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } }, REF);

    expect(err.constructor).toBe(InvalidRequestError);
    expect(err.code).toBe('ERR_INVALID_REQUEST');
  });
});

describe('InvalidOptionError', () => {
  it('carries the option and the problem as fields', () => {
    const err = new InvalidOptionError('ttlMs', 'must be positive');

    expect(err).toMatchObject({ option: 'ttlMs', problem: 'must be positive' });
  });
});

describe('ERROR_CODES', () => {
  it('lists the fixed code of every error class, each once', () => {
    const codes = Object.values(errors.ERROR_CODES);

    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).toContain(new SecretNotFoundError(REF).code);
    expect(codes).toContain(new InvalidOptionError('x', 'y').code);
    expect(Object.isFrozen(errors.ERROR_CODES)).toBe(true);
  });
});
