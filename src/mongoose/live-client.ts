import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { MongoClient } from 'mongodb';
import { ClosedError } from '../errors.js';
import type { DocumentDbClient } from '../documentdb/client.js';
import type { ClientCore } from '../documentdb/core.js';
import type { Generation } from '../documentdb/generation.js';

/**
 * The MongoClient events a listener on `connection.client` can hear: topology (SDAM), command
 * monitoring and pool (CMAP) events. Mongoose itself listens to `serverDescriptionChanged`,
 * `topologyDescriptionChanged` and `serverHeartbeatSucceeded` for `readyState`. `error` is left
 * out: re-emitted on an emitter without a listener it would throw.
 */
export const RELAYED_EVENTS: readonly string[] = Object.freeze([
  'serverOpening',
  'serverClosed',
  'serverDescriptionChanged',
  'topologyOpening',
  'topologyClosed',
  'topologyDescriptionChanged',
  'serverHeartbeatStarted',
  'serverHeartbeatSucceeded',
  'serverHeartbeatFailed',
  'commandStarted',
  'commandSucceeded',
  'commandFailed',
  'connectionPoolCreated',
  'connectionPoolReady',
  'connectionPoolClosed',
  'connectionPoolCleared',
  'connectionCreated',
  'connectionReady',
  'connectionClosed',
  'connectionCheckOutStarted',
  'connectionCheckOutFailed',
  'connectionCheckedOut',
  'connectionCheckedIn',
]);

const EMITTER_METHODS = new Set<PropertyKey>([
  'on',
  'once',
  'off',
  'addListener',
  'prependListener',
  'prependOnceListener',
  'removeListener',
  'removeAllListeners',
  'listeners',
  'rawListeners',
  'listenerCount',
  'eventNames',
  'emit',
  'setMaxListeners',
  'getMaxListeners',
]);

/** The event classes of the driver the generations come from (`mongoose.mongo`). */
export interface DriverEventClasses {
  readonly ServerDescriptionChangedEvent: new (topologyId: number, address: string, previous: unknown, next: unknown) => object;
  readonly TopologyDescriptionChangedEvent: new (topologyId: number, previous: unknown, next: unknown) => object;
}

interface Described {
  readonly type?: unknown;
}

interface TopologyLike {
  readonly s?: { readonly id?: unknown };
  readonly description?: Described & { readonly servers?: ReadonlyMap<string, Described> };
}

function topologyOf(client: MongoClient): TopologyLike | undefined {
  return (client as unknown as { topology?: TopologyLike }).topology;
}

/**
 * Events of every MongoClient generation, re-emitted while that generation is the live one:
 * a listener added once to `connection.client` (mongoose's `readyState` bookkeeping) keeps
 * hearing the client in use after a switch, and never a retired one closing down.
 *
 * A switch itself is a change of description for those listeners: the old MongoClient may
 * have been heard going `Unknown` (the driver marks a server Unknown when a login fails during
 * a handshake, and mongoose then says `disconnected`), while the new one is connected. So on a
 * switch, every server or topology whose type differs from what the listeners last heard is
 * announced with the driver's own event classes.
 */
export class GenerationEvents {
  readonly emitter = new EventEmitter();
  readonly #driver: DriverEventClasses;
  #live: MongoClient | undefined;
  readonly #heardServers = new Map<string, Described>();
  #heardTopology: Described | undefined;

  constructor(driver: DriverEventClasses) {
    this.#driver = driver;
    // Mongoose adds listeners per connection and per useDb(); any number is expected.
    this.emitter.setMaxListeners(0);
  }

