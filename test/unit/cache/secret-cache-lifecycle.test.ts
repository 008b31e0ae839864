import { inspect } from 'node:util';
import { assert, describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { ClosedError, InvalidOptionError, InvalidSecretFormatError, ThrottledError } from '../../../src/errors.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { eventLog, GatedClient, manualClock, putVersion, secretsManagerWith, settle } from './fixtures.js';

const ID = 'Applications/MyApp/Documentdb-instance';
const PASSWORD = 'S3cr3t-Pa55word-do-not-log';
const JSON_SECRET = JSON.stringify({ username: 'app', password: PASSWORD, nested: { hosts: ['a', 'b'] } });

describe('SecretCache options', () => {
  it.each([
    ['ttlMs', { ttlMs: -1 }],
    ['ttlMs', { ttlMs: Number.NaN }],
    ['ttlMs', { ttlMs: '300' }],
    ['maxEntries', { maxEntries: 0 }],
    ['maxEntries', { maxEntries: Number.POSITIVE_INFINITY }],
    ['maxStaleMs', { maxStaleMs: -5 }],
    ['maxAttempts', { maxAttempts: 0 }],
    ['maxAttempts', { maxAttempts: 101 }],
    ['backoff.baseMs', { backoff: { baseMs: -1 } }],
    ['backoff.factor', { backoff: { factor: 0.5 } }],
    ['backoff.maxMs', { backoff: { maxMs: Number.NaN } }],
    ['clock', { clock: { now: 5 } }],
    ['random', { random: 0.5 }],
    ['onEvent', { onEvent: 'log' }],
    ['secretsManager', { secretsManager: { get: () => undefined } }],
    ['secretsManagerConfig', { secretsManager: new InMemorySecretsManager(), secretsManagerConfig: { region: 'us-east-1' } }],
  ])('throws InvalidOptionError naming %s', (option, options) => {
    let err: unknown;
    try {
      new SecretCache(options as never);
    } catch (e) {
      err = e;
    }

    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe(option);
    expect((err as Error).message).toContain(`"${option}"`);
  });

  it('resolves the documented defaults into a frozen config', () => {
    const cache = new SecretCache({ secretsManager: new InMemorySecretsManager() });

    expect(cache.config).toMatchObject({
      ttlMs: 300_000,
      maxEntries: 1024,
      maxStaleMs: 3_600_000,
      maxAttempts: 3,
      backoff: { baseMs: 200, factor: 2, maxMs: 20_000 },
    });
    expect(Object.isFrozen(cache.config)).toBe(true);
    expect(Object.isFrozen(cache.config.backoff)).toBe(true);
  });
});

describe('SecretCache close', () => {
  it('is safe to call twice', async () => {
    const cache = new SecretCache({ secretsManager: await secretsManagerWith({ [ID]: 'v1' }) });

    await cache.close();

    await expect(cache.close()).resolves.toBeUndefined();
  });

  it('rejects every read after close with ClosedError, without a request', async () => {
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    const cache = new SecretCache({ secretsManager: sm });
    await cache.getSecretString(ID);
    await cache.close();

    const results = await Promise.allSettled([
      cache.getSecretString(ID),
      cache.getSecretBinary(ID),
      cache.getSecretJson(ID),
      cache.getSecretVersion(ID),
      cache.refresh(ID),
    ]);

    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ClosedError);
    }
    expect(sm.callCount('GetSecretValue')).toBe(1);
    expect(cache.stats().size).toBe(0);
  });

  // Regression: close() aborted p-retry with the default reason, so a caller waiting on a
  // request got a DOMException AbortError instead of a credstage error.
  it('rejects a caller that was waiting on a request when close() ran with ClosedError', async () => {
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    const gate = new GatedClient(sm);
    const cache = new SecretCache({ secretsManager: gate });
    gate.hold();

    const waiting = cache.getSecretString(ID).catch((e: unknown) => e);
    await settle();
    await cache.close();
    gate.release();

    expect(await waiting).toBeInstanceOf(ClosedError);
  });

  it('stops background retries when closed', async () => {
    const clock = manualClock();
    const sm = await secretsManagerWith({ [ID]: 'v1' }, clock);
    const cache = new SecretCache({ secretsManager: sm, clock, ttlMs: 1000, backoff: { baseMs: 1, maxMs: 2 } });
    await cache.getSecretString(ID);
    clock.advance(1000);
    sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException' });
    await cache.getSecretString(ID);
    await settle();

    await cache.close();
    const callsAtClose = sm.callCount('GetSecretValue');
    await new Promise((resolve) => setTimeout(resolve, 30));

    expect(sm.callCount('GetSecretValue')).toBeLessThanOrEqual(callsAtClose + 1);
  });
});

