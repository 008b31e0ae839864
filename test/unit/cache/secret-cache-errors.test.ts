import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import {
  AccessDeniedError,
  CredstageError,
  DecryptionFailureError,
  InvalidParameterError,
  InvalidRequestError,
  SecretNotFoundError,
  ServiceUnavailableError,
  ThrottledError,
} from '../../../src/errors.js';
import { FakeServiceError } from '../../../src/testing/in-memory-secrets-manager.js';
import { attemptsWithin, eventLog, putVersion, secretsManagerWith } from './fixtures.js';

// p-retry's delays are setTimeout and its maxRetryTime reads performance.now(); vitest's fake
// timers fake both, and Date.now, which the cache reads through its default clock.
const ID = 'Applications/MyApp/Documentdb-instance';
const TTL_MS = 1_000;
const MAX_STALE_MS = 10_000;
const BACKOFF = { baseMs: 100, factor: 2, maxMs: 1_000 };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function setup(maxAttempts = 3) {
  const sm = await secretsManagerWith({ [ID]: 'v1' });
  const log = eventLog();
  const cache = new SecretCache({
    secretsManager: sm,
    ttlMs: TTL_MS,
    maxStaleMs: MAX_STALE_MS,
    backoff: BACKOFF,
    maxAttempts,
    random: () => 0, // entries expire exactly at the TTL
    onEvent: log.onEvent,
  });
  return { sm, cache, log };
}

function transientError(kind: string): string | Error {
  switch (kind) {
    case 'timeout':
      return Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    case 'network':
      return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    case 'http 503':
      return Object.assign(new Error('Service Unavailable'), { name: 'Unknown', $metadata: { httpStatusCode: 503 } });
    default:
      return kind;
  }
}


/** Reads the secret every 500 ms (fake timers) for the whole stale window, then 1 ms past it; returns what was served. */
async function readEvery500msThroughMaxStale(cache: { getSecretString(id: string): Promise<string> }): Promise<string[]> {
  const served: string[] = [];
  for (let t = 0; t < MAX_STALE_MS; t += 500) {
    served.push(await cache.getSecretString(ID));
    await vi.advanceTimersByTimeAsync(500);
  }
  await vi.advanceTimersByTimeAsync(1);
  return served;
}

