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
