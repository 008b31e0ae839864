import { readFileSync } from 'node:fs';
import pg from 'pg';
import { isAuthenticationError } from '../../credentials/auth-errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import { prepareTls, sslModeFrom, tlsFor, type TlsChoice, type TlsPolicy } from '../../credentials/pg-tls.js';
import { tlsFailure } from '../../credentials/pg-tls-errors.js';
import { scramSha256Verifier } from './scram.js';
import { warnOnPlaintext } from './plaintext-warning.js';
import type { AdapterConnectOptions, DatabaseAdapter, DatabaseSession, UserPrivileges } from './types.js';

/** duplicate_object: CREATE ROLE/USER of a name that exists. */
const DUPLICATE_OBJECT = '42710';

type Dialect = 'postgres' | 'redshift';

function connectTo(secret: DatabaseSecret, connect: AdapterConnectOptions, tls: TlsChoice): pg.Client {
  const client = new pg.Client({
    host: secret.host,
    port: secret.port,
    user: secret.username,
    // pg keeps the password non-enumerable on the client, out of logs and stack traces.
    password: secret.password,
    database: secret.dbname,
    // Always set, so pg never reads PGSSLMODE itself: tlsFor already did, by credstage's rules.
    ssl: tls.ssl,
    connectionTimeoutMillis: connect.connectTimeoutMs,
    query_timeout: connect.queryTimeoutMs,
    application_name: 'credstage-rotation',
  });
  // A dropped connection surfaces as the failing query's error; unhandled, this event would crash the process.
  client.on('error', () => undefined);
  return client;
}

/**
 * A logged-in client as `secret`'s user, with TLS as the factories choose it (DESIGN.md 7.2:
 * `tlsCAFile` plays the factories' `ssl: { ca }`). A TLS failure becomes a TlsError.
 */
async function openClient(secret: DatabaseSecret, connect: AdapterConnectOptions, policy: () => TlsPolicy): Promise<{ client: pg.Client; tls: TlsChoice }> {
  const tls = tlsFor(secret, policy());
  const client = connectTo(secret, connect, tls);
  try {
    await client.connect();
    await client.query('SELECT current_user');
    return { client, tls };
  } catch (err) {
    await client.end().catch(() => undefined);
    const where = { secretId: secret.secretId, versionId: secret.versionId, host: secret.host, port: secret.port };
    throw tlsFailure(err, { ...where, choice: tls, caOption: 'tlsCAFile' }) ?? err;
  }
}

/** `session`, warning before each password statement when the connection has no TLS (see `warnOnPlaintext`). */
function warnOnPlaintextPasswords(
  session: DatabaseSession,
  secret: DatabaseSecret,
  tls: TlsChoice,
  onWarning: AdapterConnectOptions['onWarning'],
): DatabaseSession {
  if (tls.ssl !== false) return session;
  return warnOnPlaintext(session, `the statement setting the new password goes to ${secret.host}:${secret.port} without TLS because ${tls.decidedBy} (secret "${secret.secretId}")`, onWarning);
}

/** PostgreSQL 10: the first to store a SCRAM verifier given as the password as is (9.6 would take it for the password). */
const FIRST_SCRAM_VERSION_NUM = 100_000;

/**
 * The `PASSWORD '...'` clause of `ALTER USER` / `CREATE ROLE`. These are utility statements:
 * PostgreSQL cannot bind parameters in them, so whatever follows PASSWORD is statement text,
 * quoted by pg's `escapeLiteral` (doubled quotes, and an E'' string with doubled backslashes
 * where there is a backslash). Nothing in it can end the literal.
 *
 * - PostgreSQL (RDS, Aurora): the text is the SCRAM-SHA-256 verifier of the password, computed
 *   here, never the password. Statement text reaches the wire in the clear without TLS, and the
 *   server log with the statement of a failed ALTER (`log_min_error_statement` is `error` by
 *   default, and a concurrent change of one role fails with "tuple concurrently updated").
 *   PostgreSQL stores the verifier as is whatever `password_encryption` says, so clients of the
 *   user must speak SCRAM-SHA-256 (libpq and JDBC since PostgreSQL 10, node-postgres since 7).
 *   A password outside printable ASCII, or a server older than 10, gets the literal.
 * - Redshift: it stores no SCRAM verifiers, so the literal password goes (Redshift also takes
 *   an `md5`/`sha256` hash there; not used, as it cannot be tested without Redshift). Keep `ssl`
 *   on for Redshift secrets so the statement travels encrypted.
 */
