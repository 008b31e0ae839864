import { InvalidOptionError } from '../errors.js';
import type { DatabaseEngine } from '../credentials/parse.js';

/**
 * How new passwords look. Every field is optional; the engine's own rules always apply on top:
 * DocumentDB 8–100 characters without `/ @ " ' \`; Redshift 8–64 characters with an upper-case
 * letter, a lower-case letter and a digit, without `' " \ / @` or space; PostgreSQL 8–1024.
 */
export interface PasswordPolicy {
  /** Characters. Default 32. */
  length?: number;
  /** Characters never to use, added to the engine's own exclusions. */
  excludeCharacters?: string;
  excludePunctuation?: boolean;
  excludeNumbers?: boolean;
  excludeUppercase?: boolean;
  excludeLowercase?: boolean;
  includeSpace?: boolean;
}

/** The GetRandomPassword request for a policy, as the SDK names its fields. */
export interface RandomPasswordRequest {
  readonly PasswordLength: number;
  readonly ExcludeCharacters: string;
  readonly ExcludePunctuation: boolean;
  readonly ExcludeNumbers: boolean;
  readonly ExcludeUppercase: boolean;
  readonly ExcludeLowercase: boolean;
  readonly IncludeSpace: boolean;
  readonly RequireEachIncludedType: true;
}

/** What one database engine accepts as a password. */
interface EnginePasswordRules {
  readonly label: string;
  readonly minLength: number;
  readonly maxLength: number;
  readonly exclude: string;
  /** Character classes the engine demands at least one of. */
  readonly require: readonly ('upper' | 'lower' | 'digit')[];
  readonly allowSpace: boolean;
}

const REDSHIFT: EnginePasswordRules = {
  label: 'Redshift',
  minLength: 8,
  maxLength: 64,
  exclude: `'"\\/@ `,
  require: ['upper', 'lower', 'digit'],
  allowSpace: false,
};

/**
 * The engines' own password rules, applied on top of any {@link PasswordPolicy}.
 *
 * @example
 * ```ts
 * ENGINE_PASSWORD_RULES.redshift.maxLength; // 64
 * ```
 */
export const ENGINE_PASSWORD_RULES: Readonly<Record<DatabaseEngine, EnginePasswordRules>> = Object.freeze({
  mongo: { label: 'DocumentDB', minLength: 8, maxLength: 100, exclude: `/@"'\\`, require: [], allowSpace: true },
  redshift: REDSHIFT,
  postgres: { label: 'PostgreSQL', minLength: 8, maxLength: 1024, exclude: '', require: [], allowSpace: true },
});

const CLASSES = {
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  lower: 'abcdefghijklmnopqrstuvwxyz',
  digit: '0123456789',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
} as const;

const DEFAULT_LENGTH = 32;
const FLAGS = ['excludePunctuation', 'excludeNumbers', 'excludeUppercase', 'excludeLowercase', 'includeSpace'] as const;

/**
 * Checks a policy's shape (types and GetRandomPassword's limits) without knowing the engine.
 * Throws InvalidOptionError naming the field.
 *
 * @example
 * ```ts
 * checkPasswordPolicy({ length: 40, excludeCharacters: '%' });
 * ```
 */
export function checkPasswordPolicy(policy: PasswordPolicy | undefined, option = 'passwordPolicy'): void {
  if (policy === undefined) return;
  if (policy === null || typeof policy !== 'object') throw new InvalidOptionError(option, 'must be an object');
  const { length, excludeCharacters } = policy;
  if (length !== undefined && (!Number.isInteger(length) || length < 1 || length > 4096)) {
    throw new InvalidOptionError(`${option}.length`, 'must be a whole number of characters from 1 to 4096');
  }
  if (excludeCharacters !== undefined && (typeof excludeCharacters !== 'string' || excludeCharacters.length > 4096)) {
    throw new InvalidOptionError(`${option}.excludeCharacters`, 'must be a string of at most 4096 characters');
  }
  for (const flag of FLAGS) {
    if (policy[flag] !== undefined && typeof policy[flag] !== 'boolean') {
      throw new InvalidOptionError(`${option}.${flag}`, 'must be true or false');
    }
  }
}

/**
 * The GetRandomPassword request for `engine` under `policy`, or InvalidOptionError when the
 * engine would reject every password the policy allows (too short or long for it, a character
 * class it demands excluded, space where it forbids space).
 *
 * @example
 * ```ts
 * const request = passwordRequestFor('redshift', { length: 40 });
 * await client.send(new GetRandomPasswordCommand(request));
 * ```
 */
