import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default `scram_iterations`, the count its own verifiers use. */
const ITERATIONS = 4096;
const SALT_BYTES = 16;

/**
 * Passwords whose SASLprep (RFC 4013) is the password itself, so that every client's SCRAM
 * proof matches a verifier hashed from the raw bytes. Generated passwords are printable ASCII.
 */
const SASLPREP_IDENTITY = /^[\x20-\x7e]+$/;

/**
 * The SCRAM-SHA-256 verifier of `password` in the form PostgreSQL stores in
 * `pg_authid.rolpassword` (RFC 5802 / RFC 7677):
 * `SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>`, each part base64. Given to
 * `ALTER ROLE ... PASSWORD`, PostgreSQL (10 and later) stores it as is, so the password itself
 * never travels to the server or reaches its statement log.
 *
 * Undefined for a password outside printable ASCII: its SASLprep form may differ from its bytes,
 * and a verifier of the wrong form would lock the user out.
 *
 * @example
 * ```ts
 * const verifier = scramSha256Verifier('new-password'); // 'SCRAM-SHA-256$4096:...$...:...'
 * await client.query(`ALTER ROLE app PASSWORD ${client.escapeLiteral(verifier!)}`);
 * ```
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(SALT_BYTES)): string | undefined {
  if (!SASLPREP_IDENTITY.test(password)) return undefined;
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  const b64 = (bytes: Buffer): string => bytes.toString('base64');
  return `SCRAM-SHA-256$${ITERATIONS}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
