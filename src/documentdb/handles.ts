import { inspect } from 'node:util';
import { Admin } from 'mongodb';
import type { ClientCore } from './core.js';
import { retryingCursor, type CursorLike } from './cursor.js';
import { markPossiblyApplied } from './failures.js';
import type { Generation } from './generation.js';

/** Resolves a handle (Db, Collection, Admin) on one generation's MongoClient. */
type Resolve = (generation: Generation) => object;
type Method = (...args: unknown[]) => unknown;
/** The driver declares its operations `async` (insertOne, findOne, command, ...). */
const AsyncFunction = (async () => undefined).constructor;

function isObject(value: unknown): value is Record<PropertyKey, unknown> {
  return value !== null && typeof value === 'object';
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return isObject(value) && typeof value.then === 'function';
}

/** Find, aggregate and list cursors; change streams have no toArray/rewind and are not retried. */
function isCursor(value: unknown): value is CursorLike {
  return isObject(value) && typeof value.toArray === 'function' && typeof value.next === 'function' && typeof value.rewind === 'function';
}

function isCollection(value: unknown): value is { dbName: string; collectionName: string } {
  return isObject(value) && typeof value.collectionName === 'string' && typeof value.dbName === 'string' && typeof value.insertOne === 'function';
}

function isDb(value: unknown): boolean {
  return isObject(value) && typeof value.databaseName === 'string' && typeof value.collection === 'function';
}

function isChangeStream(value: unknown): value is { once(event: 'close', listener: () => void): unknown } {
  return isObject(value) && 'resumeToken' in value && typeof value.once === 'function';
}

/** A legacy bulk (initializeOrderedBulkOp / initializeUnorderedBulkOp): built up, then `execute()`d. */
function isLegacyBulk(value: unknown): value is { execute: Method } {
  return isObject(value) && typeof value.execute === 'function' && typeof value.raw === 'function' && typeof value.find === 'function';
}

/**
 * True when a failed `bulkWrite`/`insertMany` could have run batches its error's result does
 * not show: an update or delete that matched nothing leaves every count at 0, and so does any
 * write with `w: 0`. Only inserts, acknowledged, are sure to count every batch that ran.
 */
function bulkMayHideProgress(prop: PropertyKey, args: unknown[], handle: object): boolean {
  if (prop !== 'bulkWrite' && prop !== 'insertMany') return false;
  const options = isObject(args[1]) ? (args[1] as { w?: unknown; writeConcern?: { w?: unknown } }) : {};
  const defaults = (handle as { writeConcern?: { w?: unknown } }).writeConcern;
  if (options.w === 0 || options.writeConcern?.w === 0 || defaults?.w === 0) return true;
  if (prop === 'insertMany') return false;
  const ops = args[0];
  return !Array.isArray(ops) || !ops.every((op) => isObject(op) && Object.keys(op).length === 1 && 'insertOne' in op);
}

function markBulkError(err: unknown): never {
  if (isObject(err) && err.name === 'MongoBulkWriteError') markPossiblyApplied(err);
  throw err;
}

/**
 * A stand-in for a Db, Collection or Admin that resolves the real one on the live MongoClient
 * at each use, so handles taken before a credential switch keep working after it. Its target
 * is an empty object with the handle's prototype: `instanceof Collection` holds, and
 * `util.inspect` shows a one-line label instead of the MongoClient (and its options) behind it.
 */
