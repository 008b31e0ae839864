import type { DatabaseSecret } from '../../../src/credentials/parse.js';
import type { DatabaseAdapter, DatabaseSession } from '../../../src/rotation/adapters/types.js';
import type { Controller } from './controller.js';

/**
 * A database of users and passwords for the explorer, with the concurrency semantics of the real
 * ones credstage rotates:
 * - `transactional` (PostgreSQL, Redshift): a password change inside a transaction holds the
 *   user's row lock until COMMIT or ROLLBACK; logins see only committed passwords; a second change
 *   of the same user waits for the lock, then fails with "tuple concurrently updated" when the
 *   first committed (as `simple_heap_update` does); a session that dies rolls back.
 * - not transactional (DocumentDB / MongoDB): `updateUser` takes effect at once, no locks.
 *
 * Every call waits at a gate of the run that makes it, so the explorer orders them.
 */

interface ModelUser {
  password: string;
  /** Bumped by every committed change: a waiter that finds it moved lost the race. */
  version: number;
  readonly superuser: boolean;
  readonly roles: readonly string[];
  lock: { readonly released: Promise<void>; readonly release: () => void } | undefined;
}

export interface ModelUserOptions {
  superuser?: boolean;
  roles?: readonly string[];
}

const authError = (): Error => Object.assign(new Error('password authentication failed'), { code: '28P01' });
const concurrentlyUpdated = (): Error => Object.assign(new Error('tuple concurrently updated'), { code: 'XX000' });

export class ModelDatabase {
  readonly #users = new Map<string, ModelUser>();

  constructor(
    readonly controller: Controller,
    readonly transactional: boolean,
  ) {}

  addUser(username: string, password: string, options: ModelUserOptions = {}): this {
    this.#users.set(username, { password, version: 0, superuser: options.superuser ?? false, roles: options.roles ?? [], lock: undefined });
    return this;
  }

  /** Whether a login as `username` with `password` succeeds now (committed state). */
  accepts(username: string, password: string): boolean {
    return this.#users.get(username)?.password === password;
  }

  /** The adapter run `run` uses: every call is a gate of that run (none for run -1, which runs alone). */
  adapterFor(run: number): DatabaseAdapter {
    const gate = (label: string): Promise<void> => (run < 0 ? Promise.resolve() : this.controller.gate(run, label));
    return {
      maxUsernameBytes: 63,
      canLogIn: async (secret) => {
        await gate(`db.canLogIn(${secret.username})`);
        return this.accepts(secret.username, secret.password);
      },
      openSession: async (secret) => {
        await gate(`db.openSession(${secret.username})`);
        if (!this.accepts(secret.username, secret.password)) throw authError();
        return this.#session(run, secret);
      },
    };
  }

  #session(run: number, login: DatabaseSecret): DatabaseSession {
    const gate = (label: string): Promise<void> => (run < 0 ? Promise.resolve() : this.controller.gate(run, label));
    const self = login.username;
    const user = (username: string): ModelUser => {
      const found = this.#users.get(username);
      if (found === undefined) throw Object.assign(new Error(`role "${username}" does not exist`), { code: '42704' });
      if (username !== self && !this.#users.get(self)?.superuser) throw Object.assign(new Error('permission denied'), { code: '42501' });
      return found;
    };
    /** Takes the row lock as a transaction would; throws when a change committed while it waited. */
    const lock = async (target: ModelUser): Promise<() => void> => {
      const seen = target.version;
      let waited = false;
      while (target.lock !== undefined) {
        if (run < 0) throw new Error('explorer: a lock is still held after every run stopped');
        waited = true;
        await this.controller.waitFor(run, target.lock.released);
      }
      if (waited && target.version !== seen) throw concurrentlyUpdated();
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const held = { released, release: () => {
        if (target.lock === held) target.lock = undefined;
        release();
      } };
      target.lock = held;
      if (run >= 0) this.controller.onCrash(run, held.release); // a dead session's transaction rolls back
      return held.release;
    };
    const commit = (target: ModelUser, password: string): void => {
      target.password = password;
      target.version++;
    };
    const session: DatabaseSession = {
      setPassword: async (username, password) => {
        await gate(`db.setPassword(${username})`);
        const target = user(username);
        if (!this.transactional) return commit(target, password);
        const unlock = await lock(target);
        commit(target, password);
        unlock();
      },
      userExists: async (username) => {
        await gate(`db.userExists(${username})`);
        return this.#users.has(username);
      },
      createUserLike: async (username, password, template) => {
        await gate(`db.createUserLike(${username})`);
        if (this.#users.has(username)) return 'exists';
        const model = user(template);
        this.#users.set(username, { password, version: 0, superuser: false, roles: [...model.roles], lock: undefined });
        return 'created';
      },
      isCloneOf: async (clone, base) => {
        await gate(`db.isCloneOf(${clone})`);
        const [c, b] = [this.#users.get(clone), this.#users.get(base)];
        return c !== undefined && b !== undefined && b.roles.every((role) => c.roles.includes(role));
      },
      describeUser: async (username) => {
        await gate(`db.describeUser(${username})`);
        const found = this.#users.get(username);
        return found === undefined ? undefined : { superuser: found.superuser ? ['SUPERUSER'] : [], adminRoles: found.roles.filter((r) => r.startsWith('admin:')) };
      },
      close: async () => undefined,
    };
    if (this.transactional) {
      session.setPasswordIf = async (username, password, confirm) => {
        await gate(`db.begin+alter(${username})`);
        const target = user(username);
        const unlock = await lock(target);
        try {
          const keep = await confirm();
          await gate(keep ? `db.commit(${username})` : `db.rollback(${username})`);
          if (keep) commit(target, password);
          return keep;
        } finally {
          unlock();
        }
      };
    }
    return session;
  }
}
