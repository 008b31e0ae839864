import { InvalidOptionError } from '../errors.js';

/** Throws InvalidOptionError naming `name` unless `value` is a finite number within [min, max]. */
export function checkNumber(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `must be a number from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

/** Throws InvalidOptionError naming `name` unless `value` is undefined or a function. */
export function checkFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(name, 'must be a function');
  return value;
}

/** True for `{...}`: not null, not an array, not a function. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Option names of credstage 0.1 and what they are called now. An old name is refused with the
 * new one in the message, so an upgrade fails loudly instead of silently ignoring the option.
 */
export const RENAMED_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  client: 'secretsManager',
  clientConfig: 'secretsManagerConfig',
  retry: 'backoff',
});

/** The known keys of an options type; a `Record` so the compiler insists the list is complete. */
export type KnownKeys<T> = Readonly<Record<keyof T, true>>;

/**
 * Throws InvalidOptionError naming `path.key` for the first own key of `value` that is not in
 * `known`: a misspelt option (`recoverBudgetMs`, `shedule`) would otherwise be ignored in
 * silence. A key renamed since 0.1 (`client`) names its new spelling. `hint` ends the message
 * (e.g. where pg settings go).
 *
 * @example
 * ```ts
 * refuseUnknownKeys('', options, CACHE_KEYS, 'SecretCache');
 * ```
 */
export function refuseUnknownKeys(path: string, value: object, known: object, what: string, hint = ''): void {
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(known, key)) continue;
    const name = path === '' ? key : `${path}.${key}`;
    const renamed = RENAMED_OPTIONS[key];
    if (renamed !== undefined && Object.hasOwn(known, renamed)) throw new InvalidOptionError(name, `was renamed to "${renamed}"`);
    throw new InvalidOptionError(name, `is not an option of ${what}${hint}`);
  }
}

/** How long a connection or operation looks for working credentials after a rejected login, by default. */
export const DEFAULT_RECOVERY_BUDGET_MS = 30_000;