  /** Called for every MongoClient built, before `connect()`. */
  attach(client: MongoClient): void {
    for (const name of RELAYED_EVENTS) {
      client.on(name as 'serverOpening', (...args: unknown[]) => {
        if (client !== this.#live) return;
        this.#remember(name, args[0]);
        this.emitter.emit(name, ...args);
      });
    }
  }

  /** The first live MongoClient: what listeners hear about from now on. */
  start(client: MongoClient): void {
    this.#live = client;
    const description = topologyOf(client)?.description;
    this.#heardTopology = description;
    for (const [address, server] of description?.servers ?? []) this.#heardServers.set(address, server);
  }

  /** A switch made `client` the live MongoClient; never throws (it runs inside an event callback). */
  switchTo(client: MongoClient): void {
    this.#live = client;
    try {
      const topology = topologyOf(client);
      const description = topology?.description;
      if (description === undefined) return;
      const id = typeof topology?.s?.id === 'number' ? topology.s.id : 0;
      for (const [address, server] of description.servers ?? []) {
        const heard = this.#heardServers.get(address);
        if (heard?.type === server.type) continue;
        this.#heardServers.set(address, server);
        this.emitter.emit('serverDescriptionChanged', new this.#driver.ServerDescriptionChangedEvent(id, address, heard ?? server, server));
      }
      const heard = this.#heardTopology;
      if (heard?.type !== description.type) {
        this.#heardTopology = description;
        this.emitter.emit('topologyDescriptionChanged', new this.#driver.TopologyDescriptionChangedEvent(id, heard ?? description, description));
      }
    } catch {
      // A listener's throw must not break the switch; the connection keeps working either way.
    }
  }

  #remember(name: string, event: unknown): void {
    const e = event as { address?: unknown; newDescription?: Described } | undefined;
    if (name === 'serverDescriptionChanged' && typeof e?.address === 'string' && e.newDescription) this.#heardServers.set(e.address, e.newDescription);
    if (name === 'topologyDescriptionChanged' && e?.newDescription) this.#heardTopology = e.newDescription;
  }
}

type Method = (...args: unknown[]) => unknown;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/** Runs `fn` with the live generation held open until its result (a promise, or a value) settles. */
function onLive(core: ClientCore, fn: (generation: Generation) => unknown): unknown {
  const generation = core.acquire();
  let result: unknown;
  try {
    result = fn(generation);
  } catch (err) {
    generation.release();
    throw err;
  }
  if (!isPromiseLike(result)) {
    generation.release();
    return result;
  }
  return Promise.resolve(result).finally(() => generation.release());
}

export interface LiveMongoClientParts {
  readonly core: ClientCore;
  readonly documentDb: DocumentDbClient;
  readonly events: GenerationEvents;
  /** The database mongoose's connection uses: the option, else the secret's `dbname`, else the driver's default. */
  readonly dbName: () => string | undefined;
}

/**
 * The `connection.client` credstage gives mongoose: a stand-in for the MongoClient in use that
 * stays the same object across credential switches. It is an `instanceof` mongoose's own
 * MongoClient (its target has that prototype), so `connection.setClient()` accepts it, and:
 * - `db(name)` returns credstage's live, retrying Db handle: mongoose's collections take their
 *   native collection from it once and keep routing to the current MongoClient;
 * - event methods (`on`, `once`, …) act on {@link GenerationEvents}, which relays the live
 *   MongoClient's events (mongoose's `readyState` follows them);
 * - `startSession()` starts the session on the live MongoClient and keeps that client open
 *   until the session ends;
 * - `close()` closes the DocumentDbClient: every MongoClient and the cache it built;
 * - any other method runs on the live MongoClient (no retry), anything else is read from it.
 * It prints as a one-line label, so logging the connection shows no MongoClient options.
 */
export function liveMongoClient(parts: LiveMongoClientParts): MongoClient {
  const { core, documentDb, events } = parts;
  const target = Object.create(Object.getPrototypeOf(core.live.client) as object) as Record<PropertyKey, unknown>;
  const label = (): string => `MongoClient [credstage live client of ${core.secretId}${core.closed ? ', closed' : ''}]`;
  Object.defineProperties(target, {
    [inspect.custom]: { value: label },
    toJSON: { value: () => documentDb.toJSON() },
  });
  const own: Record<PropertyKey, unknown> = {
    db: (dbName?: string, options?: object) => documentDb.db(dbName ?? parts.dbName(), options),
    close: () => documentDb.close(),
    startSession: (options?: object) =>
      onLive(core, (generation) => {
        const session = generation.client.startSession(options);
        // The session belongs to this MongoClient: keep it open (after a switch too) until the session ends.
        session.once('ended', generation.holdForCursor());
        return session;
      }),
  };
  let last: MongoClient = core.live.client;
  const current = (): MongoClient => {
    if (!core.closed) last = core.live.client;
    return last;
  };
  const proxy = new Proxy(target, {
    get(_target, prop) {
      if (Object.hasOwn(target, prop)) return target[prop];
      if (Object.hasOwn(own, prop)) return own[prop];
      if (EMITTER_METHODS.has(prop)) {
        const method = (events.emitter as unknown as Record<PropertyKey, Method>)[prop]!;
        return (...args: unknown[]) => {
          const result = method.apply(events.emitter, args);
          return result === events.emitter ? proxy : result;
        };
      }
      if (prop === 's') return settingsView(current(), parts.dbName());
      const client = current();
      const value: unknown = Reflect.get(client, prop, client);
      if (typeof value !== 'function' || prop === 'constructor') return value;
      return (...args: unknown[]) => {
        // A closed MongoClient reconnects on use (driver 6 and 7): refuse instead of reopening it.
        if (core.closed) throw new ClosedError('DocumentDbClient');
        return onLive(core, (generation) => (generation.client as unknown as Record<PropertyKey, Method>)[prop]!(...args));
      };
    },
    // Mongoose marks its client (`_closeCalled`, `_destroyCalled`): kept on the stand-in, never on a generation.
    set(_target, prop, value) {
      target[prop] = value;
      return true;
    },
  }) as unknown as MongoClient;
  return proxy;
}

/**
 * What mongoose reads of `client.s` (`url`, `options.dbName`, `options.hosts`): the live
 * client's, with the database name credstage chose, so `setClient()` opens the right database.
 */
function settingsView(client: MongoClient, dbName: string | undefined): unknown {
  const s = (client as unknown as { s: { url: string; options: object } }).s;
  const options = dbName === undefined ? s.options : Object.create(s.options, { dbName: { value: dbName, enumerable: true } });
  return Object.create(s, { options: { value: options, enumerable: true } });
}