export function liveHandle<T extends object>(core: ClientCore, resolve: Resolve, label: string): T {
  let memoFor: Generation | undefined;
  let memo: object | undefined;
  const on = (generation: Generation): object => {
    if (memoFor !== generation) {
      memo = resolve(generation);
      memoFor = generation;
    }
    return memo!;
  };
  const first = on(core.live); // also surfaces bad arguments (an invalid name) at once
  const target = Object.create(Object.getPrototypeOf(first) as object) as object;
  Object.defineProperty(target, inspect.custom, { value: () => `${label} [credstage live handle]` });
  return new Proxy(target, {
    get(_target, prop) {
      // After close(), reads come from the last resolved object and calls reject with ClosedError.
      const current = core.closed ? memo! : on(core.live);
      const value: unknown = Reflect.get(current, prop, current);
      if (typeof value !== 'function' || prop === 'constructor') return value;
      return (...args: unknown[]) => {
        const hidesProgress = bulkMayHideProgress(prop, args, current);
        const run = (): unknown =>
          invoke(core, (generation) => {
            const result = (on(generation) as Record<PropertyKey, Method>)[prop]!(...args);
            return hidesProgress && isPromiseLike(result) ? Promise.resolve(result).catch(markBulkError) : result;
          });
        // An `async` method returns a promise whenever it starts: it may as well start on the
        // MongoClient a running switch is opening than be rejected on the one it is leaving.
        // Cursors, handles and bulks are returned at once, so their methods never wait here.
        const switching = value instanceof AsyncFunction ? core.switchAwayFromLive() : undefined;
        return switching === undefined ? run() : switching.then(run);
      };
    },
    set(_target, prop, value) {
      const current = on(core.live);
      return Reflect.set(current, prop, value, current);
    },
  }) as T;
}

/**
 * Runs one method call on the live generation and shapes its result: promises are awaited
 * with retries of failures before the server, cursors become retrying cursors, Db, Collection
 * and Admin objects become live handles, legacy bulks hold their MongoClient until executed;
 * anything else is returned as it is.
 */
function invoke(core: ClientCore, call: (generation: Generation) => unknown): unknown {
  let generation: Generation;
  try {
    generation = core.acquire();
  } catch (err) {
    return Promise.reject(err); // closed: as a rejection, like every failed operation
  }
  let result: unknown;
  try {
    result = call(generation);
  } catch (err) {
    generation.release();
    throw err;
  }
  if (isPromiseLike(result)) {
    return core.settle(generation, Promise.resolve(result), (g) => Promise.resolve(call(g))).then((value) => wrapAsyncResult(core, value));
  }
  try {
    if (isCursor(result)) return retryingCursor(core, generation, (g) => call(g) as CursorLike, result);
    if (isChangeStream(result)) {
      // A change stream stays on the MongoClient that opened it; keep that client open while it runs.
      result.once('close', generation.holdForCursor());
      return result;
    }
    if (isLegacyBulk(result)) return holdUntilExecuted(result, generation.holdForCursor());
    const label = handleLabel(result);
    if (label !== undefined) return liveHandle(core, (g) => call(g) as object, label);
    return result;
  } finally {
    generation.release();
  }
}

/**
 * A legacy bulk belongs to the MongoClient it was made on and cannot move: keep that client
 * open until `execute()` settles (a retired one closes at the latest after the cursor grace, for
 * a bulk never executed). `execute()` is not retried; `collection.bulkWrite` is, when nothing ran.
 */
function holdUntilExecuted<B extends { execute: Method }>(bulk: B, release: () => void): B {
  const execute = bulk.execute;
  // An own property, so `execute()` reached through any chain (`bulk.find(q).updateOne(u)`) still releases.
  Object.defineProperty(bulk, 'execute', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]): Promise<unknown> => {
      try {
        return Promise.resolve(execute.apply(bulk, args)).finally(release);
      } catch (err) {
        release();
        return Promise.reject(err);
      }
    },
  });
  return bulk;
}

function handleLabel(value: unknown): string | undefined {
  if (isCollection(value)) return `Collection(${value.dbName}.${value.collectionName})`;
  if (isDb(value)) return `Db(${String((value as { databaseName: string }).databaseName)})`;
  if (value instanceof Admin) return 'Admin';
  return undefined;
}

/** createCollection, rename, collections(): the Collections they return become live handles too. */
function wrapAsyncResult(core: ClientCore, value: unknown): unknown {
  const wrap = (item: unknown): unknown =>
    isCollection(item)
      ? liveHandle(core, (g) => g.client.db(item.dbName).collection(item.collectionName), `Collection(${item.dbName}.${item.collectionName})`)
      : item;
  return Array.isArray(value) ? value.map(wrap) : wrap(value);
}
