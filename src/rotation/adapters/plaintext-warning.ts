import type { AdapterConnectOptions, DatabaseSession } from './types.js';

/** Session methods that send a new password (`setPasswordIf` too, where a session has it). */
const SENDS_A_PASSWORD = new Set(['setPassword', 'setPasswordIf', 'createUserLike']);

/**
 * `session`, telling `onWarning` before each call that carries a new password over a connection
 * without TLS (the engine reports the first one of a rotation). `message` names no secret value.
 */
export function warnOnPlaintext(session: DatabaseSession, message: string, onWarning: AdapterConnectOptions['onWarning']): DatabaseSession {
  if (onWarning === undefined) return session;
  const wrapped: Record<string, unknown> = { ...session };
  for (const [name, method] of Object.entries(session)) {
    if (!SENDS_A_PASSWORD.has(name) || typeof method !== 'function') continue;
    wrapped[name] = (...args: unknown[]): unknown => {
      onWarning(message);
      return (method as (...a: unknown[]) => unknown).apply(session, args);
    };
  }
  return wrapped as unknown as DatabaseSession;
}
