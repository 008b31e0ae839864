import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { passwordRequestFor } from '../../../src/rotation/password-policy.js';
import { passwordProblem } from '../../../src/rotation/password-policy.js';
import { randomPassword } from '../../../src/testing/random-password.js';

describe('password policy per engine', () => {
  it.each(['__proto__', 'constructor', 'toString', 'mysql'])('refuses the engine "%s" with InvalidOptionError naming engine', (engine) => {
    let err: unknown;
    try {
      passwordRequestFor(engine as never);
    } catch (e) {
      err = e;
    }

    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe('engine');
  });

  it('excludes / @ " \' \\ for DocumentDB', () => {
    const request = passwordRequestFor('mongo');

    expect([...request.ExcludeCharacters].sort()).toEqual(['"', "'", '/', '@', '\\'].sort());
    expect(request.PasswordLength).toBe(32);
    expect(request.RequireEachIncludedType).toBe(true);
  });

  it("excludes ' \" \\ / @ and space for Redshift and requires every character type", () => {
    const request = passwordRequestFor('redshift');

    expect([...request.ExcludeCharacters].sort()).toEqual([' ', '"', "'", '/', '@', '\\'].sort());
    expect(request.IncludeSpace).toBe(false);
    expect(request.RequireEachIncludedType).toBe(true);
  });

  it("adds the caller's exclusions to the engine's own and takes the length", () => {
    const request = passwordRequestFor('redshift', { length: 40, excludeCharacters: '%&' });

    expect(request.PasswordLength).toBe(40);
    expect(request.ExcludeCharacters).toContain('%');
    expect(request.ExcludeCharacters).toContain('@');
  });

  it.each([
    ['redshift', { length: 7 }, 'passwordPolicy.length'],
    ['redshift', { length: 65 }, 'passwordPolicy.length'],
    ['mongo', { length: 101 }, 'passwordPolicy.length'],
    ['redshift', { excludeUppercase: true }, 'passwordPolicy'],
    ['redshift', { excludeCharacters: '0123456789' }, 'passwordPolicy'],
    ['redshift', { includeSpace: true }, 'passwordPolicy.includeSpace'],
    ['postgres', { excludeNumbers: true, excludeLowercase: true, excludeUppercase: true, excludePunctuation: true }, 'passwordPolicy'],
    ['postgres', { length: 2.5 }, 'passwordPolicy.length'],
    ['postgres', { excludePunctuation: 'yes' }, 'passwordPolicy.excludePunctuation'],
  ] as const)('refuses for %s the policy %j, naming %s', (engine, policy, option) => {
    const attempt = () => passwordRequestFor(engine, policy as never);

    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option }));
  });

  it('finds every password GetRandomPassword makes for the request acceptable (200 draws per engine)', () => {
    for (const engine of ['mongo', 'redshift', 'postgres'] as const) {
      const request = passwordRequestFor(engine, { length: 12 });
      for (let i = 0; i < 200; i++) expect(passwordProblem(engine, request, randomPassword(request))).toBeUndefined();
    }
  });

  it('catches a password that breaks the request, without quoting it', () => {
    const request = passwordRequestFor('redshift', { length: 10 });

    const problems = [
      passwordProblem('redshift', request, 'Abcdefgh1@'),
      passwordProblem('redshift', request, 'Abcdefgh1'),
      passwordProblem('redshift', request, 'abcdefgh12'),
      passwordProblem('redshift', request, 'Abcd efgh1'),
      passwordProblem('postgres', passwordRequestFor('postgres', { length: 35 }), `md5${'a'.repeat(32)}`),
    ];

    expect(problems).toEqual([
      'contains an excluded character',
      'has the wrong length (expected 10)',
      'has no upper-case letter',
      'contains an excluded character',
      'looks like a password hash',
    ]);
  });
});
