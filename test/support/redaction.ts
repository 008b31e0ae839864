import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'vitest';

/** A password with nothing util.inspect or JSON.stringify would escape: a plain substring search finds it in their output. */
export function plainPassword(): string {
  return `Pw${randomUUID().replaceAll('-', '')}`;
}

/** JSON.stringify that survives the driver's and mongoose's cycles (each object once) and bigints. */
export function json(value: unknown): string {
  const seen = new WeakSet<object>();
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[seen]';
        seen.add(v);
      }
      return v;
    }) ?? ''
  );
}

/**
 * Expects `secret` in neither `util.inspect` (depth Infinity, with `showHidden` unless told not
 * to) nor `json()` of any of the named objects; a failure names the object.
 */
export function expectSecretNotShown(objects: Record<string, unknown>, secret: string, { showHidden = true } = {}): void {
  for (const [name, value] of Object.entries(objects)) {
    expect(inspect(value, { depth: Infinity, showHidden }), `util.inspect(${name})`).not.toContain(secret);
    expect(json(value), `JSON.stringify(${name})`).not.toContain(secret);
  }
}
