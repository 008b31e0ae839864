import { InvalidOptionError } from '../errors.js';
import { AWSCURRENT, type VersionSelector } from '../secrets-manager/secret-version.js';

/** What the cache stores a lookup under, and what it asks Secrets Manager for. */
export interface Target {
  readonly key: string;
  readonly secretId: string;
  readonly selector: VersionSelector;
}

// Secret names and ARNs cannot contain NUL, so it separates the parts of a key unambiguously.
export const SEP = '\u0000';

/**
 * The cache key of a lookup; checks the secret id and the selector. The default stage
 * (AWSCURRENT, named or not) keys by the bare id, so the commonest lookup builds no string.
 */
export function keyOf(secretId: string, opts: VersionSelector | undefined): string {
  if (typeof secretId !== 'string' || secretId.length === 0) {
    throw new InvalidOptionError('secretId', 'must be a non-empty string');
  }
  if (opts === undefined) return secretId;
  const { versionId, versionStage } = opts;
  if (versionId !== undefined) {
    if (versionStage !== undefined) throw new InvalidOptionError('versionStage', 'cannot be combined with versionId');
    return `${secretId}${SEP}id${SEP}${versionId}`;
  }
  return versionStage === undefined || versionStage === AWSCURRENT ? secretId : `${secretId}${SEP}${versionStage}`;
}

/** The key and request of a lookup; built only when a request or an event needs it. */
export function targetOf(secretId: string, opts: VersionSelector | undefined): Target {
  const key = keyOf(secretId, opts);
  const selector = opts?.versionId !== undefined ? { versionId: opts.versionId } : { versionStage: opts?.versionStage ?? AWSCURRENT };
  return { key, secretId, selector };
}
