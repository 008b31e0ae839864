/**
 * The "fix" lines of `credstage doctor`: what to change for each kind of failure. Kept apart from
 * the checks so the wording is in one place. Never given a secret value.
 */
import {
  AccessDeniedError,
  AwsCredentialsError,
  DecryptionFailureError,
  SecretNotFoundError,
  ServiceUnavailableError,
  ThrottledError,
} from '../errors.js';
import type { DatabaseEngine } from '../credentials/parse.js';

const RDS_BUNDLE = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';
const RDS_HOST = /\.rds\.amazonaws\.com(\.cn)?$/i;
const DOCDB_HOST = /\.docdb(-elastic)?\.amazonaws\.com(\.cn)?$/i;
const REDSHIFT_HOST = /\.redshift(-serverless)?\.amazonaws\.com(\.cn)?$/i;

/** The first line of an error's message, or of its cause's (AWS explains an AccessDenied there). */
export function firstLine(err: unknown): string {
  const message = (err as { message?: unknown })?.message;
  return typeof message === 'string' ? (message.split('\n')[0] ?? '') : String(err);
}

/** The error's own code, or its cause's: ECONNREFUSED, 28P01, ERR_TLS... */
export function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth += 1) {
    if (typeof e.code === 'string' || typeof e.code === 'number') return String(e.code);
  }
  return undefined;
}

/** What to change when GetSecretValue of `secretId` failed (the app's read). */
export function readAdvice(err: unknown, secretId: string, what = 'GetSecretValue'): string {
  const awsText = firstLine((err as { cause?: unknown })?.cause);
  if (err instanceof DecryptionFailureError || (err instanceof AccessDeniedError && /\bkms\b/i.test(awsText))) {
    return (
      `allow kms:Decrypt on the secret's KMS key to the identity this host runs as: in its IAM policy and in the key policy ` +
      `(with the condition kms:ViaService = secretsmanager.<region>.amazonaws.com if you like); the key is the secret's KmsKeyId (aws secretsmanager describe-secret --secret-id ${secretId})`
    );
  }
  if (err instanceof AccessDeniedError) {
    return (
      `allow secretsmanager:${what} on this secret to the identity this host runs as (instance profile, task role, AWS_PROFILE or --profile): ` +
      `"Action": "secretsmanager:${what}", "Resource": "arn:aws:secretsmanager:<region>:<account>:secret:<name>-??????"; ` +
      'check also the secret\'s resource policy and any SCP or permissions boundary that denies it'
    );
  }
  if (err instanceof SecretNotFoundError) return 'check the secret name or ARN and the region (--region, AWS_REGION): a secret lives in one region';
  if (err instanceof AwsCredentialsError) {
    return 'the AWS SDK found no usable credentials on this host: attach an instance profile or task role, or set AWS_PROFILE (or --profile); check the clock if tokens are rejected';
  }
  if (err instanceof ServiceUnavailableError || err instanceof ThrottledError) {
    return 'Secrets Manager could not be reached or did not answer: check this host\'s route to it (a NAT gateway or a secretsmanager VPC endpoint with private DNS) or --endpoint';
  }
  return `see the error above; ${what} of "${secretId}" must work from this host`;
}

/** What to change when the TCP connection failed. */
export function tcpAdvice(err: unknown, host: string, port: number): string {
  const code = codeOf(err);
  if (code === 'ECONNREFUSED') {
    return `nothing accepts connections on ${host}:${port}: check the "port" field of the secret and that the cluster is available (not stopped or paused)`;
  }
  return (
    `no answer from ${host}:${port}: allow inbound TCP ${port} from this host in the database's security group ` +
    '(and the network ACLs), and check that this host\'s subnet routes to the database\'s VPC'
  );
}

/** What to pass when the server's certificate chain does not verify. */
export function caAdvice(engine: DatabaseEngine, host: string): string {
  if (engine !== 'mongo' && REDSHIFT_HOST.test(host)) {
    return (
      "Redshift's certificates chain to public roots Node trusts: check that a given CA did not replace them (a given ca makes Node trust only it) " +
      'and that nothing between this host and the cluster presents another certificate'
    );
  }
  const amazon = engine === 'mongo' ? DOCDB_HOST.test(host) : RDS_HOST.test(host);
  const file = amazon ? 'global-bundle.pem' : 'ca.pem';
  const why = amazon
    ? `Amazon ${engine === 'mongo' ? 'DocumentDB' : 'RDS and Aurora'} certificates are signed by the RDS CAs, which Node does not trust: download ${file} (${RDS_BUNDLE}) and give it to the app`
    : "Node does not trust the CA that signed the server's certificate: give that CA's PEM to the app";
  const pass =
    engine === 'mongo'
      ? `as tlsCAFile, getDocumentDbClient({ secretId, tlsCAFile: '/path/${file}' })`
      : `as getRedshiftPool({ secretId, ssl: { ca: readFileSync('/path/${file}', 'utf8') } }), or add it to Node's roots for the whole process with NODE_EXTRA_CA_CERTS=/path/${file} (node-postgres does not read PGSSLROOTCERT)`;
  return `${why} ${pass}; check it here with --tls-ca-file /path/${file}`;
}

/** What to change when the database rejected AWSCURRENT's password. */
export function loginRejectedAdvice(secretId: string): string {
  return (
    'the database does not accept the password Secrets Manager holds. If a rotation is under way or stuck, see "pending" below; ' +
    'if the password was changed outside Secrets Manager, put the database\'s password in the secret ' +
    `(aws secretsmanager put-secret-value --secret-id ${secretId} ...) or set the database's to the secret's (credstage get ${secretId} --show-value shows it)`
  );
}
