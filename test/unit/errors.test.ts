import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  AuthenticationRejectedError,
  AwsCredentialsError,
  ClosedError,
  CredstageError,
  DecryptionFailureError,
  fromSdkError,
  InvalidOptionError,
  InvalidParameterError,
  InvalidRequestError,
  InvalidSecretFormatError,
  isRetryableError,
  RotationError,
  RotationInProgressError,
  SecretNotFoundError,
  ServiceUnavailableError,
  ThrottledError,
} from '../../src/errors.js';
import { FakeServiceError } from '../../src/testing/in-memory-secrets-manager.js';

const REF = { secretId: 'Applications/MyApp/Documentdb-instance', versionStage: 'AWSPENDING' };

describe('fromSdkError', () => {
  it.each([
    ['ResourceNotFoundException', SecretNotFoundError, 'ERR_SECRET_NOT_FOUND', false],
    ['DecryptionFailureException', DecryptionFailureError, 'ERR_DECRYPTION_FAILURE', false],
    ['InternalServiceErrorException', ServiceUnavailableError, 'ERR_SERVICE_UNAVAILABLE', true],
    ['InvalidParameterException', InvalidParameterError, 'ERR_INVALID_PARAMETER', false],
    ['InvalidRequestException', InvalidRequestError, 'ERR_INVALID_REQUEST', false],
    ['AccessDeniedException', AccessDeniedError, 'ERR_ACCESS_DENIED', false],
    ['ThrottlingException', ThrottledError, 'ERR_THROTTLED', true],
    ['TooManyRequestsException', ThrottledError, 'ERR_THROTTLED', true],
    ['ServiceUnavailableException', ServiceUnavailableError, 'ERR_SERVICE_UNAVAILABLE', true],
    ['TimeoutError', ServiceUnavailableError, 'ERR_SERVICE_UNAVAILABLE', true],
    ['RequestTimeout', ServiceUnavailableError, 'ERR_SERVICE_UNAVAILABLE', true],
  ] as const)('maps %s to %O (%s, retryable %s)', (name, type, code, retryable) => {
    const sdkError = new FakeServiceError(name, `an SDK message for ${name}`);

    const err = fromSdkError(sdkError, REF);

    expect(err).toBeInstanceOf(type);
    expect(err).toBeInstanceOf(CredstageError);
    expect(err).toMatchObject({ code, retryable, secretId: REF.secretId, versionStage: REF.versionStage });
    expect(err.cause).toBe(sdkError);
    expect(err.message).toContain(REF.secretId);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])(
    'maps the network error code %s to a retryable ServiceUnavailableError',
    (code) => {
      const err = fromSdkError(Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code }), REF);

      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect(err.retryable).toBe(true);
      expect(err.message).toContain(code);
    },
  );

  it.each([500, 502, 503, 504])('maps an unnamed HTTP %s answer to a retryable ServiceUnavailableError', (status) => {
    const err = fromSdkError({ name: 'Unknown', $metadata: { httpStatusCode: status } }, REF);

    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.message).toContain(`HTTP ${status}`);
  });

  it.each([
    ['CredentialsProviderError', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })],
    ['TokenProviderError', Object.assign(new Error('SSO token expired'), { name: 'TokenProviderError' })],
    ['ExpiredTokenException', new FakeServiceError('ExpiredTokenException', 'The security token included in the request is expired')],
    ['ExpiredToken', new FakeServiceError('ExpiredToken', 'The security token included in the request is expired')],
    ['UnrecognizedClientException', new FakeServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.')],
    ['InvalidClientTokenId', new FakeServiceError('InvalidClientTokenId', 'The security token included in the request is invalid.')],
    ['InvalidSignatureException', new FakeServiceError('InvalidSignatureException', 'Signature expired')],
  ])('maps the credentials failure %s to a retryable AwsCredentialsError naming it', (name, sdkError) => {
    const err = fromSdkError(sdkError, REF);

    expect(err).toBeInstanceOf(AwsCredentialsError);
    expect(err).toMatchObject({ code: 'ERR_AWS_CREDENTIALS', retryable: true, secretId: REF.secretId });
    expect(err.cause).toBe(sdkError);
    expect(err.message).toContain(name);
    expect(err.message).toContain(REF.secretId);
  });

  it('maps a server fault without a status to ServiceUnavailableError', () => {
    expect(fromSdkError({ name: 'SomethingNew', $fault: 'server' })).toBeInstanceOf(ServiceUnavailableError);
  });

  it('says "timed out" for an SDK request timeout', () => {
    const timeout = Object.assign(new Error('Connection timed out after 100 ms'), { name: 'TimeoutError' });

    expect(fromSdkError(timeout, REF).message).toContain('timed out');
  });

  // Regression: the SDK's HTTP handler renames ECONNRESET/EPIPE errors to TimeoutError, and
  // the mapping by name reported a connection reset as "the request timed out".
  it.each(['ECONNRESET', 'EPIPE'])('reports %s that the SDK renamed TimeoutError as a network error, not a timeout', (code) => {
    const renamed = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code });

    const err = fromSdkError(renamed, REF);

    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.message).toContain(`network error ${code}`);
    expect(err.message).not.toContain('timed out');
  });

  it('still says "timed out" for a TimeoutError with code ETIMEDOUT', () => {
    const timeout = Object.assign(new Error('request timeout'), { name: 'TimeoutError', code: 'ETIMEDOUT' });

    expect(fromSdkError(timeout, REF).message).toContain('timed out');
  });

  it('maps an unknown 4xx error to a non-retryable InvalidRequestError naming the error', () => {
    const err = fromSdkError({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } }, REF);

    expect(err.constructor).toBe(InvalidRequestError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_REQUEST', retryable: false });
    expect(err.message).toContain('ValidationException');
  });

  it('returns a credstage error unchanged', () => {
    const original = new ThrottledError(REF);

    expect(fromSdkError(original, { secretId: 'other' })).toBe(original);
  });

  it.each([undefined, null, 'a string', 42])('does not throw on a thrown non-error (%s)', (thrown) => {
    const err = fromSdkError(thrown, REF);

    expect(err).toBeInstanceOf(CredstageError);
    expect(err.retryable).toBe(false);
  });

  it('names the version id when the request named one', () => {
    const err = fromSdkError(new FakeServiceError('ResourceNotFoundException', 'x'), { secretId: 's', versionId: 'v-123' });

    expect(err.message).toContain('v-123');
    expect(err.versionId).toBe('v-123');
  });
});

