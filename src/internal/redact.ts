import { inspect } from 'node:util';

/**
 * Helpers that keep secret values out of `util.inspect`, `JSON.stringify`, `Object.keys`
 * and spread copies: the value lives in a non-enumerable property, and objects that carry
 * one print a summary with the value replaced by a marker.
 */

export const REDACTED = '[redacted]';

/** Defines `key` on `target` as a read-only, non-enumerable property holding `value`. */
export function defineHidden<T extends object>(target: T, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false, writable: false, configurable: false });
}

/**
 * Gives instances of `cls` an inspect and a `toJSON` that show their enumerable fields plus
 * `hiddenKeys` as `[redacted]`, so logging a credentials object tells what it is without
 * telling the password.
 */
export function redactInstances(cls: { prototype: object; name: string }, hiddenKeys: readonly string[]): void {
  const view = function (this: object): Record<string, unknown> {
    const shown: Record<string, unknown> = { ...this };
    for (const key of hiddenKeys) shown[key] = REDACTED;
    return shown;
  };
  Object.defineProperty(cls.prototype, 'toJSON', { value: view, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(cls.prototype, inspect.custom, {
    value(this: object, depth: number, options: object) {
      return `${cls.name} ${inspect(view.call(this), { ...options, depth })}`;
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
}
