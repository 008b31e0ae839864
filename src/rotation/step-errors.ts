import { inspect } from 'node:util';
import { CredstageError, InvalidOptionError, RotationError, RotationInProgressError } from '../errors.js';
import { REDACTED } from '../internal/redact.js';
import type { RotationStepName } from './types.js';

/**
 * The passwords a rotation has seen (current, previous, pending, master), so that anything it
 * throws can be checked for them. Driver errors are not expected to quote a password, but a
 * rotation engine is the one place where a slip would leak every credential at once.
 */
export class KnownSecrets {
  readonly #values = new Set<string>();

  add(value: string | undefined): void {
    if (value) this.#values.add(value);
  }

  /** `text` with every known secret replaced by `[redacted]`. */
  redact(text: string): string {
    let out = text;
    for (const value of this.#values) out = out.split(value).join(REDACTED);
    return out;
  }

  /** True when `text` contains a known secret. */
  leaksInto(text: string): boolean {
    for (const value of this.#values) if (text.includes(value)) return true;
    return false;
  }
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
}

/** `Name (code): message` of an error, one line. */
export function describeCause(err: unknown): string {
  if (!(err instanceof Error) && (err === null || typeof err !== 'object')) return String(err);
  // credstage's own messages already say what and where.
  if (err instanceof CredstageError) return err.message;
  const e = err as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? ` (${e.code})` : '';
  const message = typeof e.message === 'string' && e.message ? `: ${e.message.split('\n')[0]}` : '';
  return `${name}${code}${message}`;
}

/** `err`, or a plain copy without the secret when anything reachable from it contains one. */
export function sanitizeCause(err: unknown, secrets: KnownSecrets): unknown {
  let text: string;
  try {
    text = `${inspect(err, { depth: 6, showHidden: false })}\n${describeCause(err)}`;
  } catch {
    text = describeCause(err);
  }
  if (!secrets.leaksInto(text)) return err;
  const copy = new Error(secrets.redact(describeCause(err)));
  copy.name = 'RedactedError';
  return copy;
}

/**
 * Wraps a failure of `step` in a RotationError naming the step, the secret and the token.
 * RotationInProgressError and InvalidOptionError pass through: they are not a step failing.
 */
export function toStepError(
  err: unknown,
  where: { step: RotationStepName; secretId: string; clientRequestToken: string | undefined },
  secrets: KnownSecrets,
): CredstageError {
  if (err instanceof RotationError || err instanceof RotationInProgressError || err instanceof InvalidOptionError) return err;
  const cause = sanitizeCause(err, secrets);
  const retryable = err instanceof CredstageError ? err.retryable : true;
  return new RotationError({ ...where, problem: secrets.redact(describeCause(cause)), retryable, cause });
}

/** A RotationError raised by the protocol itself (a guard, a check). */
export function stepFailure(
  where: { step: RotationStepName; secretId: string; clientRequestToken: string },
  problem: string,
  retryable: boolean,
): RotationError {
  return new RotationError({ ...where, problem, retryable });
}
