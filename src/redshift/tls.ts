import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionError } from '../errors.js';
import type { RedshiftSecret } from '../credentials/parse.js';

/** `true` (TLS, certificate verified), `false` (plaintext, refused when the secret requires TLS) or Node TLS options. */
export type RedshiftTlsOption = boolean | ConnectionOptions;

/**
 * The caller's TLS options resolved once: a copy with `rejectUnauthorized: true` unless the
 * caller set it, and the private key hidden from enumeration (pg hides it the same way, but only
 * for options passed to its constructor, and these are set later, per connection).
 */
export function prepareTls(ssl: RedshiftTlsOption | undefined): ConnectionOptions | false | undefined {
  if (ssl === undefined || ssl === false) return ssl;
  if (ssl === true) return Object.freeze({ rejectUnauthorized: true });
  const tls: ConnectionOptions = { rejectUnauthorized: true, ...ssl };
  if (ssl.key !== undefined) {
    // pg's upgradeToSSL copies enumerable options and then `key` explicitly, so hiding it is safe.
    Object.defineProperty(tls, 'key', { value: ssl.key, enumerable: false, writable: false, configurable: true });
  }
  return tls;
}

/**
 * The TLS setting for one connection. `ssl: true` in the secret means TLS is required: the
 * connection uses TLS with certificate verification unless the caller's options say otherwise,
 * and an explicit `ssl: false` from the caller is refused rather than silently downgraded.
 */
export function tlsFor(secret: RedshiftSecret, prepared: ConnectionOptions | false | undefined): ConnectionOptions | false {
  if (prepared === false) {
    if (secret.ssl) {
      throw new InvalidOptionError('ssl', `cannot be false: secret "${secret.secretId}" requires TLS (its "ssl" field is true)`);
    }
    return false;
  }
  if (prepared === undefined) return secret.ssl ? REQUIRED_TLS : false;
  return prepared;
}

const REQUIRED_TLS: ConnectionOptions = Object.freeze({ rejectUnauthorized: true });