describe('SecretCache during transient Secrets Manager failures', () => {
  it('serves the stale value during ThrottlingException and retries into later seconds (every 0.5 to 1 s) until maxStale', async () => {
    const { sm, cache } = await setup();
    await cache.getSecretString(ID);
    vi.advanceTimersByTime(TTL_MS);
    sm.injectFault({ command: 'GetSecretValue', error: transientError('ThrottlingException') });
    sm.calls.length = 0;

    const served = await readEvery500msThroughMaxStale(cache);

    // Throttling is counted per second: waits of [500, 1000] ms (BACKOFF.maxMs caps the window at 1 s).
    expect(served.every((v) => v === 'v1')).toBe(true);
    expect(sm.callCount('GetSecretValue')).toBeGreaterThanOrEqual(MAX_STALE_MS / 1_000);
    expect(sm.callCount('GetSecretValue')).toBeLessThanOrEqual(MAX_STALE_MS / 500 + 1);
  });

  it.each(['InternalServiceErrorException', 'timeout', 'network', 'http 503'])(
    'serves the stale value during %s and retries within the backoff schedule until maxStale',
    async (kind) => {
      const { sm, cache } = await setup();
      await cache.getSecretString(ID);
      vi.advanceTimersByTime(TTL_MS);
      sm.injectFault({ command: 'GetSecretValue', error: transientError(kind) });
      sm.calls.length = 0;

      const served = await readEvery500msThroughMaxStale(cache);

      const bound = attemptsWithin(MAX_STALE_MS, BACKOFF);
      expect(served.every((v) => v === 'v1')).toBe(true);
      expect(sm.callCount('GetSecretValue')).toBeGreaterThanOrEqual(bound.min);
      expect(sm.callCount('GetSecretValue')).toBeLessThanOrEqual(bound.max);
    },
  );

  it('recovers by itself when Secrets Manager heals, without a caller waiting', async () => {
    const { sm, cache, log } = await setup();
    await cache.getSecretString(ID);
    await putVersion(sm, ID, 'v2');
    vi.advanceTimersByTime(TTL_MS);
    sm.injectFault({ command: 'GetSecretValue', error: 'InternalServiceErrorException', times: 3 });

    const during = await cache.getSecretString(ID);
    // The longest three jittered delays: 2 * (100 + 200 + 400) ms; the new value is then fresh for a whole TTL.
    await vi.advanceTimersByTimeAsync(2 * (BACKOFF.baseMs * (1 + BACKOFF.factor + BACKOFF.factor ** 2)));
    const hitsBefore = cache.stats().hits;
    const after = await cache.getSecretString(ID);

    expect(during).toBe('v1');
    expect(after).toBe('v2');
    expect(cache.stats().hits).toBe(hitsBefore + 1);
    expect(log.events.filter((e) => e.type === 'error').map((e) => [e.error?.code, e.servingStale, e.background])).toEqual([
      ['ERR_SERVICE_UNAVAILABLE', true, true],
      ['ERR_SERVICE_UNAVAILABLE', true, true],
      ['ERR_SERVICE_UNAVAILABLE', true, true],
    ]);
  });

  it('once maxStale has passed, a caller gets the typed error after maxAttempts attempts', async () => {
    const { sm, cache } = await setup(3);
    await cache.getSecretString(ID);
    sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException' });
    vi.advanceTimersByTime(TTL_MS);
    await cache.getSecretString(ID); // starts the background retries
    await vi.advanceTimersByTimeAsync(MAX_STALE_MS);
    sm.calls.length = 0;

    const result = cache.getSecretString(ID).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const err = await result;

    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as ThrottledError).retryable).toBe(true);
    expect(sm.callCount('GetSecretValue')).toBe(3);
  });

  it('a caller with nothing cached gets the typed error after exactly maxAttempts attempts', async () => {
    const { sm, cache } = await setup(4);
    sm.injectFault({ command: 'GetSecretValue', error: 'InternalServiceErrorException' });

    const result = cache.getSecretString(ID).catch((e: unknown) => e);
    await vi.runAllTimersAsync();

    expect(await result).toBeInstanceOf(ServiceUnavailableError);
    expect(sm.callCount('GetSecretValue')).toBe(4);
    expect(cache.stats().errors).toBe(4);
  });

  it('waits with jittered exponential backoff between attempts', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // p-retry's jitter factor becomes 1
    const { sm, cache } = await setup(4);
    sm.injectFault({ command: 'GetSecretValue', error: 'InternalServiceErrorException' });

    const result = cache.getSecretString(ID).catch(() => undefined);
    const callsAt: number[] = [];
    for (const step of [0, 99, 1, 199, 1, 399, 1]) {
      await vi.advanceTimersByTimeAsync(step);
      callsAt.push(sm.callCount('GetSecretValue'));
    }
    await result;

    // Attempts at 0, 100, 300 and 700 ms.
    expect(callsAt).toEqual([1, 1, 2, 2, 3, 3, 4]);
  });
});

describe('SecretCache refresh during an outage', () => {
  // Regression: refresh() joined the background retry loop, which retries until maxStale
  // (default 1 h), so a forced refresh (DbCredentials' recovery step b) waited far past its budget.
  it('a refresh that joins a background retry loop gets the error after at most maxAttempts more attempts', async () => {
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    const backoff = { baseMs: 100, factor: 2, maxMs: 1_000 };
    const cache = new SecretCache({ secretsManager: sm, ttlMs: TTL_MS, maxStaleMs: 3_600_000, backoff, maxAttempts: 3, random: () => 0 });
    await cache.getSecretString(ID);
    vi.advanceTimersByTime(TTL_MS);
    sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException' });
    await cache.getSecretString(ID); // the background loop starts
    await vi.advanceTimersByTimeAsync(5_000);
    const callsBefore = sm.callCount('GetSecretValue');

    const refreshed = cache.refresh(ID).catch((e: unknown) => e);
    // Three attempts of the joined loop, each at most maxMs apart.
    await vi.advanceTimersByTimeAsync(3 * backoff.maxMs);
    let settled: unknown = 'still waiting';
    void refreshed.then((value) => (settled = value));
    await vi.advanceTimersByTimeAsync(0);

    expect(settled).toBeInstanceOf(ThrottledError);
    expect(sm.callCount('GetSecretValue') - callsBefore).toBeLessThanOrEqual(3);
    expect(await cache.getSecretString(ID)).toBe('v1'); // stale serving goes on
  });
});

