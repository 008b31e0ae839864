import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files made by {@link makeCertificates}. */
export interface TestCertificates {
  /** The CA that signed the server certificate. */
  readonly caFile: string;
  /** A CA that signed nothing: trusting it alone must fail verification. */
  readonly otherCaFile: string;
  /** Server certificate for IP 127.0.0.1 only (no other address, no DNS name). */
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated second CA, made with
 * the openssl CLI in `dir`. Valid for a day: made fresh for each test run.
 *
 * @example
 * ```ts
 * const certs = makeCertificates(mkdtempSync(join(tmpdir(), 'credstage-tls-')));
 * const pg = await startPostgres({ tls: { certFile: certs.certFile, keyFile: certs.keyFile } });
 * ```
 */
export function makeCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const name of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', `/CN=credstage test ${name}`);
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.cnf');
  return { caFile: join(dir, 'ca.pem'), otherCaFile: join(dir, 'other-ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
}