export function passwordRequestFor(engine: DatabaseEngine, policy: PasswordPolicy = {}, option = 'passwordPolicy'): RandomPasswordRequest {
  checkPasswordPolicy(policy, option);
  // Own keys only: a caller's "__proto__" or "constructor" must not find Object.prototype's members.
  if (typeof engine !== 'string' || !Object.hasOwn(ENGINE_PASSWORD_RULES, engine)) {
    throw new InvalidOptionError('engine', `must be one of ${Object.keys(ENGINE_PASSWORD_RULES).join(', ')}`);
  }
  const rules = ENGINE_PASSWORD_RULES[engine];
  const length = policy.length ?? DEFAULT_LENGTH;
  if (length < rules.minLength || length > rules.maxLength) {
    throw new InvalidOptionError(`${option}.length`, `must be from ${rules.minLength} to ${rules.maxLength} characters for ${rules.label}`);
  }
  if (policy.includeSpace && !rules.allowSpace) {
    throw new InvalidOptionError(`${option}.includeSpace`, `must be false: ${rules.label} passwords cannot contain a space`);
  }
  const exclude = [...new Set(rules.exclude + (policy.excludeCharacters ?? ''))].join('');
  const pools = {
    upper: policy.excludeUppercase ? '' : without(CLASSES.upper, exclude),
    lower: policy.excludeLowercase ? '' : without(CLASSES.lower, exclude),
    digit: policy.excludeNumbers ? '' : without(CLASSES.digit, exclude),
    punctuation: policy.excludePunctuation ? '' : without(CLASSES.punctuation, exclude),
  };
  for (const kind of rules.require) {
    if (pools[kind] === '') {
      throw new InvalidOptionError(option, `leaves no ${describeClass(kind)}, which every ${rules.label} password needs`);
    }
  }
  const included = Object.values(pools).filter((pool) => pool !== '').length + (policy.includeSpace ? 1 : 0);
  if (included === 0) throw new InvalidOptionError(option, 'excludes every character');
  if (length < included) {
    throw new InvalidOptionError(`${option}.length`, `must be at least ${included} to hold one character of each included type`);
  }
  return Object.freeze({
    PasswordLength: length,
    ExcludeCharacters: exclude,
    ExcludePunctuation: policy.excludePunctuation ?? false,
    ExcludeNumbers: policy.excludeNumbers ?? false,
    ExcludeUppercase: policy.excludeUppercase ?? false,
    ExcludeLowercase: policy.excludeLowercase ?? false,
    IncludeSpace: policy.includeSpace ?? false,
    RequireEachIncludedType: true,
  });
}

/**
 * What is wrong with `password` under `request` and the engine's rules, or undefined when nothing
 * is. Guards against a Secrets Manager (or a fake) that ignored the request: such a password
 * would be set in the database and then refused or mangled. Never returns the password.
 */
export function passwordProblem(engine: DatabaseEngine, request: RandomPasswordRequest, password: unknown): string | undefined {
  if (typeof password !== 'string') return 'is not a string';
  if ([...password].length !== request.PasswordLength) return `has the wrong length (expected ${request.PasswordLength})`;
  if ([...password].some((c) => request.ExcludeCharacters.includes(c))) return 'contains an excluded character';
  if (!request.IncludeSpace && password.includes(' ')) return 'contains a space';
  if ([...password].some((c) => c < ' ' || c > '~')) return 'contains a character outside printable ASCII';
  for (const kind of ENGINE_PASSWORD_RULES[engine].require) {
    if (![...password].some((c) => CLASSES[kind].includes(c))) return `has no ${describeClass(kind)}`;
  }
  // PostgreSQL and Redshift store such a string as a ready-made hash, not as the password.
  if (engine !== 'mongo' && /^(md5[0-9a-f]{32}$|SCRAM-SHA-256\$|sha256\|)/.test(password)) return 'looks like a password hash';
  return undefined;
}

function without(chars: string, exclude: string): string {
  return [...chars].filter((c) => !exclude.includes(c)).join('');
}

function describeClass(kind: 'upper' | 'lower' | 'digit'): string {
  return kind === 'upper' ? 'upper-case letter' : kind === 'lower' ? 'lower-case letter' : 'digit';
}
