/** Calls `listener` and swallows what it throws: a broken listener must not break the caller. */
export function emitSafely<E>(listener: ((event: E) => void) | undefined, event: E): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // A listener's failure is its own; the caller keeps going.
  }
}
