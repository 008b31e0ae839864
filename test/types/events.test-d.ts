import { describe, expectTypeOf, it } from 'vitest';
import { SecretCache, type CacheEvent, type CredstageError, type LoginEvent } from '../../src/index.js';
import type { DocumentDbClientEvent } from '../../src/documentdb/index.js';
import type { RedshiftEvent } from '../../src/redshift/index.js';
import type { SchedulerEvent } from '../../src/rotation/index.js';

describe('CacheEvent', () => {
  it('narrows by type to the fields each kind carries', () => {
    const onEvent = (event: CacheEvent): void => {
      if (event.type === 'error') {
        expectTypeOf(event.error).toEqualTypeOf<CredstageError>();
        expectTypeOf(event.servingStale).toEqualTypeOf<boolean>();
        expectTypeOf(event.background).toEqualTypeOf<boolean>();
      }
      if (event.type === 'refresh') {
        expectTypeOf(event.versionId).toEqualTypeOf<string>();
        expectTypeOf(event.previousVersionId).toEqualTypeOf<string | undefined>();
        expectTypeOf(event).not.toHaveProperty('error');
      }
      if (event.type === 'hit' || event.type === 'stale-served') expectTypeOf(event.versionId).toEqualTypeOf<string>();
      if (event.type === 'miss') expectTypeOf(event).not.toHaveProperty('servingStale');
      if (event.type === 'auth-recovery') {
        expectTypeOf(event.failedVersionId).toEqualTypeOf<string>();
        expectTypeOf(event.recoveredFrom).toEqualTypeOf<'cached-current' | 'current' | 'pending'>();
      }
      if (event.type === 'pending-refused') expectTypeOf(event.differingFields).toEqualTypeOf<readonly string[]>();
    };
    expectTypeOf(onEvent).toBeFunction();
  });

  it('shares only type, secretId and versionId across its kinds', () => {
    expectTypeOf<keyof CacheEvent>().toEqualTypeOf<'type' | 'secretId' | 'versionId'>();
  });
});

describe('SchedulerEvent', () => {
  it('narrows by type to the fields each kind carries', () => {
    const onEvent = (event: SchedulerEvent): void => {
      expectTypeOf(event.at).toEqualTypeOf<Date>();
      if (event.type === 'rotation-failed' || event.type === 'retry' || event.type === 'error') {
        expectTypeOf(event.error).toEqualTypeOf<{ code: string; message: string }>();
      }
      if (event.type === 'retry') expectTypeOf(event.attempt).toEqualTypeOf<number>();
      if (event.type === 'step') {
        expectTypeOf(event.step).toEqualTypeOf<string>();
        expectTypeOf(event.durationMs).toEqualTypeOf<number>();
        expectTypeOf(event.warning).toEqualTypeOf<string | undefined>();
      }
      if (event.type === 'overdue' || event.type === 'rotation-started' || event.type === 'rotation-succeeded') {
        expectTypeOf(event.dueAt).toEqualTypeOf<Date>();
      }
      if (event.type === 'error') expectTypeOf(event).not.toHaveProperty('clientRequestToken');
      else expectTypeOf(event.clientRequestToken).toEqualTypeOf<string>();
    };
    expectTypeOf(onEvent).toBeFunction();
  });
});

describe('LoginEvent', () => {
  it('carries an error code only when the login failed', () => {
    const onLogin = (event: LoginEvent): void => {
      if (event.outcome === 'ok') expectTypeOf(event).not.toHaveProperty('errorCode');
      else expectTypeOf(event.errorCode).toEqualTypeOf<string | undefined>();
    };
    expectTypeOf(onLogin).toBeFunction();
  });

  it('is what the DocumentDB and Redshift listeners narrow to on type "login"', () => {
    const onDocumentDb = (event: DocumentDbClientEvent): void => {
      if (event.type === 'login') expectTypeOf(event).toEqualTypeOf<LoginEvent>();
      if (event.type === 'client-switch') expectTypeOf(event.reason).toEqualTypeOf<'auth-failure' | 'current-changed'>();
      if (event.type === 'error') expectTypeOf(event.servingStale).toEqualTypeOf<boolean>();
    };
    const onRedshift = (event: RedshiftEvent): void => {
      if (event.type === 'login') expectTypeOf(event).toEqualTypeOf<LoginEvent>();
      if (event.type === 'auth-recovery') expectTypeOf(event.versionId).toEqualTypeOf<string>();
    };
    expectTypeOf(onDocumentDb).toBeFunction();
    expectTypeOf(onRedshift).toBeFunction();
  });
});

describe('SecretCache.getSecretJson', () => {
  it('resolves to the type argument, and to unknown without one', () => {
    const cache = new SecretCache();
    expectTypeOf(cache.getSecretJson<{ host: string; port: number }>('db')).toEqualTypeOf<Promise<{ host: string; port: number }>>();
    expectTypeOf(cache.getSecretJson('db')).toEqualTypeOf<Promise<unknown>>();
  });
});
