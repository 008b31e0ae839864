import { InvalidSecretFormatError } from '../errors.js';
import { defineHidden, redactInstances } from '../internal/redact.js';
import type { SecretVersion } from '../secrets-manager/secret-version.js';

/** The `engine` values credstage connects to. */
export type DatabaseEngine = 'mongo' | 'redshift' | 'postgres';

/**
 * Every `engine` value (lower case) a secret may carry, and the engine it names: the one table of
 * engine names, read by the parsers and the rotation engine. A Map: a secret's text must never
 * reach Object.prototype.
 */
const ENGINE_NAMES: ReadonlyMap<string, DatabaseEngine> = new Map<string, DatabaseEngine>([
  ['mongo', 'mongo'],
  ['docdb', 'mongo'],
  ['documentdb', 'mongo'],
  ['redshift', 'redshift'],
  ['postgres', 'postgres'],
  ['postgresql', 'postgres'],
]);

/** The engine a secret's `engine` field names (in any case), or undefined when it names none credstage knows. */
export function engineNamed(name: unknown): DatabaseEngine | undefined {
  return typeof name === 'string' ? ENGINE_NAMES.get(name.toLowerCase()) : undefined;
}

/**
 * The largest SecretString Secrets Manager stores, in bytes; a larger value is refused as an
 * InvalidSecretFormatError.
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(text) > MAX_SECRET_BYTES) throw new Error('too large for Secrets Manager');
 * ```
 */
export const MAX_SECRET_BYTES = 65_536;

/** Fields shared by every database secret. `password` is readable but hidden from logs. */
export interface DatabaseSecret {
  readonly secretId: string;
  readonly versionId: string;
  readonly versionStages: readonly string[];
  readonly engine: DatabaseEngine;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname: string | undefined;
  /**
   * False only when the secret says `"ssl": false` (plaintext on purpose); a secret without the
   * field gets the engine's default, true (TLS with certificate verification, no plaintext fallback).
   */
  readonly ssl: boolean;
  /**
   * True when the secret has no `ssl` field, so `ssl` is the default: Redshift/PostgreSQL
   * connections then let libpq's `PGSSLMODE` choose. False or absent when the secret says it
   * (with `"ssl": true` nothing downgrades TLS).
   */
  readonly sslDefaulted?: boolean;
  /** ARN of the secret with admin credentials (alternating-users rotation). */
  readonly masterarn: string | undefined;
}

/** A DocumentDB secret: engine `mongo`, port 27017 unless set, TLS on unless `ssl` is false. */
export interface DocumentDbSecret extends DatabaseSecret {
  readonly engine: 'mongo';
}

/** A Redshift (or PostgreSQL) secret: port 5439 (5432), dbname `dev` (`postgres`) unless set. */
export interface RedshiftSecret extends DatabaseSecret {
  readonly engine: 'redshift' | 'postgres';
  readonly dbname: string;
}

class ParsedDatabaseSecret {
  constructor(fields: Omit<DatabaseSecret, 'password'>, password: string) {
    Object.assign(this, fields);
    defineHidden(this, 'password', password);
    Object.freeze(this);
  }
}
redactInstances(ParsedDatabaseSecret, ['password']);
Object.defineProperty(ParsedDatabaseSecret, 'name', { value: 'DatabaseSecret' });

/** How the secrets one kind of connection reads look: the defaults of their fields (FORMAT_OF: which engines it reads). */
interface SecretFormat {
  readonly label: string;
  readonly fallbackEngine: DatabaseEngine;
  readonly defaultPort: (engine: DatabaseEngine) => number;
  readonly defaultDbname: (engine: DatabaseEngine) => string | undefined;
  readonly defaultSsl: boolean;
}

const DOCUMENTDB: SecretFormat = {
  label: 'DocumentDB',
  fallbackEngine: 'mongo',
  defaultPort: () => 27017,
  defaultDbname: () => undefined,
  // DocumentDB clusters require TLS unless it was turned off on purpose.
  defaultSsl: true,
};

const REDSHIFT: SecretFormat = {
  label: 'Redshift',
  fallbackEngine: 'redshift',
  defaultPort: (engine) => (engine === 'postgres' ? 5432 : 5439),
  defaultDbname: (engine) => (engine === 'postgres' ? 'postgres' : 'dev'),
  // Most console-made secrets have no "ssl" field; their password must not travel in clear.
  defaultSsl: true,
};

/** Which connection's format reads the secrets of each engine. */
const FORMAT_OF: Readonly<Record<DatabaseEngine, SecretFormat>> = { mongo: DOCUMENTDB, redshift: REDSHIFT, postgres: REDSHIFT };

/** The `engine` values a format takes, in the table's order (for error messages). */
function engineNamesOf(format: SecretFormat): string[] {
  return [...ENGINE_NAMES].filter(([, engine]) => FORMAT_OF[engine] === format).map(([name]) => name);
}

class FieldReader {
  constructor(
    private readonly version: SecretVersion,
    private readonly secretId: string,
    private readonly json: Record<string, unknown>,
  ) {}

