/**
 * Typed errors. Every error credstage throws is a {@link CredstageError} with a fixed
 * string `code`, a `retryable` flag and, where there is one, the underlying `cause`.
 *
 * Messages name the secret, the version and the field at fault; they never contain a
 * secret value. Causes are kept only where they cannot carry one either (AWS SDK errors,
 * driver errors): a `JSON.parse` error, which quotes its input, is never kept.
 */

/**
 * The fixed codes of credstage errors, stable across releases: match `err.code` against these
 * rather than against message text.
 *
 * @example
 * ```ts
 * if (err instanceof CredstageError && err.code === ERROR_CODES.THROTTLED) await sleep(1000);
 * ```
 */
export const ERROR_CODES = Object.freeze({
  SECRET_NOT_FOUND: 'ERR_SECRET_NOT_FOUND',
  DECRYPTION_FAILURE: 'ERR_DECRYPTION_FAILURE',
  ACCESS_DENIED: 'ERR_ACCESS_DENIED',
  AWS_CREDENTIALS: 'ERR_AWS_CREDENTIALS',
  THROTTLED: 'ERR_THROTTLED',
  SERVICE_UNAVAILABLE: 'ERR_SERVICE_UNAVAILABLE',
  INVALID_PARAMETER: 'ERR_INVALID_PARAMETER',
  INVALID_REQUEST: 'ERR_INVALID_REQUEST',
  INVALID_SECRET_FORMAT: 'ERR_INVALID_SECRET_FORMAT',
  AUTHENTICATION_REJECTED: 'ERR_AUTHENTICATION_REJECTED',
  TLS: 'ERR_TLS',
  INVALID_OPTION: 'ERR_INVALID_OPTION',
  CLOSED: 'ERR_CLOSED',
  ROTATION_FAILED: 'ERR_ROTATION_FAILED',
  ROTATION_IN_PROGRESS: 'ERR_ROTATION_IN_PROGRESS',
  MISSING_DEPENDENCY: 'ERR_MISSING_DEPENDENCY',
} as const);

/** One of the fixed codes of credstage errors ({@link ERROR_CODES}). */
export type CredstageErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * Marks every credstage error. `Symbol.for` gives the same symbol in every copy of credstage
 * loaded in one process (the ESM and the CJS build side by side, two installed versions), so
 * `instanceof` can check the brand where the prototype chain belongs to another copy.
 */
const BRAND = Symbol.for('credstage.error');

function isBranded(value: unknown): value is { code: unknown } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The `instanceof` of a credstage error class `own`: any credstage error (of any copy) with the
 * class's fixed `code`, or any credstage error at all for the base class. For a class an
 * application derives from one of ours (`cls` is not `own`), the ordinary prototype check.
 */
function hasInstance(cls: Function, own: Function, value: unknown, code?: CredstageErrorCode): boolean {
  if (cls !== own) return Function.prototype[Symbol.hasInstance].call(cls, value);
  return isBranded(value) && (code === undefined || value.code === code);
}

/** Where an error came from: the secret and, when known, the stage or version asked for. */
export interface SecretRef {
  secretId?: string | undefined;
  versionStage?: string | undefined;
  versionId?: string | undefined;
}

interface ErrorInit extends SecretRef {
  cause?: unknown;
}

/**
 * Base class of every error credstage throws.
 *
 * @example
 * ```ts
 * try {
 *   await cache.getSecretString('Applications/MyApp/Documentdb-instance');
 * } catch (err) {
 *   if (err instanceof CredstageError && err.retryable) scheduleRetry();
 *   else throw err;
 * }
 * ```
 */
export class CredstageError extends Error {
  /** A fixed string naming the kind of failure; stable across releases. */
  readonly code: CredstageErrorCode;
  /** True when the same call may succeed later without any change on the caller's side. */
  readonly retryable: boolean;
  readonly secretId: string | undefined;
  readonly versionStage: string | undefined;
  readonly versionId: string | undefined;

