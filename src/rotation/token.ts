import { randomUUID } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';

/** Throws InvalidOptionError unless `token` can be a ClientRequestToken (32–64 characters). */
export function checkToken(token: unknown, option: string): string {
  if (typeof token !== 'string' || token.length < 32 || token.length > 64 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new InvalidOptionError(option, 'must be 32 to 64 printable characters (a UUID, for example)');
  }
  return token;
}

/** A new random token. */
export function newToken(): string {
  return randomUUID();
}
