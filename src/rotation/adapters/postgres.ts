import { readFileSync } from 'node:fs';
import pg from 'pg';
import { isAuthenticationError } from '../../credentials/auth-errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import type { AdapterConnectOptions, DatabaseAdapter, DatabaseSession } from './types.js';

/** duplicate_object: CREATE ROLE/USER of a name that exists. */
const DUPLICATE_OBJECT = '42710';

type Dialect = 'postgres' | 'redshift';

function connectTo(secret: DatabaseSecret, connect: AdapterConnectOptions, ca: () => string | undefined): pg.Client {
  const client = new pg.Client({
    host: secret.host,
    port: secret.port,
    user: secret.username,
    // pg keeps the password non-enumerable on the client, out of logs and stack traces.
    password: secret.password,
    database: secret.dbname,
    ssl: secret.ssl ? { rejectUnauthorized: true, ...(ca() === undefined ? {} : { ca: ca() }) } : false,
    connectionTimeoutMillis: connect.connectTimeoutMs,
    query_timeout: connect.queryTimeoutMs,
    application_name: 'credstage-rotation',
  });
  // A dropped connection surfaces as the failing query's error; unhandled, this event would crash the process.
  client.on('error', () => undefined);
  return client;
}

async function openClient(secret: DatabaseSecret, connect: AdapterConnectOptions, ca: () => string | undefined): Promise<pg.Client> {
  const client = connectTo(secret, connect, ca);
  try {
    await client.connect();
    await client.query('SELECT current_user');
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/**
 * `ALTER USER ... PASSWORD` is a utility statement: PostgreSQL cannot bind parameters in it, so
 * the password travels as a literal quoted by pg's `escapeLiteral` (doubled quotes, and an E''
 * string with doubled backslashes where there is a backslash), and the name as an identifier
 * quoted by `escapeIdentifier`. Nothing in either can end the literal or the identifier.
 */
function passwordClause(client: pg.Client, password: string): string {
  return `PASSWORD ${client.escapeLiteral(password)}`;
}

function session(client: pg.Client, dialect: Dialect): DatabaseSession {
  const id = (name: string): string => client.escapeIdentifier(name);
  let closing: Promise<void> | undefined;
  return {
    async setPassword(username, password) {
      await client.query(`ALTER USER ${id(username)} WITH ${passwordClause(client, password)}`);
    },
    async userExists(username) {
      const out = await client.query('SELECT 1 FROM pg_catalog.pg_user WHERE usename = $1', [username]);
      return (out.rowCount ?? 0) > 0;
    },
    async createUserLike(username, password, template) {
      // One transaction: a crash must not leave a user without its privileges, which a later run
      // would find, take as ready, and only re-password.
      await client.query('BEGIN');
      try {
        if (dialect === 'postgres') {
          await client.query(`CREATE ROLE ${id(username)} WITH LOGIN ${passwordClause(client, password)}`);
          await client.query(`GRANT ${id(template)} TO ${id(username)}`);
        } else {
          await client.query(`CREATE USER ${id(username)} ${passwordClause(client, password)}`);
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
 * @example
 * ```ts
 * const adapter = createPostgresAdapter('redshift', { connectTimeoutMs: 5000, queryTimeoutMs: 30000, tlsCAFile: undefined });
 * ```
 */
export function createPostgresAdapter(dialect: Dialect, connect: AdapterConnectOptions): DatabaseAdapter {
  let caText: string | undefined;
  const ca = (): string | undefined =>
    connect.tlsCAFile === undefined ? undefined : (caText ??= readFileSync(connect.tlsCAFile, 'utf8'));
  return {
    // NAMEDATALEN - 1 in PostgreSQL (longer names are silently truncated); 127 in Redshift.
    maxUsernameBytes: dialect === 'postgres' ? 63 : 127,
    async canLogIn(secret) {
      try {
        const client = await openClient(secret, connect, ca);
        await client.end().catch(() => undefined);
        return true;
      } catch (err) {
        if (isAuthenticationError(err)) return false;
        throw err;
      }
    },
    async openSession(secret) {
      return session(await openClient(secret, connect, ca), dialect);
    },
  };
}