  /** True for a credstage error from any copy of credstage in the process (ESM or CJS build). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, CredstageError, value);
  }

  constructor(code: CredstageErrorCode, message: string, retryable: boolean, init: ErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    // Not enumerable: stays out of JSON.stringify, util.inspect and object spreads.
    Object.defineProperty(this, BRAND, { value: true });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
    this.secretId = init.secretId;
    this.versionStage = init.versionStage;
    this.versionId = init.versionId;
  }
}

function describe(ref: SecretRef): string {
  const what = ref.versionId ? `version ${ref.versionId}` : ref.versionStage;
  return what ? `secret "${ref.secretId}" (${what})` : `secret "${ref.secretId}"`;
}

/**
 * The secret, or the stage or version asked for, does not exist.
 *
 * @example
 * ```ts
 * if (err instanceof SecretNotFoundError) console.error(`create ${err.secretId} first`);
 * ```
 */
export class SecretNotFoundError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, SecretNotFoundError, value, ERROR_CODES.SECRET_NOT_FOUND);
  }

  constructor(init: ErrorInit) {
    super(ERROR_CODES.SECRET_NOT_FOUND, `${describe(init)} was not found`, false, init);
  }
}

/**
 * Secrets Manager could not decrypt the secret with its KMS key.
 *
 * @example
 * ```ts
 * if (err instanceof DecryptionFailureError) alert('grant kms:Decrypt on the secret key');
 * ```
 */
export class DecryptionFailureError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, DecryptionFailureError, value, ERROR_CODES.DECRYPTION_FAILURE);
  }

  constructor(init: ErrorInit) {
    super(
      ERROR_CODES.DECRYPTION_FAILURE,
      `Secrets Manager could not decrypt ${describe(init)}: the caller may lack kms:Decrypt on the secret's KMS key`,
      false,
      init,
    );
  }
}

/**
 * The caller's IAM identity may not read the secret.
 *
 * @example
 * ```ts
 * if (err instanceof AccessDeniedError) console.error('needs secretsmanager:GetSecretValue');
 * ```
 */
export class AccessDeniedError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, AccessDeniedError, value, ERROR_CODES.ACCESS_DENIED);
  }

  constructor(init: ErrorInit) {
    super(ERROR_CODES.ACCESS_DENIED, `access denied to ${describe(init)}`, false, init);
  }
}

/**
 * The AWS SDK could not get credentials to sign the request (the provider chain failed: instance
 * metadata, STS, SSO), or AWS did not accept the ones it had (expired or unrecognised token, a
 * signature from a skewed clock). Retryable: these are most often a blip of IMDS or STS, or a
 * token about to be replaced by the provider; a cache keeps serving what it holds meanwhile.
 *
 * @example
 * ```ts
 * if (err instanceof AwsCredentialsError) console.error('check the instance role or AWS_PROFILE');
 * ```
 */
export class AwsCredentialsError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, AwsCredentialsError, value, ERROR_CODES.AWS_CREDENTIALS);
  }

  constructor(init: ErrorInit & { sdkErrorName: string }) {
    super(
      ERROR_CODES.AWS_CREDENTIALS,
      `the AWS credentials for the request for ${describe(init)} could not be loaded or were not accepted (${init.sdkErrorName})`,
      true,
      init,
    );
  }
}

/**
 * Secrets Manager throttled the request. Retryable.
 *
 * @example
 * ```ts
 * if (err instanceof ThrottledError) await sleep(1000);
 * ```
 */
export class ThrottledError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, ThrottledError, value, ERROR_CODES.THROTTLED);
  }

  constructor(init: ErrorInit) {
    super(ERROR_CODES.THROTTLED, `Secrets Manager throttled the request for ${describe(init)}`, true, init);
  }
}

/**
 * Secrets Manager failed on its side, timed out or could not be reached. Retryable.
 *
 * @example
 * ```ts
 * if (err instanceof ServiceUnavailableError) metrics.increment('secrets.outage');
 * ```
 */
