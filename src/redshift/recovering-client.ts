import pg from 'pg';
import type { ClientConfig } from 'pg';
import { ClosedError } from '../errors.js';
import { credentialClientClass, secretOfRejectedLogin } from './credential-client.js';
import type { Setup } from './options.js';
import { connectWithRecovery } from './recovery.js';

/** The pg 8.x Client state one login attempt leaves behind; reset before the next attempt. */
interface PgClientState {
  connection: pg.Connection & { stream: { destroyed?: boolean; destroy(): void } };
  connectionParameters: { client_encoding?: string; sslnegotiation?: string };
  _connecting: boolean;
  _connected: boolean;
  _connectionError: boolean;
  _ending: boolean;
  _ended: boolean;
  _queryable: boolean;
  _activeQuery: unknown;
  _txStatus: unknown;
  processID: unknown;
  secretKey: unknown;
  /** Queries the caller issued before connect() finished; pg sends them after the login (`queryQueue` in pg 8.11). */
  _queryQueue?: unknown[];
  queryQueue?: unknown[];
  /** Fails every queued query with `err` (pg does so when the connection ends). */
  _errorAllQueries(err: Error): void;
}

type ConnectCallback = (err: Error | null, client?: pg.Client) => void;
type Listener = (...args: unknown[]) => void;

/** A pg Client class whose `connect()` recovers from a rejected login on the same instance. */
export type RecoveringClientClass = new (config?: ClientConfig) => pg.Client;

/**
 * Builds the `Client` of `pgModule`: a pg Client whose `connect()` logs in with the secret's
 * current credentials and, when the database rejects them (rotation in progress), recovers and
 * logs in again — on the same instance, because Sequelize and Knex construct the Client, attach
 * their listeners and call `connect()` on it themselves, and a pg Client cannot connect twice.
 *
 * Between attempts the instance gets a fresh pg Connection (new socket) and the state of a
 * never-connected Client; listeners the caller attached to the old Connection before
 * `connect()` (Sequelize's `parameterStatus`) move to the new one. The `end` event a rejected
 * attempt emits is held back while connect() is still trying: Sequelize treats an `end` before
 * the connect callback as a timeout, Knex marks the connection disposed. Nothing but the
 * startup message was sent on a rejected login, so another attempt cannot run a statement twice.
 */
export function recoveringClientClass(setup: Setup): RecoveringClientClass {
  const Base = credentialClientClass(setup);
  return class RecoveringClient extends Base {
    readonly #config: ClientConfig;
    #connectInProgress = false;
    #endHeldBack = false;

    constructor(config?: ClientConfig) {
      super(config);
      this.#config = { ...config };
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
      const connecting = this.#connectRecovering();
      if (callback === undefined) return connecting;
      const cb = callback as ConnectCallback;
      connecting.then(
        (client) => cb(null, client),
        (err: Error) => cb(err),
      );
    }

    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'end' && this.#connectInProgress) {
        this.#endHeldBack = true;
        return true;
      }
      return super.emit(event, ...args);
    }

    async #connectRecovering(): Promise<pg.Client> {
      const state = this as unknown as PgClientState;
      // The caller's listeners on the Connection, taken before pg adds its own in connect().
      const callerListeners = connectionListeners(state.connection);
      let attempts = 0;
      this.#connectInProgress = true;
      this.#endHeldBack = false;
      try {
        const client = await connectWithRecovery(setup, async () => {
          if (attempts++ > 0) {
            // end() was called while credstage recovered: opening a new socket now would leak it.
            if (state._ending) throw new ClosedError('pg Client (end() was called while connect() was recovering)');
            await this.#freshConnection(callerListeners);
          }
          return this.#attempt();
        });
        this.#connectInProgress = false;
        return client;
      } catch (err) {
        this.#connectInProgress = false;
        // Queries held across rejected logins would otherwise wait for a login that never comes.
        state._errorAllQueries(err as Error);
        // The client did end: say so after the caller has its error, as pg would have.
        if (this.#endHeldBack) process.nextTick(() => this.emit('end'));
        throw err;
      }
    }

    async #attempt(): Promise<pg.Client> {
      const state = this as unknown as PgClientState;
      const ended = new Promise<void>((resolve) => state.connection.once('end', () => resolve()));
      try {
        return await super.connect();
      } catch (err) {
        if (secretOfRejectedLogin(err) !== undefined) {
          // pg fails the queries queued before the login finished when this connection ends; none
          // was sent (pg sends them after the login), so keep them for the next attempt instead.
          const held: unknown[] = [];
          state.connection.prependOnceListener('end', () => held.push(...queryQueueOf(state).splice(0)));
          // Nothing more will come on this socket; close it rather than wait for the server.
          if (state.connection.stream.destroyed !== true) state.connection.stream.destroy();
          await ended;
          // pg emits the Client's `end` on the next tick after the Connection's: let it pass (held back).
          await new Promise((resolve) => setImmediate(resolve));
          queryQueueOf(state).unshift(...held);
        }
        throw err;
      }
    }

    /** Gives the instance a new pg Connection and the state of a Client that never connected. */
    async #freshConnection(callerListeners: ReadonlyArray<[string | symbol, Listener, boolean]>): Promise<void> {
      const state = this as unknown as PgClientState;
      const params = state.connectionParameters;
      const connection = new pg.Connection({
        stream: this.#config.stream,
        keepAlive: this.#config.keepAlive ?? false,
        keepAliveInitialDelayMillis: this.#config.keepAliveInitialDelayMillis ?? 0,
        encoding: params.client_encoding || 'utf8',
        ...(params.sslnegotiation === undefined ? {} : { sslNegotiation: params.sslnegotiation }),
      } as ConstructorParameters<typeof pg.Connection>[0]) as PgClientState['connection'];
      for (const [event, listener, once] of callerListeners) {
        if (once) connection.once(event, listener);
        else connection.on(event, listener);
      }
      state.connection = connection;
      state._connecting = state._connected = state._connectionError = state._ending = state._ended = false;
      state._queryable = true;
      state._activeQuery = state._txStatus = state.processID = state.secretKey = null;
    }
  };
}

/** pg's queue of unsent queries: `_queryQueue` in newer pg 8.x (where `queryQueue` is a deprecated getter), `queryQueue` in pg 8.11. */
function queryQueueOf(state: PgClientState): unknown[] {
  return state._queryQueue ?? state.queryQueue ?? [];
}

/** The listeners on a pg Connection besides pg's own `newListener` hook, with whether each was added with `once`. */
function connectionListeners(connection: pg.Connection): Array<[string | symbol, Listener, boolean]> {
  return connection
    .eventNames()
    .filter((event) => event !== 'newListener')
    .flatMap((event) =>
      connection.rawListeners(event).map((raw): [string | symbol, Listener, boolean] => {
        const inner = (raw as { listener?: Listener }).listener;
        return inner === undefined ? [event, raw as Listener, false] : [event, inner, true];
      }),
    );
}