describe('SecretCache events', () => {
  it('emits miss, refresh, hit, stale-served and error with the key, never the value', async () => {
    const clock = manualClock();
    const sm = await secretsManagerWith({ [ID]: JSON_SECRET }, clock);
    const log = eventLog();
    const cache = new SecretCache({ secretsManager: sm, clock, ttlMs: 1000, random: () => 0, onEvent: log.onEvent });

    await cache.getSecretJson(ID);
    await cache.getSecretJson(ID);
    clock.advance(1000);
    sm.injectFault({ command: 'GetSecretValue', error: 'AccessDeniedException', times: 1 });
    await cache.getSecretString(ID);
    await settle();

    expect(log.types()).toEqual(['miss', 'refresh', 'hit', 'stale-served', 'error']);
    for (const event of log.events) expect(event).toMatchObject({ secretId: ID, versionStage: 'AWSCURRENT' });
    expect(log.events[1]).toMatchObject({ background: false, previousVersionId: undefined });
    expect(log.events[4]).toMatchObject({ background: true, servingStale: true });
    const failed = log.events[4];
    assert(failed?.type === 'error');
    expect(failed.error.code).toBe('ERR_ACCESS_DENIED');
    expect(JSON.stringify(log.events)).not.toContain(PASSWORD);
    expect(inspect(log.events, { depth: 10 })).not.toContain(PASSWORD);
  });

  it('keeps serving when the listener throws', async () => {
    const clock = manualClock();
    const sm = await secretsManagerWith({ [ID]: 'v1' }, clock);
    let calls = 0;
    const cache = new SecretCache({
      secretsManager: sm,
      clock,
      ttlMs: 1000,
      onEvent: () => {
        calls++;
        throw new Error('listener is broken');
      },
    });

    const first = await cache.getSecretString(ID);
    await putVersion(sm, ID, 'v2');
    clock.advance(1000);
    const stale = await cache.getSecretString(ID);
    await settle();
    const refreshed = await cache.getSecretString(ID);

    expect([first, stale, refreshed]).toEqual(['v1', 'v1', 'v2']);
    expect(calls).toBeGreaterThanOrEqual(5);
  });
});