export class ServiceUnavailableError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, ServiceUnavailableError, value, ERROR_CODES.SERVICE_UNAVAILABLE);
  }

  constructor(init: ErrorInit & { detail?: string }) {
    const detail = init.detail ? `: ${init.detail}` : '';
    super(ERROR_CODES.SERVICE_UNAVAILABLE, `Secrets Manager is unavailable for ${describe(init)}${detail}`, true, init);
  }
}

/**
 * Secrets Manager rejected a parameter of the request.
 *
 * @example
 * ```ts
 * if (err instanceof InvalidParameterError) console.error(err.message);
 * ```
 */
export class InvalidParameterError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, InvalidParameterError, value, ERROR_CODES.INVALID_PARAMETER);
  }

  constructor(init: ErrorInit) {
    super(ERROR_CODES.INVALID_PARAMETER, `Secrets Manager rejected a parameter of the request for ${describe(init)}`, false, init);
  }
}

/**
 * The request is not valid for the secret's current state (for example, it is scheduled for deletion).
 *
 * @example
 * ```ts
 * if (err instanceof InvalidRequestError) console.error(err.message);
 * ```
 */
export class InvalidRequestError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, InvalidRequestError, value, ERROR_CODES.INVALID_REQUEST);
  }

  /** `sdkErrorName`: an SDK error credstage has no better class for; the message names it. */
  constructor(init: ErrorInit & { sdkErrorName?: string }) {
    super(
      ERROR_CODES.INVALID_REQUEST,
      init.sdkErrorName === undefined
        ? `the request is not valid for the current state of ${describe(init)} (deleted or scheduled for deletion?)`
        : `Secrets Manager request for ${describe(init)} failed: ${init.sdkErrorName}`,
      false,
      init,
    );
  }
}

/**
 * The secret's value is not of the expected form. Names the field, never the value.
 *
 * @example
 * ```ts
 * if (err instanceof InvalidSecretFormatError) console.error(`fix field ${err.field}`);
 * ```
 */
export class InvalidSecretFormatError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, InvalidSecretFormatError, value, ERROR_CODES.INVALID_SECRET_FORMAT);
  }

  /** The field at fault, or undefined when the whole value is (not JSON, empty, too large). */
  readonly field: string | undefined;

  constructor(init: ErrorInit & { field?: string; problem: string }) {
    const where = init.field ? `field "${init.field}" of ${describe(init)}` : describe(init);
    super(ERROR_CODES.INVALID_SECRET_FORMAT, `${where} ${init.problem}`, false, init);
    this.field = init.field;
  }
}

/**
 * The database kept rejecting the credentials after credstage looked for newer ones
 * (AWSCURRENT refreshed, AWSPENDING tried) for the whole recovery budget. Not retryable.
 *
 * @example
 * ```ts
 * if (err instanceof AuthenticationRejectedError) console.error(`bad password in ${err.secretId}`);
 * ```
 */
export class AuthenticationRejectedError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, AuthenticationRejectedError, value, ERROR_CODES.AUTHENTICATION_REJECTED);
  }

  /** An AWSPENDING recovery found and would not use (it names another database or weaker TLS), if any. */
  readonly refusedPending: { readonly versionId: string; readonly differingFields: readonly string[] } | undefined;

  constructor(init: ErrorInit & { budgetMs: number; refusedPending?: { versionId: string; differingFields: readonly string[] } }) {
    const refused = init.refusedPending;
    super(
      ERROR_CODES.AUTHENTICATION_REJECTED,
      `the database rejected the credentials of ${describe(init)} and no newer version appeared within ${init.budgetMs} ms` +
        (refused
          ? ` (AWSPENDING version ${refused.versionId} was not tried: its ${refused.differingFields.join(', ')} differ from AWSCURRENT's)`
          : ''),
      false,
      init,
    );
    this.refusedPending = refused && Object.freeze({ versionId: refused.versionId, differingFields: Object.freeze([...refused.differingFields]) });
  }
}

