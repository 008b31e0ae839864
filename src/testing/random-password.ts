import { randomInt } from 'node:crypto';

/**
 * The punctuation GetRandomPassword draws from.
 *
 * @example
 * ```ts
 * const hasPunctuation = [...password].some((c) => PUNCTUATION.includes(c));
 * ```
 */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

/** The inputs of GetRandomPassword, as the SDK names them. */
export interface RandomPasswordInput {
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeLowercase?: boolean;
  IncludeSpace?: boolean;
  RequireEachIncludedType?: boolean;
}

/**
 * A password with GetRandomPassword's rules (length 32 by default, every included type
 * present by default), drawn with `crypto.randomInt`. Returns undefined where the rules
 * leave no character to draw from or the length cannot hold every required type.
 *
 * @example
 * ```ts
 * randomPassword({ PasswordLength: 20, ExcludeCharacters: '/@"\'\\' });
 * ```
 */
export function randomPassword(input: RandomPasswordInput): string | undefined {
  const length = input.PasswordLength ?? 32;
  const excluded = new Set(input.ExcludeCharacters ?? '');
  const keep = (chars: string): string => [...chars].filter((c) => !excluded.has(c)).join('');
  const classes = [
    input.ExcludeUppercase ? '' : keep(UPPER),
    input.ExcludeLowercase ? '' : keep(LOWER),
    input.ExcludeNumbers ? '' : keep(DIGITS),
    input.ExcludePunctuation ? '' : keep(PUNCTUATION),
    input.IncludeSpace ? keep(' ') : '',
  ].filter((chars) => chars.length > 0);
  const all = classes.join('');
  const requireEach = input.RequireEachIncludedType ?? true;
  if (all.length === 0 || length < 1 || (requireEach && length < classes.length)) return undefined;
  const chars = requireEach ? classes.map(pick) : [];
  while (chars.length < length) chars.push(pick(all));
  // Fisher-Yates, so the required characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

function pick(chars: string): string {
  return chars[randomInt(chars.length)]!;
}