  fail(field: string | undefined, problem: string): never {
    throw new InvalidSecretFormatError({ secretId: this.secretId, versionId: this.version.versionId, field, problem });
  }

  /** The secret's own field: a key inherited from Object.prototype (polluted or not) is absent. */
  #own(field: string): unknown {
    return Object.hasOwn(this.json, field) ? this.json[field] : undefined;
  }

  string(field: string): string {
    const value = this.#own(field);
    if (value === undefined || value === null) this.fail(field, 'is missing');
    if (typeof value !== 'string' || value.length === 0) this.fail(field, 'must be a non-empty string');
    return value;
  }

  optionalString(field: string): string | undefined {
    const value = this.#own(field);
    return value === undefined || value === null || value === '' ? undefined : this.string(field);
  }

  port(fallback: number): number {
    const value = this.#own('port');
    if (value === undefined || value === null || value === '') return fallback;
    const port = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      this.fail('port', 'must be a whole number from 1 to 65535');
    }
    return port;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.#own(field);
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return this.fail(field, 'must be true or false');
  }

  /** True when `field` has a value (`boolean()` takes null and '' for absent too). */
  given(field: string): boolean {
    const value = Object.hasOwn(this.json, field) ? this.json[field] : undefined;
    return value !== undefined && value !== null && value !== '';
  }
}

function readJson(version: SecretVersion, secretId: string): Record<string, unknown> {
  const fail = (problem: string): never => {
    throw new InvalidSecretFormatError({ secretId, versionId: version.versionId, problem });
  };
  const text = version.secretString;
  if (text === undefined) return fail('is a binary secret; a database secret must be a JSON SecretString');
  if (text.trim().length === 0) return fail('is empty');
  if (Buffer.byteLength(text, 'utf8') > MAX_SECRET_BYTES) return fail(`is larger than ${MAX_SECRET_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The SyntaxError quotes the text, which is the secret: it is not kept as a cause.
    return fail('is not valid JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail('must be a JSON object');
  return json as Record<string, unknown>;
}

function parseWith(rules: SecretFormat, version: SecretVersion, secretId: string): DatabaseSecret {
  const read: FieldReader = new FieldReader(version, secretId, readJson(version, secretId));
  const engineName = read.optionalString('engine');
  const named = engineName === undefined ? rules.fallbackEngine : engineNamed(engineName);
  if (named === undefined || FORMAT_OF[named] !== rules) {
    read.fail('engine', `names an engine a ${rules.label} connection cannot use (expected ${engineNamesOf(rules).join(', ')})`);
  }
  const engine: DatabaseEngine = named;
  const fields = {
    secretId,
    versionId: version.versionId,
    versionStages: version.versionStages,
    engine,
    host: read.string('host'),
    port: read.port(rules.defaultPort(engine)),
    username: read.string('username'),
    dbname: read.optionalString('dbname') ?? rules.defaultDbname(engine),
    ssl: read.boolean('ssl', rules.defaultSsl),
    sslDefaulted: !read.given('ssl'),
    masterarn: read.optionalString('masterarn'),
  };
  return new ParsedDatabaseSecret(fields, read.string('password')) as unknown as DatabaseSecret;
}

/**
 * Validates a DocumentDB secret (`{ engine: "mongo", host, port, username, password, ssl }`).
 * A missing or bad field throws InvalidSecretFormatError naming the secret and the field.
 *
 * @example
 * ```ts
 * const secret = parseDocumentDbSecret(await cache.getSecretVersion('Applications/MyApp/Documentdb-instance'));
 * ```
 */
export function parseDocumentDbSecret(version: SecretVersion, secretId = version.name): DocumentDbSecret {
  return parseWith(DOCUMENTDB, version, secretId) as DocumentDbSecret;
}

/**
 * Validates a Redshift or PostgreSQL secret (`{ engine: "redshift" | "postgres", host, port, username, password, dbname, ssl }`).
 * Without an `ssl` field, `ssl` is true (TLS with certificate verification) and `sslDefaulted` true.
 *
 * @example
 * ```ts
 * const secret = parseRedshiftSecret(await cache.getSecretVersion('Applications/MyApp/Redshift'));
 * ```
 */
export function parseRedshiftSecret(version: SecretVersion, secretId = version.name): RedshiftSecret {
  return parseWith(REDSHIFT, version, secretId) as RedshiftSecret;
}

/**
 * Validates a secret of `engine` with the rules of the connection that reads it: DocumentDB's for
 * `mongo`, Redshift's for `redshift` and `postgres` (a secret without an `engine` field is read as
 * that connection's default engine).
 *
 * @example
 * ```ts
 * const master = parseSecretOf(current.engine, await cache.getSecretVersion(current.masterarn));
 * ```
 */
export function parseSecretOf(engine: DatabaseEngine, version: SecretVersion, secretId = version.name): DatabaseSecret {
  return parseWith(FORMAT_OF[engine], version, secretId);
}
