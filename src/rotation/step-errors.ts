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
  const inJson = JSON.stringify(value).slice(1, -1);
  const forms = new Set([
    value,
    quotesDoubled,
    value.replaceAll('\\', '\\\\'),
    quotesDoubled.replaceAll('\\', '\\\\'),
    inJson,
    // A SecretString is JSON; an HTTP answer quoting it is JSON again.
    JSON.stringify(inJson).slice(1, -1),
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

/** How many objects of a cause are looked at before it is taken to hold a secret (unchecked is unsafe). */
const MAX_NODES = 5_000;

/**
 * Every string reachable from `root` — own properties hidden or not, symbol-keyed, at any depth,
 * Map and Set entries, byte arrays as UTF-8 — passed raw to `visit` (util.inspect would escape
 * quotes, cut long strings and stop at a depth). Getters are not called. Returns false when it
 * gave up (too many objects), or when it found an SDK `$response` of a 2xx answer: an answer the
 * SDK could not parse, whose body is the API's output (a GetSecretValue's SecretString) and may
 * hold a secret this rotation never saw.
 */
function walkStrings(root: unknown, visit: (text: string) => boolean): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (!visit(value)) return false;
      continue;
    }
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
    if (seen.size >= MAX_NODES) return false;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      if (!visit(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'))) return false;
      continue;
    }
    if (value instanceof Map) for (const [k, v] of value) stack.push(k, v);
    if (value instanceof Set) for (const v of value) stack.push(v);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined || !('value' in descriptor)) continue;
      if (key === '$response' && isSuccessAnswer(descriptor.value)) return false;
      if (typeof key === 'symbol' && key.description !== undefined) stack.push(key.description);
      stack.push(descriptor.value);
    }
  }
  return true;
}

function isSuccessAnswer(response: unknown): boolean {
  const status = (response as { statusCode?: unknown } | null | undefined)?.statusCode;
  return typeof status === 'number' && status >= 200 && status < 300;
}

/**
 * `err`, or a plain copy without the secret when anything reachable from it contains one (in
 * any quoted form, anywhere a subscriber or a logger could walk to), or could.
 */
export function sanitizeCause(err: unknown, secrets: KnownSecrets): unknown {
  let clean: boolean;
  try {
    clean = !secrets.leaksInto(describeCause(err)) && walkStrings(err, (text) => !secrets.leaksInto(text));
  } catch {
    clean = false; // a proxy or an exotic object that refuses to be looked at: keep none of it
  }
  if (clean) return err;
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
