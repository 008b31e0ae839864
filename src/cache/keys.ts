import { InvalidOptionError } from '../errors.js';
import { AWSCURRENT, type VersionSelector } from './secret-version.js';

/** What the cache stores a lookup under, and what it asks Secrets Manager for. */
export interface Target {
  readonly key: string;
  readonly secretId: string;
  readonly selector: VersionSelector;
}

// Secret names and ARNs cannot contain NUL, so it separates the parts of a key unambiguously.
export const SEP = '\u0000';

/** The key and request of a lookup; checks the secret id and the selector. */
export function targetOf(secretId: string, opts: VersionSelector | undefined): Target {
  if (typeof secretId !== 'string' || secretId.length === 0) {
    throw new InvalidOptionError('secretId', 'must be a non-empty string');
  }
  const versionId = opts?.versionId;
  const versionStage = opts?.versionStage;
  if (versionId !== undefined && versionStage !== undefined) {
    throw new InvalidOptionError('versionStage', 'cannot be combined with versionId');
  }
  if (versionId !== undefined) return { key: `${secretId}${SEP}id${SEP}${versionId}`, secretId, selector: { versionId } };
  const stage = versionStage ?? AWSCURRENT;
  // The default stage keys by the bare id: the commonest lookup builds no string.
  return { key: stage === AWSCURRENT ? secretId : `${secretId}${SEP}${stage}`, secretId, selector: { versionStage: stage } };
}

/** Freezes a parsed JSON value and everything in it, so callers sharing it cannot change it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
