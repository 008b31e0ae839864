import pg from 'pg';
import type { ClientConfig } from 'pg';
import { isAuthenticationError } from '../credentials/auth-errors.js';
import { ClosedError } from '../errors.js';
import type { RedshiftSecret } from '../credentials/parse.js';
import type { Setup } from './options.js';
import { tlsFor } from '../credentials/pg-tls.js';
import { tlsFailure } from '../credentials/pg-tls-errors.js';
import { monotonicMs } from '../internal/clock.js';
import { publishLogin } from '../diagnostics/publish.js';

/** Rejected logins → the secret version they used, so recovery knows which version failed. */
const rejectedWith = new WeakMap<object, RedshiftSecret>();

/**
 * The secret version whose login `err` reports as rejected, looked up along the cause chain
 * (pg-pool wraps some connect errors). Undefined for every other error.
 */
export function secretOfRejectedLogin(err: unknown): RedshiftSecret | undefined {
  const seen = new Set<unknown>();
  let next = err;
  while (next !== null && typeof next === 'object' && !seen.has(next)) {
    seen.add(next);
    const secret = rejectedWith.get(next);
    if (secret !== undefined) return secret;
    next = (next as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The fields of a pg Client that decide where and as whom it connects (pg 8.x). */
interface PgClientInternals {
  user: string | undefined;
  database: string | undefined;
  host: string;
  port: number;
  ssl: unknown;
  connectionParameters: { user?: string; database?: string; host?: string; port?: number; ssl?: unknown };
  connection: { ssl: unknown; stream: { destroyed?: boolean } };
  /** Set by `end()`. */
  _ending: boolean;
}

function setHidden(target: object, key: string, value: string): void {
  // pg already hides these; redefining keeps them hidden whatever the pg version.
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });
}

type ConnectCallback = (err: Error | null, client?: pg.Client) => void;

/** A pg Client class that takes host, port, database, TLS, username and password from the secret when it connects. */
export type CredentialClientClass = new (config?: ClientConfig) => pg.Client;

/**
 * Builds the pg Client class of one pool or client. Each instance reads the current
 * credentials (`DbCredentials.current()`) in `connect()`, not in its constructor, so every new
 * connection uses the newest username and password — pg-pool constructs a client synchronously
 * and connects it right after, which leaves `connect()` as the one place to await them.
 * A rejected login is tagged with the version it used; retrying is the pool's job, because a
 * pg Client cannot connect twice.
 */
export function credentialClientClass(setup: Setup): CredentialClientClass {
  return class CredentialClient extends setup.pgClient {
    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
      const connecting = this.#connectAsCurrent();
      if (callback === undefined) return connecting;
      const cb = callback as ConnectCallback;
      connecting.then(
        (client) => cb(null, client),
        (err: Error) => cb(err),
      );
    }

    async #connectAsCurrent(): Promise<pg.Client> {
      const secret = await setup.credentials.current();
      const { host = secret.host, port = secret.port, database = secret.dbname } = setup.overrides;
      const tls = tlsFor(secret, setup.tls);
      const self = this as unknown as PgClientInternals;
      if (self.connection.stream.destroyed) {
        // pg-pool's connectionTimeoutMillis fired while the secret was being read.
        throw new Error('timeout expired');
      }
      if (self._ending) {
        // end() ran while the secret was being read: pg would still open the socket and log in, and leave it open.
        throw new ClosedError('pg Client (end() was called before its login)');
      }
      self.user = self.connectionParameters.user = secret.username;
      self.database = self.connectionParameters.database = database;
      self.host = self.connectionParameters.host = host;
      self.port = self.connectionParameters.port = port;
      // Set on all three: pg reads the Client's to send the SSLRequest and the Connection's to
      // upgrade; whatever `ssl` pg took from its config or PGSSLMODE is replaced here.
      self.ssl = self.connectionParameters.ssl = self.connection.ssl = tls.ssl;
      setHidden(this, 'password', secret.password);
      setHidden(self.connectionParameters, 'password', secret.password);

      const base = { type: 'login', secretId: setup.secretId, versionId: secret.versionId, username: secret.username, host, port } as const;
      const startedAt = monotonicMs(setup.clock);
      try {
        await super.connect();
      } catch (err) {
        const rejected = isAuthenticationError(err);
        if (rejected && err !== null && typeof err === 'object') rejectedWith.set(err, secret);
        const code = (err as { code?: unknown } | null)?.code;
        setup.emit(publishLogin('redshift', {
          ...base,
          outcome: rejected ? 'rejected' : 'error',
          durationMs: monotonicMs(setup.clock) - startedAt,
          errorCode: typeof code === 'string' ? code : undefined,
        }));
        throw tlsFailure(err, { secretId: setup.secretId, versionId: secret.versionId, host, port, choice: tls, caOption: 'ssl' }) ?? err;
      }
      setup.emit(publishLogin('redshift', { ...base, outcome: 'ok', durationMs: monotonicMs(setup.clock) - startedAt }));
      return this;
    }
  };
}
