import { inspect } from 'node:util';
import { Readable } from 'node:stream';
import type { ClientCore } from './core.js';
import type { Generation } from './generation.js';

/** The part of a driver cursor (FindCursor, AggregationCursor, ...) the retrying cursor uses. */
export interface CursorLike {
  next(): Promise<unknown>;
  toArray(): Promise<unknown[]>;
  rewind(): void;
  close(): Promise<void>;
  readonly closed?: boolean;
  /** The driver's cursor id: undefined until the command that creates the cursor answered. */
  readonly id?: unknown;
  once?(event: 'close', listener: () => void): unknown;
}

type Method = (...args: unknown[]) => unknown;

/** Consuming calls that may fetch a batch; they are retried while no document has reached the app. */
const FETCHING = new Set<PropertyKey>(['next', 'tryNext', 'hasNext', 'toArray', 'explain', 'count']);

/** Builder calls recorded on a cursor (`sort`, `limit`, `map`, ...), in order. */
type BuilderCalls = Array<[PropertyKey, unknown[]]>;

/** A new driver cursor on `generation` with `builders` replayed on it. */
function replay<C extends CursorLike>(create: (generation: Generation) => C, builders: BuilderCalls, generation: Generation): C {
  let built = create(generation);
  for (const [prop, args] of builders) built = ((built as unknown as Record<PropertyKey, Method>)[prop]!(...args) as C) ?? built;
  return built;
}

/**
 * A driver cursor that survives a credential switch before its first batch. Builder calls
 * (`sort`, `limit`, `project`, `map`, ...) go to the driver cursor and are recorded; when the
 * command that creates the cursor fails before reaching the server (rejected credentials,
 * cleared pool), the query is built again on the live MongoClient, the builder calls are
 * replayed, and the call runs again. Only that first batch is retried: once it came back, the
 * query has run on the server (an aggregate with `$merge` or `$out` has written), so a failed
 * getMore reaches the app, as the driver never retries a getMore either; so does any error
 * once a document was delivered, as running the query again would deliver documents twice.
 */
export function retryingCursor<C extends CursorLike>(core: ClientCore, generation: Generation, create: (generation: Generation) => C, first: C): C {
  return new RetryingCursor(core, generation, create, first).proxy;
}

/** The state of one retrying cursor, one method per job; `proxy` is what the app holds. */
class RetryingCursor<C extends CursorLike> {
  readonly #builders: BuilderCalls = [];
  #cursor: C;
  /** The MongoClient generation the current driver cursor runs on. */
  #on: Generation;
  /** Documents handed to the app: after the first, nothing is run again. */
  #delivered = 0;
  /** Lets the generation close once this cursor is done (held while it reads). */
  #release: (() => void) | undefined;
  readonly proxy: C;

  constructor(
    readonly core: ClientCore,
    generation: Generation,
    readonly create: (generation: Generation) => C,
    first: C,
  ) {
    this.#cursor = first;
    this.#on = generation;
    this.proxy = this.#makeProxy(first);
  }

  #unhold(): void {
    this.#release?.();
    this.#release = undefined;
  }

  /** Moves the not-yet-started query to the live MongoClient. */
  #rebuild(): void {
    this.#unhold();
    this.#cursor.close().catch(() => undefined);
    const live = this.core.acquire();
    try {
      this.#cursor = replay(this.create, this.#builders, live);
      this.#on = live;
    } finally {
      live.release();
    }
  }

  /** Holds the generation for this cursor's reads; never begins reading on a replaced client, which may close first. */
  #start(): void {
    if (this.#release !== undefined) return;
    if (this.#on.retired || this.#on.closed) this.#rebuild();
    this.#release = this.#on.holdForCursor();
    this.#cursor.once?.('close', this.#release);
  }

  /** A consuming call, run again on the live client while the cursor's first batch never reached the server. */
  async fetch(prop: PropertyKey, args: unknown[]): Promise<unknown> {
    const startedAt = this.core.monotonicMs();
    // Not reading yet, on a client a switch is leaving: start on the one it opens (#start rebuilds).
    const switching = this.#release === undefined ? this.core.switchAwayFromLive() : undefined;
    if (switching !== undefined && this.#on === this.core.live) await switching;
    for (let attempt = 1; ; attempt++) {
      this.#start();
      try {
        const result = await ((this.#cursor as unknown as Record<PropertyKey, Method>)[prop]!(...args) as Promise<unknown>);
        if ((prop === 'next' || prop === 'tryNext') && result !== null) this.#delivered++;
        return result;
      } catch (err) {
        if (this.#delivered > 0 || this.#cursor.id !== undefined) throw err;
        await this.core.recoverFrom(err, this.#on, attempt, startedAt);
        this.#rebuild();
      }
    }
  }

  async *iterate(): AsyncGenerator<unknown, void, undefined> {
    try {
      for (;;) {
        const doc = await this.fetch('next', []);
        if (doc === null) return;
        yield doc;
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.#unhold();
    await this.#cursor.close();
  }

  rewind(): void {
    this.#unhold();
    this.#cursor.rewind();
    this.#delivered = 0;
  }

  readBufferedDocuments(args: unknown[]): unknown[] {
    const docs = (this.#cursor as unknown as Record<PropertyKey, Method>)['readBufferedDocuments']!(...args) as unknown[];
    this.#delivered += docs.length;
    return docs;
  }

  /** A fresh retrying cursor with the same query and builder calls, on the live MongoClient. */
  clone(): C {
    const recorded = [...this.#builders];
    const rebuilt = (generation: Generation): C => replay(this.create, recorded, generation);
    const live = this.core.acquire();
    try {
      return retryingCursor(this.core, live, rebuilt, rebuilt(live));
    } finally {
      live.release();
    }
  }

  /** A driver call other than a consuming one: a builder returns the cursor, recorded and answered with the proxy. */
  #forward(prop: PropertyKey): unknown {
    const value: unknown = Reflect.get(this.#cursor, prop, this.#cursor);
    if (typeof value !== 'function') return value;
    return (...args: unknown[]) => {
      const result = (value as Method).apply(this.#cursor, args);
      if (result !== this.#cursor) return result;
      this.#builders.push([prop, args]);
      return this.proxy;
    };
  }

  #makeProxy(first: C): C {
    const special: Partial<Record<PropertyKey, Method>> = {
      [Symbol.asyncIterator]: () => this.iterate(),
      close: () => this.close(),
      stream: () => Readable.from(this.iterate(), { objectMode: true }),
      forEach: async (iterator: unknown) => {
        for await (const doc of this.iterate()) if ((await (iterator as Method)(doc)) === false) break;
      },
      rewind: () => this.rewind(),
      clone: () => this.clone(),
      readBufferedDocuments: (...args: unknown[]) => this.readBufferedDocuments(args),
    };
    const target = Object.create(Object.getPrototypeOf(first) as object) as object;
    Object.defineProperty(target, inspect.custom, { value: () => `${(first as object).constructor.name} [credstage retrying cursor]` });
    return new Proxy(target, {
      get: (_target, prop) => {
        // Own keys only: `constructor`, `__proto__` and the like belong to the driver's cursor, not to this table.
        const own = Object.hasOwn(special, prop) ? special[prop] : undefined;
        if (own !== undefined) return own;
        if (FETCHING.has(prop)) return (...args: unknown[]) => this.fetch(prop, args);
        return this.#forward(prop);
      },
    }) as C;
  }
}
