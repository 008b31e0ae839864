import { defineHidden, redactInstances } from '../internal/redact.js';

/**
 * The stage of the version in use. The default of every read.
 *
 * @example
 * ```ts
 * await cache.getSecretVersion(id, { versionStage: AWSCURRENT });
 * ```
 */
export const AWSCURRENT = 'AWSCURRENT';
/**
 * The stage of the version a rotation is installing (between createSecret and finishSecret).
 *
 * @example
 * ```ts
 * await cache.getSecretVersion(id, { versionStage: AWSPENDING });
 * ```
 */
export const AWSPENDING = 'AWSPENDING';
/**
 * The stage of the version AWSCURRENT held before the last rotation; it moves with AWSCURRENT.
 *
 * @example
 * ```ts
 * await cache.getSecretVersion(id, { versionStage: AWSPREVIOUS });
 * ```
 */
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** Which version of a secret to read: a stage label (default AWSCURRENT) or a version id. */
export interface VersionSelector {
  versionStage?: string | undefined;
  versionId?: string | undefined;
}

/** Fields of a {@link SecretVersion} other than its value. */
export interface SecretVersionMetadata {
  arn: string | undefined;
  name: string;
  versionId: string;
  versionStages: readonly string[];
  createdDate: Date | undefined;
}

/**
 * One version of a secret as GetSecretValue returned it. The value (`secretString` or
 * `secretBinary`) is readable but hidden from enumeration, `util.inspect` and
 * `JSON.stringify`, so logging a SecretVersion never logs the secret. Each read of
 * `secretBinary` returns a new copy of the bytes, which the caller may overwrite.
 *
 * @example
 * ```ts
 * const v = await cache.getSecretVersion('Applications/MyApp/Documentdb-instance');
 * console.log(v); // SecretVersion { name: ..., versionId: ..., secretString: '[redacted]' }
 * useIt(v.secretString);
 * ```
 */
export class SecretVersion implements SecretVersionMetadata {
  readonly arn: string | undefined;
  readonly name: string;
  readonly versionId: string;
  readonly versionStages: readonly string[];
  readonly createdDate: Date | undefined;
  declare readonly secretString: string | undefined;
  declare readonly secretBinary: Uint8Array | undefined;

  constructor(meta: SecretVersionMetadata, value: { secretString?: string | undefined; secretBinary?: Uint8Array | undefined }) {
    this.arn = meta.arn;
    this.name = meta.name;
    this.versionId = meta.versionId;
    this.versionStages = Object.freeze([...meta.versionStages]);
    this.createdDate = meta.createdDate;
    defineHidden(this, 'secretString', value.secretString);
    // A version is shared by every caller of the cache: bytes are kept in a copy of their own (the
    // SDK's or a fake's buffer may be shared too) and each read gets a fresh copy, so a caller
    // that zeroes its bytes after use cannot corrupt anyone else's.
    const bytes = value.secretBinary === undefined ? undefined : new Uint8Array(value.secretBinary);
    Object.defineProperty(this, 'secretBinary', {
      get: () => (bytes === undefined ? undefined : new Uint8Array(bytes)),
      enumerable: false,
      configurable: false,
    });
    Object.freeze(this);
  }
}
redactInstances(SecretVersion, ['secretString', 'secretBinary']);
