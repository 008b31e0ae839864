import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { InvalidOptionError } from '../errors.js';
import type { DatabaseSecret } from './parse.js';

/** `true` (TLS, certificate verified), `false` (plaintext, refused when the secret says `"ssl": true`) or Node TLS options (TLS). */
export type RedshiftTlsOption = boolean | ConnectionOptions;

/**
 * libpq's `sslmode` values, and pg's own `no-verify`. What each means when the secret has no
 * `ssl` field (with `"ssl": true` or `false` in the secret, `PGSSLMODE` is not read):
 *
 * | PGSSLMODE | connection |
 * | --- | --- |
 * | unset, `verify-full`, `prefer`, `allow` | TLS, certificate chain and host name verified |
 * | `verify-ca` | TLS, chain verified, host name not checked |
 * | `require`, `no-verify` | TLS without certificate verification (chain verified if a CA is given) |
 * | `disable` | plaintext |
 *
 * `prefer` and `allow` let libpq fall back to plaintext (or start with it); credstage never falls
 * back, so they mean its default. Any other value is refused with InvalidOptionError.
 */
export const SSL_MODES = Object.freeze(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const);

/** One of {@link SSL_MODES}. */
export type SslMode = (typeof SSL_MODES)[number];

/** How the connections of one factory (or the rotation engine) choose TLS, resolved once. */
export interface TlsPolicy {
  /** The caller's choice: undefined (none), false, true, or a copy of its TLS options. */
  readonly option: boolean | ConnectionOptions | undefined;
  /** `PGSSLMODE` when set; used only for a secret without an `ssl` field. */
  readonly sslMode: SslMode | undefined;
}

/** The TLS setting of one connection and what decided it (for errors and warnings). */
export interface TlsChoice {
  /** Node TLS options for pg, or false for plaintext. */
  readonly ssl: ConnectionOptions | false;
  /** Says why, e.g. `the secret says "ssl": true`. */
  readonly decidedBy: string;
}

const VERIFIED: ConnectionOptions = Object.freeze({ rejectUnauthorized: true });
const CHAIN_ONLY: ConnectionOptions = Object.freeze({ rejectUnauthorized: true, checkServerIdentity: () => undefined });
const UNVERIFIED: ConnectionOptions = Object.freeze({ rejectUnauthorized: false });

/**
 * `PGSSLMODE` from `env`: undefined when unset or empty, InvalidOptionError naming `PGSSLMODE`
 * for a value libpq and pg do not know.
 */
export function sslModeFrom(env: NodeJS.ProcessEnv = process.env): SslMode | undefined {
  const value = env['PGSSLMODE'];
  if (value === undefined || value === '') return undefined;
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  throw new InvalidOptionError('PGSSLMODE', `must be one of ${SSL_MODES.join(', ')} (the environment variable)`);
}

/**
 * Resolves the caller's `ssl` option and `PGSSLMODE` once. Option objects are copied, with the
 * private key hidden from enumeration (pg hides it the same way, but only for options passed to
 * its constructor, and these are set later, per connection).
 */
export function prepareTls(ssl: RedshiftTlsOption | undefined, sslMode: SslMode | undefined = sslModeFrom()): TlsPolicy {
  const option = ssl === undefined || typeof ssl === 'boolean' ? ssl : Object.freeze(withKeyOf(ssl, { ...ssl }));
  return Object.freeze({ option, sslMode });
}

/**
 * The TLS setting for one connection (DESIGN.md 7.2):
 * - the secret says `"ssl": true`: TLS with full verification; nothing downgrades it — an `ssl`
 *   option of `false` or `{ rejectUnauthorized: false }` is refused, a `checkServerIdentity`
 *   option runs after Node's host name check, never instead of it, and `PGSSLMODE` is ignored;
 * - the secret says `"ssl": false`: plaintext, unless the caller's option asks for TLS;
 * - no `ssl` field: the caller's option if given (`false`: plaintext on purpose), else
 *   `PGSSLMODE` (see {@link SSL_MODES}), else TLS with full verification.
 * Given TLS options always mean TLS, their chain verified when they name a CA.
 */
export function tlsFor(secret: DatabaseSecret, policy: TlsPolicy): TlsChoice {
  const { option } = policy;
  const silent = secret.sslDefaulted === true;
  if (secret.ssl && !silent) return requiredTls(secret, option);
  if (option === false) return { ssl: false, decidedBy: silent ? 'the "ssl" option is false' : 'the secret says "ssl": false' };
  if (option === true) return { ssl: VERIFIED, decidedBy: 'the "ssl" option is true' };
  if (option !== undefined) return { ssl: withMode(option, silent ? policy.sslMode : undefined), decidedBy: 'the "ssl" option asks for TLS' };
  if (!silent) return { ssl: false, decidedBy: 'the secret says "ssl": false' };
  const mode = policy.sslMode;
  if (mode === undefined) return { ssl: VERIFIED, decidedBy: 'the secret has no "ssl" field (TLS with verification by default)' };
  const decidedBy = `the secret has no "ssl" field and PGSSLMODE is ${mode}`;
  return { ssl: mode === 'disable' ? false : withMode(undefined, mode), decidedBy };
}

function refuseDowngrade(secret: DatabaseSecret, field: string): InvalidOptionError {
  return new InvalidOptionError(field, `cannot be false: secret "${secret.secretId}" requires verified TLS (its "ssl" field is true)`);
}

function requiredTls(secret: DatabaseSecret, option: TlsPolicy['option']): TlsChoice {
  const decidedBy = 'the secret says "ssl": true';
  if (option === false) throw refuseDowngrade(secret, 'ssl');
  if (option === undefined || option === true) return { ssl: VERIFIED, decidedBy };
  if (option.rejectUnauthorized === false) throw refuseDowngrade(secret, 'ssl.rejectUnauthorized');
  const tls: ConnectionOptions = withKeyOf(option, { ...option, rejectUnauthorized: true });
  const extraCheck = option.checkServerIdentity;
  if (extraCheck !== undefined) {
    tls.checkServerIdentity = (host: string, cert: PeerCertificate) => checkServerIdentity(host, cert) ?? extraCheck(host, cert);
  }
  return { ssl: tls, decidedBy };
}

/** TLS options for a PGSSLMODE (undefined: none), with the caller's options on top. */
function withMode(option: ConnectionOptions | undefined, mode: SslMode | undefined): ConnectionOptions {
  const noVerify = mode === 'require' || mode === 'no-verify';
  // libpq's rule: a given root CA is used to verify the chain even under sslmode=require.
  const base = mode === 'verify-ca' || (noVerify && option?.ca !== undefined) ? CHAIN_ONLY : noVerify ? UNVERIFIED : VERIFIED;
  return option === undefined ? base : withKeyOf(option, { ...base, ...option });
}

function withKeyOf(source: ConnectionOptions, target: ConnectionOptions): ConnectionOptions {
  if (source.key !== undefined) {
    // pg's upgradeToSSL copies enumerable options and then `key` explicitly, so hiding it is safe.
    Object.defineProperty(target, 'key', { value: source.key, enumerable: false, writable: false, configurable: true });
  }
  return target;
}