/** Why a database connection could not be secured with TLS. */
export type TlsFailureReason = 'untrusted-certificate' | 'host-mismatch' | 'tls-refused' | 'handshake-failed';

/**
 * A database connection that had to use TLS could not: the server refused TLS, its certificate
 * is not trusted or does not name the host, or the handshake failed. There is never a plaintext
 * fallback. The message says what to change (for Amazon RDS: pass the RDS CA bundle). Not
 * retryable; `cause` is the driver's error.
 *
 * @example
 * ```ts
 * if (err instanceof TlsError && err.reason === 'untrusted-certificate') console.error(err.message);
 * ```
 */
export class TlsError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, TlsError, value, ERROR_CODES.TLS);
  }

  readonly reason: TlsFailureReason;
  readonly host: string;
  readonly port: number;

  constructor(init: ErrorInit & { reason: TlsFailureReason; host: string; port: number; problem: string }) {
    super(ERROR_CODES.TLS, `TLS to ${init.host}:${init.port} for ${describe(init)} failed: ${init.problem}`, false, init);
    this.reason = init.reason;
    this.host = init.host;
    this.port = init.port;
  }
}

/**
 * An option passed to credstage is invalid. Names the option.
 *
 * @example
 * ```ts
 * new SecretCache({ ttlMs: -1 }); // throws InvalidOptionError: option "ttlMs" must be ...
 * ```
 */
export class InvalidOptionError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, InvalidOptionError, value, ERROR_CODES.INVALID_OPTION);
  }

  /** The option at fault, as a path where it is nested (`secrets[2].rotation.connectTimeoutMs`). */
  readonly option: string;
  /** What is wrong with it, e.g. `must be a positive number`; the message is `option "<option>" <problem>`. */
  readonly problem: string;

  constructor(option: string, problem: string) {
    super(ERROR_CODES.INVALID_OPTION, `option "${option}" ${problem}`, false);
    this.option = option;
    this.problem = problem;
  }
}

/**
 * The object was closed and cannot serve the call.
 *
 * @example
 * ```ts
 * await cache.close();
 * await cache.getSecretString('x'); // rejects with ClosedError
 * ```
 */
export class ClosedError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, ClosedError, value, ERROR_CODES.CLOSED);
  }

  constructor(what: string) {
    super(ERROR_CODES.CLOSED, `${what} is closed`, false);
  }
}

/**
 * A rotation step failed. Names the step, the secret and the ClientRequestToken.
 *
 * @example
 * ```ts
 * if (err instanceof RotationError) console.error(err.step, err.clientRequestToken);
 * ```
 */
export class RotationError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, RotationError, value, ERROR_CODES.ROTATION_FAILED);
  }

  readonly step: string;
  readonly clientRequestToken: string | undefined;

  constructor(init: ErrorInit & { step: string; clientRequestToken?: string; problem: string; retryable?: boolean }) {
    super(
      ERROR_CODES.ROTATION_FAILED,
      `rotation of secret "${init.secretId}" failed in ${init.step}` +
        `${init.clientRequestToken ? ` (token ${init.clientRequestToken})` : ''}: ${init.problem}`,
      init.retryable ?? true,
      init,
    );
    this.step = init.step;
    this.clientRequestToken = init.clientRequestToken;
  }
}

/**
 * Another rotation of the same secret holds AWSPENDING under a different token.
 *
 * @example
 * ```ts
 * if (err instanceof RotationInProgressError) return; // the other rotation will finish it
 * ```
 */
export class RotationInProgressError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, RotationInProgressError, value, ERROR_CODES.ROTATION_IN_PROGRESS);
  }

  readonly clientRequestToken: string | undefined;
  readonly pendingVersionId: string;

  constructor(init: ErrorInit & { clientRequestToken?: string; pendingVersionId: string }) {
    super(
      ERROR_CODES.ROTATION_IN_PROGRESS,
      `secret "${init.secretId}" is already being rotated: AWSPENDING is on version ${init.pendingVersionId}`,
      true,
      init,
    );
    this.clientRequestToken = init.clientRequestToken;
    this.pendingVersionId = init.pendingVersionId;
  }
}

