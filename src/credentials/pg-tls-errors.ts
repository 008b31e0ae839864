import { TlsError } from '../errors.js';
import type { TlsChoice } from './pg-tls.js';

/** OpenSSL's certificate verification failures, as Node names them in `err.code`. */
const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
]);

/** Node's host name check (`tls.checkServerIdentity`) and OpenSSL's own. */
const HOST_MISMATCH = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

/**
 * pg's error when the server answers the SSLRequest with 'N'. pg gives it no code, so this one
 * error is known by its text; a unit test pins it against the pg version in use.
 */
export const PG_TLS_REFUSED_MESSAGE = 'The server does not support SSL connections';

const RDS_HOST = /\.rds\.amazonaws\.com(\.cn)?$/i;
const REDSHIFT_HOST = /\.redshift(-serverless)?\.amazonaws\.com(\.cn)?$/i;

/** Where a failed connection was going, and how the caller passes a CA there. */
export interface TlsFailureContext {
  readonly secretId: string;
  readonly versionId?: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly choice: TlsChoice;
  /** How a CA is given where the connection was made: the factories' `ssl` option or the engine's `tlsCAFile`. */
  readonly caOption: 'ssl' | 'tlsCAFile';
}

/**
 * A TlsError for a connection that failed because TLS could not be set up as `choice` asked;
 * undefined for every other failure (and for plaintext connections). The message says what to
 * change; for an Amazon RDS host, to pass the RDS CA bundle and under which option.
 *
 * @example
 * ```ts
 * try { await client.connect(); } catch (err) { throw tlsFailure(err, where) ?? err; }
 * ```
 */
export function tlsFailure(err: unknown, at: TlsFailureContext): TlsError | undefined {
  if (at.choice.ssl === false || err === null || typeof err !== 'object') return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message.split('\n')[0] : '';
  const codeText = typeof code === 'string' ? code : undefined;
  const fail = (reason: TlsError['reason'], problem: string): TlsError =>
    new TlsError({ secretId: at.secretId, versionId: at.versionId, host: at.host, port: at.port, reason, problem, cause: err });

  if (codeText !== undefined && HOST_MISMATCH.has(codeText)) {
    return fail('host-mismatch', `the server's certificate does not name "${at.host}" (${text}): connect by a name the certificate lists`);
  }
  if (codeText !== undefined && UNTRUSTED.has(codeText)) {
    return fail('untrusted-certificate', `the server's certificate is not trusted (${codeText}: ${text}); ${caAdvice(at)}`);
  }
  if (text === PG_TLS_REFUSED_MESSAGE) {
    return fail(
      'tls-refused',
      `the server does not accept TLS, which is required because ${at.choice.decidedBy}; credstage never falls back to plaintext. ` +
        'Turn TLS on at the server, or put "ssl": false in the secret to connect in plaintext on purpose',
    );
  }
  if (codeText !== undefined && (codeText.startsWith('ERR_SSL_') || codeText.startsWith('ERR_TLS_'))) {
    return fail('handshake-failed', `the TLS handshake failed (${codeText}: ${text})`);
  }
  return undefined;
}

function caAdvice(at: TlsFailureContext): string {
  const pass = (file: string): string =>
    at.caOption === 'ssl'
      ? `the "ssl" option: ssl: { ca: readFileSync('${file}', 'utf8') }`
      : `the "tlsCAFile" option (credstage rotate --tls-ca-file ${file})`;
  if (RDS_HOST.test(at.host)) {
    return (
      'Amazon RDS certificates are signed by the RDS certificate authorities, which Node does not trust by default: ' +
      `pass the RDS CA bundle (global-bundle.pem, from https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) as ${pass('global-bundle.pem')}`
    );
  }
  if (REDSHIFT_HOST.test(at.host)) {
    return (
      "Redshift's certificates chain to public roots that Node trusts by default: check that a given \"ca\" did not replace " +
      'them (Node then trusts only that CA) and that nothing between you and the cluster presents another certificate'
    );
  }
  return `pass the CA that signed it as ${pass('ca.pem')}`;
}
