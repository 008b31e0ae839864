/**
 * Every string reachable from a value, raw: own properties (hidden and symbol-keyed too) at any
 * depth, Map and Set entries. What a subscriber walking a message could find, without the
 * escaping, depth limit and string cut of util.inspect.
 */
export function reachableStrings(value: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      out.push(v);
      return;
    }
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Map) for (const [k, x] of v) (walk(k), walk(x));
    if (v instanceof Set) for (const x of v) walk(x);
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d !== undefined && 'value' in d) walk(d.value);
    }
  };
  walk(value);
  return out;
}