/**
 * An optional peer dependency a call needs is not installed: `mongodb` to rotate a DocumentDB
 * secret, `pg` to rotate a Redshift or PostgreSQL one. Not retryable; `dependency` names the package.
 *
 * @example
 * ```ts
 * if (err instanceof MissingDependencyError) console.error(`npm install ${err.dependency}`);
 * ```
 */
export class MissingDependencyError extends CredstageError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, MissingDependencyError, value, ERROR_CODES.MISSING_DEPENDENCY);
  }

  /** The npm package to install. */
  readonly dependency: string;

  constructor(init: ErrorInit & { dependency: string; neededFor: string }) {
    super(ERROR_CODES.MISSING_DEPENDENCY, `${init.neededFor} needs the "${init.dependency}" package: npm install ${init.dependency}`, false, init);
    this.dependency = init.dependency;
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: unknown;
}

/**
 * Maps an error from the AWS SDK (by its `name`) or from the network to a typed credstage
 * error. Errors that already are credstage errors are returned as they are.
 *
 * @example
 * ```ts
 * try {
 *   await client.send(new GetSecretValueCommand({ SecretId: id, VersionStage: 'AWSCURRENT' }));
 * } catch (err) {
 *   throw fromSdkError(err, { secretId: id, versionStage: 'AWSCURRENT' });
 * }
 * ```
 */
export function fromSdkError(err: unknown, ref: SecretRef = {}): CredstageError {
  if (err instanceof CredstageError) return err;
  const e = (err ?? {}) as SdkLikeError;
  const init = { ...ref, cause: err };
  switch (e.name) {
    case 'ResourceNotFoundException':
      return new SecretNotFoundError(init);
    case 'DecryptionFailureException':
    case 'DecryptionFailure':
      return new DecryptionFailureError(init);
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new AccessDeniedError(init);
    // The caller's credentials, not its permissions: the provider chain failed, or the token
    // it gave expired or is not (yet, or any more) known to AWS.
    case 'CredentialsProviderError':
    case 'TokenProviderError':
    case 'ExpiredTokenException':
    case 'ExpiredToken':
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
    case 'InvalidSignatureException':
      return new AwsCredentialsError({ ...init, sdkErrorName: e.name });
    case 'ThrottlingException':
    case 'TooManyRequestsException':
    case 'RequestLimitExceeded':
      return new ThrottledError(init);
    case 'InternalServiceErrorException':
    case 'InternalServiceError':
    case 'ServiceUnavailableException':
      return new ServiceUnavailableError(init);
    case 'InvalidParameterException':
      return new InvalidParameterError(init);
    case 'InvalidRequestException':
      return new InvalidRequestError(init);
    case 'TimeoutError':
    case 'RequestTimeout':
    case 'RequestTimeoutException':
      // The SDK's HTTP handler renames ECONNRESET and EPIPE to TimeoutError; say what happened.
      return new ServiceUnavailableError({
        ...init,
        detail: typeof e.code === 'string' && e.code !== 'ETIMEDOUT' && NETWORK_CODES.has(e.code) ? `network error ${e.code}` : 'the request timed out',
      });
  }
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) {
    return new ServiceUnavailableError({ ...init, detail: `HTTP ${status}` });
  }
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) {
    return new ServiceUnavailableError({ ...init, detail: `network error ${e.code}` });
  }
  if (e.$fault === 'server') return new ServiceUnavailableError(init);
  const name = typeof e.name === 'string' ? e.name : 'unknown error';
  return new InvalidRequestError({ ...init, sdkErrorName: name });
}

/**
 * True for errors worth retrying: credstage errors marked retryable, and SDK or network
 * errors that map to throttling or service unavailability.
 *
 * @example
 * ```ts
 * if (isRetryableError(err)) return serveStale();
 * ```
 */
export function isRetryableError(err: unknown): boolean {
  return fromSdkError(err).retryable;
}
