import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { DatabaseSecret } from '../../src/credentials/parse.js';
import type { DatabaseAdapter, DatabaseSession } from '../../src/rotation/adapters/types.js';
import { InMemorySecretsManager } from '../../src/testing/in-memory-secrets-manager.js';

interface FakeUser {
  password: string;
  roles: string[];
  admin: boolean;
}

/** An error shaped like pg's DatabaseError for a rejected login (SQLSTATE 28P01). */
export function authError(username = 'app'): Error {
  return Object.assign(new Error(`password authentication failed for user "${username}"`), { code: '28P01', severity: 'FATAL' });
}

/** An error shaped like a refused TCP connection. */
export function downError(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

/**
 * A database with users and passwords in memory: the rotation engine reaches it through
 * `adapter()`, a connection factory through `connect()`. `up = false` makes every connection
 * fail like a closed port.
 */
export class FakeDatabase {
  readonly users = new Map<string, FakeUser>();
  up = true;
  /** Login attempts through `connect()`. */
  logins = 0;
  /** Every password change, as `user` (never the password). */
  readonly changes: string[] = [];
  /** Runs after each password change, before the session call returns. */
  afterSetPassword: ((username: string) => Promise<void>) | undefined;
  /** Runs inside canLogIn before it answers. */
  beforeLogin: ((secret: DatabaseSecret) => Promise<void>) | undefined;

  constructor(readonly maxUsernameBytes = 63) {}

  addUser(username: string, password: string, options: { roles?: string[]; admin?: boolean } = {}): this {
    this.users.set(username, { password, roles: options.roles ?? [], admin: options.admin ?? false });
    return this;
  }

  accepts(username: string, password: string): boolean {
    return this.users.get(username)?.password === password;
  }

  passwordOf(username: string): string | undefined {
    return this.users.get(username)?.password;
  }

  /** Changes a password the way the database's admin would (not a session call: no `changes` entry). */
  setPassword(username: string, password: string): void {
    const user = this.users.get(username);
    if (!user) throw new Error(`role "${username}" does not exist`);
    user.password = password;
  }

  /** A login as a connection factory makes one: counted, rejected with pg's 28P01 on a wrong password. */
  async connect(secret: { username: string; password: string }): Promise<{ password: string }> {
    this.logins++;
    if (!this.up) throw downError();
    if (!this.accepts(secret.username, secret.password)) throw authError(secret.username);
    return { password: secret.password };
  }

  adapter(): DatabaseAdapter {
    return {
      maxUsernameBytes: this.maxUsernameBytes,
      canLogIn: async (secret) => {
        await this.beforeLogin?.(secret);
        if (!this.up) throw downError();
        return this.accepts(secret.username, secret.password);
      },
      openSession: async (secret) => {
        if (!this.up) throw downError();
        if (!this.accepts(secret.username, secret.password)) throw authError();
        return this.#session(secret.username);
      },
    };
  }

  #session(self: string): DatabaseSession {
    const mayManage = (username: string): void => {
      if (!this.up) throw downError();
      if (username !== self && !this.users.get(self)?.admin) throw Object.assign(new Error('permission denied'), { code: '42501' });
    };
    return {
      setPassword: async (username, password) => {
        mayManage(username);
        const user = this.users.get(username);
        if (!user) throw Object.assign(new Error(`role "${username}" does not exist`), { code: '42704' });
        user.password = password;
        this.changes.push(username);
        await this.afterSetPassword?.(username);
      },
      userExists: async (username) => {
        mayManage(username);
        return this.users.has(username);
      },
      createUserLike: async (username, password, template) => {
        mayManage(username);
        if (this.users.has(username)) return 'exists';
        const model = this.users.get(template);
        if (!model) throw new Error(`role "${template}" does not exist`);
        this.users.set(username, { password, roles: [...model.roles], admin: false });
        this.changes.push(username);
        return 'created';
      },
      isCloneOf: async (clone, base) => {
        mayManage(clone);
        const [c, b] = [this.users.get(clone), this.users.get(base)];
        return c !== undefined && b !== undefined && b.roles.every((role) => c.roles.includes(role));
      },
      describeUser: async (username) => {
        mayManage(username);
        const user = this.users.get(username);
        if (!user) return undefined;
        return { superuser: user.admin ? ['SUPERUSER'] : [], adminRoles: user.roles.filter((role) => role.startsWith('admin:')) };
      },
      close: async () => undefined,
    };
  }
}

/** The JSON of a database secret for the fake database. */
export function secretJson(fields: Partial<Record<string, unknown>> = {}): string {
  return JSON.stringify({ engine: 'postgres', host: 'db.internal', port: 5432, username: 'app', password: 'Initial-Pw-1', dbname: 'app', ...fields });
}

/** An in-memory Secrets Manager holding `name` with `json` as AWSCURRENT. Returns the version id. */
export async function secretIn(sm: InMemorySecretsManager, name: string, json: string): Promise<string> {
  const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: json }));
  return out.VersionId as string;
}