describe('isRetryableError', () => {
  it('is true for throttling, 5xx and network errors and false for permanent ones', () => {
    expect(isRetryableError(new FakeServiceError('ThrottlingException', ''))).toBe(true);
    expect(isRetryableError(new FakeServiceError('InternalServiceErrorException', ''))).toBe(true);
    expect(isRetryableError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableError(new FakeServiceError('ResourceNotFoundException', ''))).toBe(false);
    expect(isRetryableError(new FakeServiceError('AccessDeniedException', ''))).toBe(false);
    expect(isRetryableError(new Error('plain'))).toBe(false);
  });
});

describe('error classes', () => {
  it('DecryptionFailureError tells the caller it may lack kms:Decrypt', () => {
    expect(new DecryptionFailureError(REF).message).toContain('kms:Decrypt');
  });

  it('AuthenticationRejectedError is not retryable and names the secret and the version', () => {
    const err = new AuthenticationRejectedError({ secretId: 'db-secret', versionId: 'ver-1', budgetMs: 30_000 });

    expect(err).toMatchObject({ code: 'ERR_AUTHENTICATION_REJECTED', retryable: false, secretId: 'db-secret', versionId: 'ver-1' });
    expect(err.message).toContain('db-secret');
    expect(err.message).toContain('ver-1');
  });

  it('InvalidSecretFormatError names the field and the secret', () => {
    const err = new InvalidSecretFormatError({ secretId: 'db-secret', field: 'port', problem: 'must be a number' });

    expect(err.field).toBe('port');
    expect(err.message).toContain('"port"');
    expect(err.message).toContain('db-secret');
  });

  it('InvalidOptionError names the option', () => {
    const err = new InvalidOptionError('ttlMs', 'must be positive');

    expect(err.option).toBe('ttlMs');
    expect(err.message).toBe('option "ttlMs" must be positive');
  });

  it.each([
    [new SecretNotFoundError(REF), 'SecretNotFoundError', 'ERR_SECRET_NOT_FOUND'],
    [new AccessDeniedError(REF), 'AccessDeniedError', 'ERR_ACCESS_DENIED'],
    [new ClosedError('SecretCache'), 'ClosedError', 'ERR_CLOSED'],
    [new RotationError({ secretId: 's', step: 'setSecret', problem: 'x' }), 'RotationError', 'ERR_ROTATION_FAILED'],
    [new RotationInProgressError({ secretId: 's', pendingVersionId: 'p' }), 'RotationInProgressError', 'ERR_ROTATION_IN_PROGRESS'],
  ] as const)('%s has its class name as name and a fixed code', (err, name, code) => {
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(Error);
  });
});
