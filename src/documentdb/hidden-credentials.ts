import { inspect } from 'node:util';
import type { MongoClient } from 'mongodb';
import { REDACTED } from '../internal/redact.js';

/** The fields of the driver's MongoCredentials (lib/cmap/auth/mongo_credentials.js). */
interface CredentialsLike {
  readonly username: unknown;
  readonly password: unknown;
  readonly source: unknown;
  readonly mechanism: unknown;
  readonly mechanismProperties: unknown;
}

function isCredentials(value: unknown): value is CredentialsLike {
  return value !== null && typeof value === 'object' && typeof (value as { password?: unknown }).password === 'string';
}

/** Credentials already replaced, so a second call is a no-op. */
const hidden = new WeakSet<object>();

/**
 * Makes a MongoClient's password unprintable. The driver parses `auth` into
 * `client.options.credentials`, a frozen MongoCredentials whose `password` is a plain
 * property, and `connect()` hands that one object to the topology, every connection pool and
 * every connection's AuthContext: `util.inspect(db.client)` printed it. Call this between
 * `new MongoClient()` and `connect()`: it puts in its place an object of the same class with
 * the same fields, whose `password` is a non-enumerable getter over a closure (absent from
 * `Object.keys`, spreads and `JSON.stringify`) and which prints itself, through
 * `util.inspect` (whatever `showHidden` or `depth`) and `toJSON`, with the password
 * `[redacted]`. The driver reads `credentials.password` as before, so logins are unchanged.
 * A client without password credentials (a test double) is left as it is.
 *
 * @example
 * ```ts
 * const mongo = new MongoClient(url, { auth: { username, password } });
 * hideCredentials(mongo);
 * await mongo.connect();
 * ```
 */
export function hideCredentials(client: MongoClient): void {
  const options = optionsHolder(client);
  const credentials = options?.credentials;
  if (options === undefined || !isCredentials(credentials) || hidden.has(credentials)) return;
  const password = credentials.password;
  const { username, source, mechanism, mechanismProperties } = credentials;
  const view = { username, password: REDACTED, source, mechanism, mechanismProperties };
  const replacement = Object.create(Object.getPrototypeOf(credentials) as object) as object;
  Object.defineProperties(replacement, {
    username: { value: username, enumerable: true },
    source: { value: source, enumerable: true },
    mechanism: { value: mechanism, enumerable: true },
    mechanismProperties: { value: mechanismProperties, enumerable: true },
    password: { get: () => password, enumerable: false },
    toJSON: { value: () => view },
    [inspect.custom]: { value: (depth: number, inspectOptions: object) => `MongoCredentials ${inspect(view, { ...inspectOptions, depth })}` },
  });
  Object.freeze(replacement);
  hidden.add(replacement);
  options.credentials = replacement;
}

type OptionsHolder = { credentials?: unknown };

/**
 * The driver's own options object: `client.s.options` returns it in mongodb 6 and 7 (in early
 * 6.x `client.options` was a frozen copy of it); else `client.options` when it can be changed.
 */
function optionsHolder(client: MongoClient): OptionsHolder | undefined {
  const internal = (client as unknown as { s?: { options?: OptionsHolder } }).s?.options;
  const candidates = [internal, (client as { options?: OptionsHolder }).options];
  return candidates.find((o): o is OptionsHolder => o !== null && typeof o === 'object' && !Object.isFrozen(o));
}
