import { MongoClient, type Document, type MongoClientOptions } from 'mongodb';
import { isAuthenticationError } from '../../credentials/auth-errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import { mongoUrl } from '../../internal/mongo-url.js';
import { warnOnPlaintext } from './plaintext-warning.js';
import type { AdapterConnectOptions, DatabaseAdapter, DatabaseSession } from './types.js';

/** MongoDB's Unauthorized: the server knows who you are and refuses the action. */
const UNAUTHORIZED = 13;
/** MongoDB's (and DocumentDB's) "User already exists". */
const USER_EXISTS = 51003;
const PROBE_COLLECTION = 'credstage_rotation_probe';
/** Roles that can grant themselves anything (MongoDB's built-ins; DocumentDB has the same names). */
const SUPERUSER_ROLES = new Set(['root', '__system', 'userAdminAnyDatabase', 'restore']);
/** Roles that administer users or a whole database: a user holding one the template lacks is not re-passworded. */
const ADMIN_DB_ROOT_ROLES = new Set(['userAdmin', 'dbOwner']);
const ADMIN_ROLES = new Set(['userAdmin', 'dbOwner', 'dbAdmin', 'dbAdminAnyDatabase', 'clusterAdmin', 'clusterManager', 'hostManager', 'backup']);

/**
 * The URI and options the adapter connects with. The URI holds only the checked host and port
 * (a host from the secret cannot add URI options); credentials go in the options, never in the
 * URL, so no error or log shows them.
 */
export function adapterMongoSettings(secret: DatabaseSecret, connect: AdapterConnectOptions): { url: string; options: MongoClientOptions } {
  const url = mongoUrl(secret.host, secret.port, secret);
  const options: MongoClientOptions = {
    auth: { username: secret.username, password: secret.password },
    authSource: 'admin',
    // The cluster endpoint points at the primary, where user management must run.
    directConnection: true,
    // A CA file implies TLS: a secret saying `ssl: false` does not silently drop the CA.
    tls: secret.ssl || connect.tlsCAFile !== undefined,
    ...(connect.tlsCAFile === undefined ? {} : { tlsCAFile: connect.tlsCAFile }),
    serverSelectionTimeoutMS: connect.connectTimeoutMs,
    connectTimeoutMS: connect.connectTimeoutMs,
    socketTimeoutMS: connect.queryTimeoutMs,
    // DocumentDB has no retryable writes.
    retryWrites: false,
    maxPoolSize: 1,
    appName: 'credstage-rotation',
  };
  return { url, options };
}

function connectTo(secret: DatabaseSecret, connect: AdapterConnectOptions): MongoClient {
  const { url, options } = adapterMongoSettings(secret, connect);
  return new MongoClient(url, options);
}

/**
 * Proves a login with a find: MongoDB-compatible servers (FerretDB, for one) answer `ping`
 * without authenticating. Unauthorized (13) also proves it: the server authenticated the user
 * before it refused the read, and the password is what rotation is about.
 */
async function probe(client: MongoClient, secret: DatabaseSecret): Promise<void> {
  try {
    await client.db(secret.dbname ?? 'admin').collection(PROBE_COLLECTION).findOne({}, { projection: { _id: 1 } });
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNAUTHORIZED) throw err;
  }
}

async function usersInfo(client: MongoClient, username: string): Promise<Document | undefined> {
  const out = await client.db('admin').command({ usersInfo: { user: username, db: 'admin' } });
  return (out.users as Document[] | undefined)?.[0];
}

function session(client: MongoClient): DatabaseSession {
  const admin = client.db('admin');
  let closing: Promise<void> | undefined;
  return {
    async setPassword(username, password) {
      // The driver keeps updateUser/createUser out of command monitoring: the pwd is never logged.
      await admin.command({ updateUser: username, pwd: password });
    },
    async userExists(username) {
      return (await usersInfo(client, username)) !== undefined;
    },
    async describeUser(username) {
      const user = await usersInfo(client, username);
      if (user === undefined) return undefined;
      const roles = ((user.roles as Document[] | undefined) ?? []).map((r) => ({ role: String(r.role), db: String(r.db) }));
      // userAdmin or dbOwner of admin can grant itself any role: root in all but name.
      const rootLike = (r: { role: string; db: string }): boolean => SUPERUSER_ROLES.has(r.role) || (r.db === 'admin' && ADMIN_DB_ROOT_ROLES.has(r.role));
      return {
        superuser: roles.filter(rootLike).map((r) => `${r.role}@${r.db}`),
        adminRoles: roles.filter((r) => !rootLike(r) && ADMIN_ROLES.has(r.role)).map((r) => `${r.role}@${r.db}`),
      };
    },
    async isCloneOf(clone, base) {
      // createUserLike gives the clone every role of the user it is modelled on.
      const [cloneUser, baseUser] = [await usersInfo(client, clone), await usersInfo(client, base)];
      if (cloneUser === undefined || baseUser === undefined) return false;
      const key = (r: Document): string => `${String(r.role)}@${String(r.db)}`;
      const cloneRoles = new Set(((cloneUser.roles as Document[] | undefined) ?? []).map(key));
      return ((baseUser.roles as Document[] | undefined) ?? []).every((r) => cloneRoles.has(key(r)));
    },
    async createUserLike(username, password, template) {
      const model = await usersInfo(client, template);
      if (model === undefined) throw new Error(`user "${template}" does not exist, so its roles cannot be copied`);
      const roles = ((model.roles as Document[] | undefined) ?? []).map((r) => ({ role: r.role as string, db: r.db as string }));
      try {
        await admin.command({ createUser: username, pwd: password, roles });
        return 'created';
      } catch (err) {
        if ((err as { code?: unknown }).code === USER_EXISTS) return 'exists';
        throw err;
      }
    },
    close() {
      return (closing ??= client.close().catch(() => undefined));
    },
  };
}

/**
 * The DocumentDB adapter, over the `mongodb` driver: users live in `admin`; a new user gets the
 * roles that `usersInfo` lists for the user it is modelled on.
 *
 * @example
 * ```ts
 * const adapter = createDocumentDbAdapter({ connectTimeoutMs: 5000, queryTimeoutMs: 30000, tlsCAFile: 'global-bundle.pem' });
 * ```
 */
export function createDocumentDbAdapter(connect: AdapterConnectOptions): DatabaseAdapter {
  return {
    // MongoDB has no practical limit; DocumentDB's is far above any sensible name.
    maxUsernameBytes: 1024,
    async canLogIn(secret) {
      const client = connectTo(secret, connect);
      try {
        await probe(client, secret);
        return true;
      } catch (err) {
        if (isAuthenticationError(err)) return false;
        throw err;
      } finally {
        await client.close().catch(() => undefined);
      }
    },
    async openSession(secret) {
      const client = connectTo(secret, connect);
      try {
        await probe(client, secret);
      } catch (err) {
        await client.close().catch(() => undefined);
        throw err;
      }
      if (adapterMongoSettings(secret, connect).options.tls === true) return session(client);
      const why = `the updateUser/createUser carrying the new password goes to ${secret.host}:${secret.port} without TLS because the secret says "ssl": false (secret "${secret.secretId}")`;
      return warnOnPlaintext(session(client), why, connect.onWarning);
    },
  };
}
