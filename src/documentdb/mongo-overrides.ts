import type { MongoClientOptions } from 'mongodb';
import { InvalidOptionError } from '../errors.js';

/**
 * The app's `mongoClientOptions`, read the way the driver reads them (mongodb 7,
 * lib/connection_string.js `parseOptions`): option names match case-insensitively (`TLS`,
 * `Tls` and `tls` are one option, the last one winning), `null` and `undefined` values are
 * dropped, `ssl` is an alias of `tls`, and a boolean option also takes `'true'`/`'false'`.
 * Checking only the exact spelling `tls` is what let `{ TLS: false }` turn TLS off.
 */

type Options = Record<string, unknown>;

/** Options that switch TLS on or off (lowercase, as the driver compares them). */
const TLS_SWITCHES = new Set(['tls', 'ssl']);

/**
 * Options that weaken certificate or hostname verification, with the values that weaken it.
 * `rejectUnauthorized` reaches `tls.connect` as given, where any falsy value disables
 * verification; a `checkServerIdentity` or `pskCallback` replaces the certificate check.
 */
const WEAKENERS: ReadonlyMap<string, (value: unknown) => boolean> = new Map([
  ['tlsinsecure', (value: unknown) => value !== false && value !== 'false'],
  ['tlsallowinvalidcertificates', (value: unknown) => value !== false && value !== 'false'],
  ['tlsallowinvalidhostnames', (value: unknown) => value !== false && value !== 'false'],
  ['rejectunauthorized', (value: unknown) => value !== true],
  ['checkserveridentity', () => true],
  ['pskcallback', () => true],
]);

/**
 * Options that give TLS trust anchors. Each implies TLS, and each would make the driver or Node
 * ignore a `tlsCAFile`: the driver reads the file only when `ca` is unset, Node prefers
 * `secureContext`.
 */
const CA_OPTIONS = new Set(['tlscafile', 'ca', 'securecontext']);

/** The driver's reading of a boolean option, or undefined for a value it would refuse. */
function driverBoolean(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** The key of `options` that the driver reads as `name` (compared in lowercase), if any. */
export function findOption(options: Readonly<Options>, name: string): string | undefined {
  return Object.keys(options).find((key) => key.toLowerCase() === name);
}

/**
 * Checks `mongoClientOptions` once, up front, and returns a frozen copy without the null and
 * undefined values the driver ignores. Refuses any spelling of `auth`, two spellings of one
 * option, a `tls`/`ssl` that is not a boolean, and what contradicts or hides a given CA file.
 */
export function checkMongoOverrides(given: Readonly<MongoClientOptions>, tlsCAFile: string | undefined): Readonly<MongoClientOptions> {
  const kept: Options = {};
  const seen = new Map<string, string>();
  // Own enumerable string keys, read once: what the driver's Object.entries sees, and a getter cannot change later.
  for (const [key, value] of Object.entries(given)) {
    const name = key.toLowerCase();
    if (name === 'auth') throw new InvalidOptionError(`mongoClientOptions.${key}`, 'is not allowed: the username and password come from the secret');
    if (value === null || value === undefined) continue;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new InvalidOptionError(`mongoClientOptions.${key}`, `is the same driver option as mongoClientOptions.${earlier} (the driver reads option names case-insensitively)`);
    }
    seen.set(name, key);
    if (TLS_SWITCHES.has(name) && driverBoolean(value) === undefined) throw new InvalidOptionError(`mongoClientOptions.${key}`, 'must be true or false');
    if (tlsCAFile !== undefined && CA_OPTIONS.has(name)) {
      throw new InvalidOptionError(`mongoClientOptions.${key}`, 'cannot be combined with tlsCAFile (the driver would ignore the CA file)');
    }
    kept[key] = value;
  }
  const caReason = caImpliesTls(kept, tlsCAFile);
  if (caReason !== undefined) checkTlsKept(kept, caReason);
  return Object.freeze(kept) as Readonly<MongoClientOptions>;
}

/**
 * Why TLS is required by the options alone: a CA was given (DESIGN 7.2, "a given CA file
 * implies TLS"), as `tlsCAFile` or as `mongoClientOptions` `tlsCAFile`, `ca` or `secureContext`.
 */
function caImpliesTls(overrides: Readonly<Options>, tlsCAFile: string | undefined): string | undefined {
  if (tlsCAFile !== undefined) return 'a CA file (tlsCAFile) was given, which turns TLS on';
  const key = Object.keys(overrides).find((k) => CA_OPTIONS.has(k.toLowerCase()));
  return key === undefined ? undefined : `a CA (mongoClientOptions.${key}) was given, which turns TLS on`;
}

/** Throws InvalidOptionError naming the first override that would turn TLS off or weaken its verification. */
function checkTlsKept(overrides: Readonly<Options>, reason: string): void {
  for (const [key, value] of Object.entries(overrides)) {
    const name = key.toLowerCase();
    if (TLS_SWITCHES.has(name) && driverBoolean(value) !== true) {
      throw new InvalidOptionError(`mongoClientOptions.${key}`, `cannot turn TLS off: ${reason}`);
    }
    if (WEAKENERS.get(name)?.(value) === true) {
      throw new InvalidOptionError(
        `mongoClientOptions.${key}`,
        `cannot weaken certificate or hostname verification: ${reason} (through a tunnel, set servername to the certificate's host name instead)`,
      );
    }
  }
}

/** Where TLS comes from for one secret version. */
export interface TlsRequirement {
  /** The secret's `ssl`. */
  readonly secretSsl: boolean;
  readonly secretId: string;
  readonly tlsCAFile: string | undefined;
}

/**
 * `defaults`, then `overrides`, then TLS: an override replaces a default in whatever spelling it
 * comes, and when the secret (`ssl: true`) or a CA file requires TLS, every `tls`/`ssl` spelling
 * of the overrides is removed and `tls: true` is set last, after the checks that nothing turns
 * it off or weakens its verification.
 */
export function mergeMongoOptions(defaults: Readonly<MongoClientOptions>, overrides: Readonly<MongoClientOptions>, tls: TlsRequirement): MongoClientOptions {
  const merged: Options = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    const replaced = findOption(merged, key.toLowerCase());
    if (replaced !== undefined) delete merged[replaced];
    merged[key] = value;
  }
  const reason = tls.secretSsl ? `secret "${tls.secretId}" requires TLS (ssl: true)` : caImpliesTls(overrides, tls.tlsCAFile);
  if (reason === undefined) return merged as MongoClientOptions;
  checkTlsKept(overrides, reason);
  for (const key of Object.keys(merged)) if (TLS_SWITCHES.has(key.toLowerCase())) delete merged[key];
  if (tls.tlsCAFile !== undefined) merged['tlsCAFile'] = tls.tlsCAFile;
  merged['tls'] = true;
  return merged as MongoClientOptions;
}
