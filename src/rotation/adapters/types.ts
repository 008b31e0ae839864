import type { DatabaseSecret } from '../../credentials/parse.js';

/**
 * The database side of a rotation: log in, prove a login with a real query, change passwords and
 * clone users. credstage ships one for DocumentDB (`mongodb`) and one for Redshift/PostgreSQL
 * (`pg`); pass your own as the `adapter` option for another database or a fake in tests.
 *
 * Passwords reach an adapter as arguments and must not appear in anything it throws or logs.
 *
 * @example
 * ```ts
 * const adapter: DatabaseAdapter = {
 *   maxUsernameBytes: 63,
 *   canLogIn: async (secret) => fakeDb.accepts(secret.username, secret.password),
 *   openSession: async (secret) => fakeDb.session(secret),
 * };
 * await rotateSecret({ secretId: 'app/db', client, adapter });
 * ```
 */
export interface DatabaseAdapter {
  /** The longest username the database takes, in UTF-8 bytes (checked before a `_clone` user is named). */
  readonly maxUsernameBytes: number;
  /**
   * Logs in as `secret` and runs a real query. Resolves true when the database accepted the
   * credentials, false when it rejected them (`isAuthenticationError`); any other failure
   * (database down, timeout) rejects.
   */
  canLogIn(secret: DatabaseSecret): Promise<boolean>;
  /** An authenticated session as `secret`'s user; rejects with the driver's error (an auth failure included). */
  openSession(secret: DatabaseSecret): Promise<DatabaseSession>;
}

/** A logged-in database session used by setSecret. */
export interface DatabaseSession {
  /** Sets the password of `username`: the session's own user, or another one when logged in as an admin. */
  setPassword(username: string, password: string): Promise<void>;
  userExists(username: string): Promise<boolean>;
  /**
   * Creates `username` with `password` and the privileges of `template`, atomically where the
   * database allows. Resolves `exists` (and changes nothing) when the user already exists.
   */
  createUserLike(username: string, password: string, template: string): Promise<'created' | 'exists'>;
  /**
   * Sets the password of `username` in a transaction that commits only when `confirm()` resolves
   * true, and rolls back otherwise; resolves whether it committed. Optional, for databases whose
   * password changes are transactional (PostgreSQL, Redshift): while the change is uncommitted
   * the user's row stays locked, so no other run can change that user before this run has checked
   * Secrets Manager's stages, and the check and the change act as one. Without it the engine
   * changes the password, checks the stages after, and repairs what a lost race changed.
   */
  setPasswordIf?(username: string, password: string, confirm: () => Promise<boolean>): Promise<boolean>;
  /**
   * What makes `username` an administrator, if anything; undefined when the user does not exist.
   * Optional: alternating-users rotation uses it to refuse to touch or clone an administrator.
   */
  describeUser?(username: string): Promise<UserPrivileges | undefined>;
  /**
   * Whether `clone` is the clone `createUserLike` made of `base` (PostgreSQL: a member of it;
   * Redshift: in all its groups; DocumentDB: holds all its roles). Optional; alternating-users
   * needs it, with `describeUser`, to change an existing user of a pair.
   */
  isCloneOf?(clone: string, base: string): Promise<boolean>;
  /** Ends the session; safe to call twice. */
  close(): Promise<void>;
}

/** The administrative powers of one database user, as an adapter reads them. */
export interface UserPrivileges {
  /**
   * Powers over the whole database: PostgreSQL's SUPERUSER, CREATEROLE and membership in
   * `rds_superuser`; Redshift's superuser (CREATEUSER); DocumentDB's root-like roles. Rotation
   * never re-passwords or clones such a user.
   */
  readonly superuser: readonly string[];
  /** Narrower administrative roles (DocumentDB `userAdmin`, `dbOwner`, ... as `role@db`). */
  readonly adminRoles: readonly string[];
}

/** Connection settings every adapter takes. */
export interface AdapterConnectOptions {
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly tlsCAFile: string | undefined;
  /**
   * Told when the adapter is about to send a new password over a connection without TLS (the
   * secret says `"ssl": false`); the engine reports it once per rotation. Never given a secret.
   */
  readonly onWarning?: ((message: string) => void) | undefined;
}
