import { inspect } from 'node:util';
import { CredstageError, InvalidOptionError, RotationError, RotationInProgressError } from '../errors.js';
import { REDACTED } from '../internal/redact.js';
import type { RotationStepName } from './types.js';

/**
 * The forms in which a message might quote `value`: as is; as the body of a SQL literal
 * (pg's `escapeLiteral` doubles quotes and backslashes; a server may echo either doubling on its
 * own); inside a JSON string; percent-encoded in a URL. Longest first, so that redacting one form
 * never leaves part of a longer one behind.
 */
function quotedForms(value: string): string[] {
  const quotesDoubled = value.replaceAll("'", "''");
  const forms = new Set([
    value,
    quotesDoubled,
    value.replaceAll('\\', '\\\\'),
    quotesDoubled.replaceAll('\\', '\\\\'),
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
  ]);
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * The passwords a rotation has seen (current, previous, pending, master), so that anything it
 * throws can be checked for them, quoted or escaped as a database or driver message might quote
 * them. Driver errors are not expected to quote a password, but a rotation engine is the one
 * place where a slip would leak every credential at once.
 */
export class KnownSecrets {
  /** Every form of every known secret, longest first. */
  #forms: string[] = [];
  readonly #values = new Set<string>();

  add(value: string | undefined): void {
    if (!value || this.#values.has(value)) return;
    this.#values.add(value);
    this.#forms = [...new Set([...this.#forms, ...quotedForms(value)])].sort((a, b) => b.length - a.length);
  }

  /** `text` with every known secret, in any of its quoted forms, replaced by `[redacted]`. */
  redact(text: string): string {
    let out = text;
    for (const form of this.#forms) out = out.split(form).join(REDACTED);
    return out;
  }

  /** True when `text` contains a known secret, in any of its quoted forms. */
  leaksInto(text: string): boolean {
    return this.#forms.some((form) => text.includes(form));
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