describe('SecretCache values', () => {
  it('parses JSON once per version and shares one deep-frozen object', async () => {
    const sm = await secretsManagerWith({ [ID]: JSON_SECRET });
    const cache = new SecretCache({ secretsManager: sm });

    const a = await cache.getSecretJson<{ password: string; nested: { hosts: string[] } }>(ID);
    const b = await cache.getSecretJson<{ password: string; nested: { hosts: string[] } }>(ID);

    expect(a).toBe(b);
    expect(a.password).toBe(PASSWORD);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.nested)).toBe(true);
    expect(Object.isFrozen(a.nested.hosts)).toBe(true);
  });

  it('rejects invalid JSON with InvalidSecretFormatError that does not quote the text', async () => {
    const sm = await secretsManagerWith({ [ID]: `{"password": "${PASSWORD}"` });
    const cache = new SecretCache({ secretsManager: sm });

    const err = await cache.getSecretJson(ID).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidSecretFormatError);
    expect((err as Error).message).toContain(ID);
    expect((err as Error).message).not.toContain(PASSWORD);
    expect((err as Error).cause).toBeUndefined();
    expect(inspect(err, { depth: 10 })).not.toContain(PASSWORD);
  });

  it('returns binary secrets as bytes and refuses them as strings or JSON', async () => {
    const sm = new InMemorySecretsManager();
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    await sm.send({ name: 'CreateSecret', input: { Name: 'tls-key', SecretBinary: bytes } });
    const cache = new SecretCache({ secretsManager: sm });

    const got = await cache.getSecretBinary('tls-key');
    const asString = await cache.getSecretString('tls-key').catch((e: unknown) => e);
    const asJson = await cache.getSecretJson('tls-key').catch((e: unknown) => e);

    expect([...got]).toEqual([...bytes]);
    expect(asString).toBeInstanceOf(InvalidSecretFormatError);
    expect(asJson).toBeInstanceOf(InvalidSecretFormatError);
    expect(sm.callCount('GetSecretValue')).toBe(1);
  });

  it('gives every caller its own copy of a binary secret: zeroing one leaves the cache and later callers intact', async () => {
    const sm = new InMemorySecretsManager();
    const bytes = [0, 1, 2, 253, 254, 255];
    await sm.send({ name: 'CreateSecret', input: { Name: 'tls-key', SecretBinary: new Uint8Array(bytes) } });
    const cache = new SecretCache({ secretsManager: sm });

    (await cache.getSecretBinary('tls-key')).fill(0);
    (await cache.getSecretVersion('tls-key')).secretBinary!.fill(0);
    cache.peek('tls-key')!.secretBinary!.fill(0);
    const direct = await sm.send({ name: 'GetSecretValue', input: { SecretId: 'tls-key', VersionStage: 'AWSCURRENT' } });
    (direct.SecretBinary as Uint8Array).fill(0);

    expect([...(await cache.getSecretBinary('tls-key'))]).toEqual(bytes);
    expect([...(await cache.getSecretVersion('tls-key')).secretBinary!]).toEqual(bytes);
    expect([...cache.peek('tls-key')!.secretBinary!]).toEqual(bytes);
    expect([...(await cache.refresh('tls-key')).secretBinary!]).toEqual(bytes); // the fake's stored value too
  });

  it('refuses a string secret as bytes', async () => {
    const cache = new SecretCache({ secretsManager: await secretsManagerWith({ [ID]: 'v1' }) });

    await expect(cache.getSecretBinary(ID)).rejects.toBeInstanceOf(InvalidSecretFormatError);
  });

  it('hides the value of a SecretVersion from inspect, JSON.stringify, keys and spread', async () => {
    const cache = new SecretCache({ secretsManager: await secretsManagerWith({ [ID]: JSON_SECRET }) });

    const version = await cache.getSecretVersion(ID);

    expect(version.secretString).toBe(JSON_SECRET);
    expect(inspect(version, { depth: 10 })).not.toContain(PASSWORD);
    expect(inspect(version)).toContain('[redacted]');
    expect(JSON.stringify(version)).not.toContain(PASSWORD);
    expect(Object.keys(version)).not.toContain('secretString');
    expect({ ...version }).not.toHaveProperty('secretString');
  });
});

describe('SecretCache with an injected clock', () => {
  // Regression: the background retry window was computed from the injected clock but enforced
  // by p-retry on performance.now(), so with a clock other than Date.now the retries went on
  // (and a caller past maxStale waited on them) for the window's length in real time.
  it('stops background retries once the injected clock passes maxStale', async () => {
    const clock = manualClock();
    const sm = await secretsManagerWith({ [ID]: 'v1' }, clock);
    const cache = new SecretCache({
      secretsManager: sm,
      clock,
      ttlMs: 1000,
      maxStaleMs: 3_600_000,
      random: () => 0,
      backoff: { baseMs: 1, factor: 1, maxMs: 1 },
    });
    await cache.getSecretString(ID);
    clock.advance(1000);
    sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException' });
    await cache.getSecretString(ID);
    await new Promise((resolve) => setTimeout(resolve, 10));

    clock.advance(3_600_000);
    const callsAtExpiry = sm.callCount('GetSecretValue');
    const err = await cache.getSecretString(ID).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ThrottledError);
    // The background loop makes at most one more attempt; the caller then retries maxAttempts times.
    expect(sm.callCount('GetSecretValue') - callsAtExpiry).toBeLessThanOrEqual(1 + 3);
  });
});
