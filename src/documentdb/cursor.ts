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
  const builders: Array<[PropertyKey, unknown[]]> = [];
  let cursor = first;
  let on = generation;
  let delivered = 0;
  let release: (() => void) | undefined;
  let proxy: C;

  const build = (target: Generation): C => {
    let built = create(target);
    for (const [prop, args] of builders) built = ((built as unknown as Record<PropertyKey, Method>)[prop]!(...args) as C) ?? built;
    return built;
  };
  const unhold = (): void => {
    release?.();
    release = undefined;
  };
  /** Moves the not-yet-started query to the live MongoClient. */
  const rebuild = (): void => {
    unhold();
    cursor.close().catch(() => undefined);
    const live = core.acquire();
    try {
      cursor = build(live);
      on = live;
    } finally {
      live.release();
    }
  };
  const start = (): void => {
    if (release !== undefined) return;
    // Never begin reading on a replaced client: it may close before the cursor is done.
    if (on.retired || on.closed) rebuild();
    release = on.holdForCursor();
    cursor.once?.('close', release);
  };
  const fetch = async (prop: PropertyKey, args: unknown[]): Promise<unknown> => {
    const startedAt = core.monotonicMs();
    for (let attempt = 1; ; attempt++) {
      start();
      try {
        const result = await ((cursor as unknown as Record<PropertyKey, Method>)[prop]!(...args) as Promise<unknown>);
        if ((prop === 'next' || prop === 'tryNext') && result !== null) delivered++;
        return result;
      } catch (err) {
        if (delivered > 0 || cursor.id !== undefined) throw err;
        await core.recoverFrom(err, on, attempt, startedAt);
        rebuild();
      }
    }
  };
  async function* iterate(): AsyncGenerator<unknown, void, undefined> {
    try {
      for (;;) {
        const doc = await fetch('next', []);
        if (doc === null) return;
        yield doc;
      }
    } finally {
      await close();
    }
  }
  const close = async (): Promise<void> => {
    unhold();
    await cursor.close();
  };
  const special: Partial<Record<PropertyKey, Method>> = {
    [Symbol.asyncIterator]: iterate,
    close,
    stream: () => Readable.from(iterate(), { objectMode: true }),
    forEach: async (iterator: unknown) => {
      for await (const doc of iterate()) if ((await (iterator as Method)(doc)) === false) break;
    },
    rewind: () => {
      unhold();
      cursor.rewind();
      delivered = 0;
    },
    clone: () => retryingCursorFrom(core, create, builders),
    readBufferedDocuments: (...args: unknown[]) => {
      const docs = (cursor as unknown as Record<PropertyKey, Method>)['readBufferedDocuments']!(...args) as unknown[];
      delivered += docs.length;
      return docs;
    },
  };

  const target = Object.create(Object.getPrototypeOf(first) as object) as object;
  Object.defineProperty(target, inspect.custom, { value: () => `${(first as object).constructor.name} [credstage retrying cursor]` });
  proxy = new Proxy(target, {
    get(_target, prop) {
      // Own keys only: `constructor`, `__proto__` and the like belong to the driver's cursor, not to this table.
      const own = Object.hasOwn(special, prop) ? special[prop] : undefined;
      if (own !== undefined) return own;
      if (FETCHING.has(prop)) return (...args: unknown[]) => fetch(prop, args);
      const value: unknown = Reflect.get(cursor, prop, cursor);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as Method).apply(cursor, args);
        if (result !== cursor) return result;
        builders.push([prop, args]);
        return proxy;
      };
    },
  }) as C;
  return proxy;
}

/** A fresh retrying cursor with the same query and builder calls, on the live MongoClient. */
function retryingCursorFrom<C extends CursorLike>(core: ClientCore, create: (generation: Generation) => C, builders: Array<[PropertyKey, unknown[]]>): C {
  const recorded = [...builders];
  const replay = (generation: Generation): C => {
    let built = create(generation);
    for (const [prop, args] of recorded) built = ((built as unknown as Record<PropertyKey, Method>)[prop]!(...args) as C) ?? built;
    return built;
  };
  const live = core.acquire();
  try {
    return retryingCursor(core, live, replay, replay(live));
  } finally {
    live.release();
  }
}
