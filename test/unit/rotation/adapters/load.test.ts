import { describe, expect, it, vi } from 'vitest';
import { CredstageError, MissingDependencyError } from '../../../../src/errors.js';

// What Node's import gives when `pg` is not installed (vitest wraps a throwing factory, so the
// failure comes from reading the export).
vi.mock('../../../../src/rotation/adapters/postgres.js', () => ({
  get createPostgresAdapter(): never {
    throw Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
  },
}));

describe('loadAdapter', () => {
  it('rejects with a non-retryable MissingDependencyError naming the package when the driver is not installed', async () => {
    const { loadAdapter } = await import('../../../../src/rotation/adapters/load.js');

    const err: unknown = await loadAdapter('redshift', { connectTimeoutMs: 1000, queryTimeoutMs: 1000, tlsCAFile: undefined }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MissingDependencyError);
    expect(err).toBeInstanceOf(CredstageError);
    expect(err).toMatchObject({ code: 'ERR_MISSING_DEPENDENCY', dependency: 'pg', retryable: false });
    expect((err as Error).message).toContain('npm install pg');
  });
});