async function passwordClause(client: pg.Client, dialect: Dialect, password: string, verifiersStored: () => Promise<boolean>): Promise<string> {
  const verifier = dialect === 'postgres' ? scramSha256Verifier(password) : undefined;
  if (verifier !== undefined && (await verifiersStored())) return `PASSWORD ${client.escapeLiteral(verifier)}`;
  return `PASSWORD ${client.escapeLiteral(password)}`;
}

/**
 * PostgreSQL: SUPERUSER, CREATEROLE (it may re-password any non-superuser), RDS's rds_superuser,
 * and membership in any role that has one of those (a member can SET ROLE to it).
 */
async function postgresPowers(client: pg.Client, username: string): Promise<UserPrivileges | undefined> {
  const out = await client.query<{ rolsuper: boolean; rolcreaterole: boolean; admins: string[] }>(
    `SELECT r.rolsuper, r.rolcreaterole,
            -- a superuser counts as a member of every role: its own SUPERUSER says it all
            CASE WHEN r.rolsuper THEN ARRAY[]::text[] ELSE ARRAY(SELECT a.rolname::text FROM pg_catalog.pg_roles a
                   WHERE a.oid <> r.oid AND (a.rolsuper OR a.rolcreaterole OR a.rolname = 'rds_superuser')
                     AND pg_catalog.pg_has_role(r.oid, a.oid, 'MEMBER') ORDER BY a.rolname) END AS admins
       FROM pg_catalog.pg_roles r WHERE r.rolname = $1`,
    [username],
  );
  const row = out.rows[0];
  if (row === undefined) return undefined;
  const superuser = [row.rolsuper ? 'SUPERUSER' : undefined, row.rolcreaterole ? 'CREATEROLE' : undefined, ...row.admins.map((a) => `member of ${a}`)];
  return { superuser: superuser.filter((p): p is string => p !== undefined), adminRoles: [] };
}

/** undefined_table: a catalog view this server does not have (Redshift's RBAC views on PostgreSQL). */
const UNDEFINED_TABLE = '42P01';

/** Redshift: a superuser (CREATEUSER), and the RBAC system roles that administer users. */
async function redshiftPowers(client: pg.Client, username: string): Promise<UserPrivileges | undefined> {
  const out = await client.query<{ usesuper: boolean }>('SELECT usesuper FROM pg_catalog.pg_user WHERE usename = $1', [username]);
  const row = out.rows[0];
  if (row === undefined) return undefined;
  const superuser = row.usesuper ? ['superuser (CREATEUSER)'] : [];
  try {
    const roles = await client.query<{ role_name: string }>(
      "SELECT role_name FROM svv_user_grants WHERE user_name = $1 AND role_name IN ('sys:superuser', 'sys:secadmin', 'sys:dba')",
      [username],
    );
    superuser.push(...roles.rows.map((r) => `role ${r.role_name}`));
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNDEFINED_TABLE) throw err;
  }
  return { superuser, adminRoles: [] };
}

/**
 * Whether `clone` is the clone `createUserLike` made of `base`: PostgreSQL, a member of `base`;
 * Redshift, in every group `base` is in.
 */