describe('SecretCache on permanent Secrets Manager errors', () => {
  it.each([
    ['ResourceNotFoundException', SecretNotFoundError, 'ERR_SECRET_NOT_FOUND'],
    ['DecryptionFailureException', DecryptionFailureError, 'ERR_DECRYPTION_FAILURE'],
    ['AccessDeniedException', AccessDeniedError, 'ERR_ACCESS_DENIED'],
    ['InvalidParameterException', InvalidParameterError, 'ERR_INVALID_PARAMETER'],
    ['InvalidRequestException', InvalidRequestError, 'ERR_INVALID_REQUEST'],
  ] as const)('surfaces %s as %O at once, without retrying', async (name, type, code) => {
    const { sm, cache } = await setup();
    sm.injectFault({ command: 'GetSecretValue', error: name });

    const err = await cache.getSecretString(ID, { versionStage: 'AWSPENDING' }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ code, retryable: false, secretId: ID, versionStage: 'AWSPENDING' });
    expect((err as CredstageError).cause).toMatchObject({ name });
    expect(sm.callCount('GetSecretValue')).toBe(1);
  });

  it('a not-found answer to a background refresh drops the entry, so the next caller gets the error', async () => {
    const { sm, cache, log } = await setup();
    await cache.getSecretString(ID);
    vi.advanceTimersByTime(TTL_MS);
    sm.injectFault({ command: 'GetSecretValue', error: 'ResourceNotFoundException' });

    const stale = await cache.getSecretString(ID);
    await vi.advanceTimersByTimeAsync(0);
    const peeked = cache.peek(ID);
    const err = await cache.getSecretString(ID).catch((e: unknown) => e);

    expect(stale).toBe('v1');
    expect(peeked).toBeUndefined();
    expect(err).toBeInstanceOf(SecretNotFoundError);
    expect(log.events.find((e) => e.type === 'error')).toMatchObject({ background: true, servingStale: true });
  });

  // Regression (issue 10, A8): a failing credentials provider or an expired / unrecognised token
  // deleted a value still within maxStale. Only "the secret is gone" ends stale serving.
  it.each([
    ['CredentialsProviderError', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false })],
    ['ExpiredTokenException', new FakeServiceError('ExpiredTokenException', 'The security token included in the request is expired')],
    ['UnrecognizedClientException', new FakeServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.')],
    ['AccessDeniedException', new FakeServiceError('AccessDeniedException', 'not authorized to perform secretsmanager:GetSecretValue')],
    ['DecryptionFailureException', new FakeServiceError('DecryptionFailureException', 'KMS key is disabled')],
  ])('keeps serving the stale value until maxStale when a background refresh fails with %s, retrying on the backoff schedule', async (_name, error) => {
    const { sm, cache, log } = await setup();
    await cache.getSecretString(ID);
    vi.advanceTimersByTime(TTL_MS);
    sm.injectFault({ command: 'GetSecretValue', error });
    sm.calls.length = 0;

    const served = await readEvery500msThroughMaxStale(cache);
    const calls = sm.callCount('GetSecretValue');
    const waiting = cache.getSecretString(ID).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const afterMaxStale = await waiting;

    expect(served).toEqual(served.map(() => 'v1'));
    expect(calls).toBeLessThanOrEqual(attemptsWithin(MAX_STALE_MS, BACKOFF).max);
    expect(log.events.find((e) => e.type === 'error')).toMatchObject({ background: true, servingStale: true });
    expect(afterMaxStale).toBeInstanceOf(CredstageError);
  });

  it('a secret deleted while cached stops being served after the next background refresh', async () => {
    const { sm, cache } = await setup();
    await cache.getSecretString(ID);
    await sm.send({ name: 'DeleteSecret', input: { SecretId: ID } });
    vi.advanceTimersByTime(TTL_MS);

    await cache.getSecretString(ID);
    await vi.advanceTimersByTimeAsync(0);
    const err = await cache.getSecretString(ID).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidRequestError);
  });
});