async function isCloneOf(client: pg.Client, dialect: Dialect, clone: string, base: string): Promise<boolean> {
  if (dialect === 'postgres') {
    const out = await client.query<{ member: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                        JOIN pg_catalog.pg_roles c ON c.oid = m.member JOIN pg_catalog.pg_roles b ON b.oid = m.roleid
                       WHERE c.rolname = $1 AND b.rolname = $2) AS member`,
      [clone, base],
    );
    return out.rows[0]?.member === true;
  }
  const out = await client.query<{ missing: string }>(
    `SELECT g.groname AS missing FROM pg_catalog.pg_group g
      WHERE (SELECT usesysid FROM pg_catalog.pg_user WHERE usename = $2) = ANY(g.grolist)
        AND NOT (SELECT usesysid FROM pg_catalog.pg_user WHERE usename = $1) = ANY(g.grolist)`,
    [clone, base],
  );
  return (out.rowCount ?? 0) === 0;
}

function session(client: pg.Client, dialect: Dialect): DatabaseSession {
  const id = (name: string): string => client.escapeIdentifier(name);
  let closing: Promise<void> | undefined;
  let scram: Promise<boolean> | undefined;
  const verifiersStored = (): Promise<boolean> =>
    (scram ??= client
      .query<{ server_version_num: string }>('SHOW server_version_num')
      .then((out) => Number(out.rows[0]?.server_version_num) >= FIRST_SCRAM_VERSION_NUM));
  const password = (value: string): Promise<string> => passwordClause(client, dialect, value, verifiersStored);
  return {
    async setPassword(username, value) {
      await client.query(`ALTER USER ${id(username)} WITH ${await password(value)}`);
    },
    async setPasswordIf(username, value, confirm) {
      // ALTER USER is transactional: until COMMIT, logins see the old password and the user's
      // catalog row stays locked, so a racing change of the same user waits for this one.
      const statement = `ALTER USER ${id(username)} WITH ${await password(value)}`;
      await client.query('BEGIN');
      try {
        await client.query(statement);
        const keep = await confirm();
        await client.query(keep ? 'COMMIT' : 'ROLLBACK');
        return keep;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    async describeUser(username) {
      return dialect === 'postgres' ? postgresPowers(client, username) : redshiftPowers(client, username);
    },
    isCloneOf(clone, base) {
      return isCloneOf(client, dialect, clone, base);
    },
    async userExists(username) {
      const out = await client.query('SELECT 1 FROM pg_catalog.pg_user WHERE usename = $1', [username]);
      return (out.rowCount ?? 0) > 0;
    },
    async createUserLike(username, value, template) {
      // One transaction: a crash must not leave a user without its privileges, which a later run
      // would find, take as ready, and only re-password.
      await client.query('BEGIN');
      try {
        if (dialect === 'postgres') {
          await client.query(`CREATE ROLE ${id(username)} WITH LOGIN ${await password(value)}`);
          await client.query(`GRANT ${id(template)} TO ${id(username)}`);
        } else {
          await client.query(`CREATE USER ${id(username)} ${await password(value)}`);
          const groups = await client.query<{ groname: string }>(
            'SELECT groname FROM pg_catalog.pg_group WHERE (SELECT usesysid FROM pg_catalog.pg_user WHERE usename = $1) = ANY(grolist)',
            [template],
          );
          for (const { groname } of groups.rows) await client.query(`ALTER GROUP ${id(groname)} ADD USER ${id(username)}`);
        }
        await client.query('COMMIT');
        return 'created';
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        if ((err as { code?: unknown }).code === DUPLICATE_OBJECT) return 'exists';
        throw err;
      }
    },
    close() {
      return (closing ??= client.end().catch(() => undefined));
    },
  };
}

/**
 * The Redshift / PostgreSQL adapter, over `pg`.
 *
 * A new `_clone` user gets the privileges of the user it is modelled on this way:
 * - PostgreSQL: membership in that user's role (`GRANT app TO app_clone`). Everything granted to
 *   `app`, now or later, and the rights of an owner over `app`'s objects, reach `app_clone`
 *   through inheritance — no catalog walk that would copy a snapshot and then drift.
 * - Redshift: users are not roles there and cannot be granted to each other, so the clone joins
 *   every group the user is in (`ALTER GROUP g ADD USER app_clone`). Privileges granted to the
 *   user directly are not copied: grant them to a group.
 *
 * New passwords reach PostgreSQL as SCRAM-SHA-256 verifiers computed here, never as text the
 * server could log; Redshift has no such form and gets the password itself in the statement.
 * Connections use TLS by the factories' rules (`tlsFor`): verified unless the secret says
 * `"ssl": false` or, for a secret without the field, `PGSSLMODE` says otherwise; a given
 * `tlsCAFile` means TLS. A password sent without TLS is reported through `onWarning`.
 *
 * @example
 * ```ts
 * const adapter = createPostgresAdapter('redshift', { connectTimeoutMs: 5000, queryTimeoutMs: 30000, tlsCAFile: undefined });
 * ```
 */
export function createPostgresAdapter(dialect: Dialect, connect: AdapterConnectOptions): DatabaseAdapter {
  const sslMode = sslModeFrom();
  let tlsPolicy: TlsPolicy | undefined;
  // The CA file is read at the first connection, not when the adapter is made.
  const policy = (): TlsPolicy =>
    (tlsPolicy ??= prepareTls(connect.tlsCAFile === undefined ? undefined : { ca: readFileSync(connect.tlsCAFile, 'utf8') }, sslMode));
  return {
    // NAMEDATALEN - 1 in PostgreSQL (longer names are silently truncated); 127 in Redshift.
    maxUsernameBytes: dialect === 'postgres' ? 63 : 127,
    async canLogIn(secret) {
      try {
        const { client } = await openClient(secret, connect, policy);
        await client.end().catch(() => undefined);
        return true;
      } catch (err) {
        if (isAuthenticationError(err)) return false;
        throw err;
      }
    },
    async openSession(secret) {
      const { client, tls } = await openClient(secret, connect, policy);
      return warnOnPlaintextPasswords(session(client, dialect), secret, tls, connect.onWarning);
    },
  };
}
