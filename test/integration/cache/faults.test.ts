import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { createSecretsManagerClient } from '../../../src/secrets-manager/client.js';
import { CredstageError, ServiceUnavailableError, ThrottledError } from '../../../src/errors.js';
import { FaultProxy, type FaultMode } from '../../support/fault-proxy.js';
import { motoClient } from '../../support/moto.js';
import { servers } from '../../support/servers.js';
import { attemptsWithin } from '../../unit/cache/fixtures.js';

/**
 * Faults over real HTTP: an SDK client talks to moto through FaultProxy. Short TTL and backoff
 * keep each case to a couple of seconds; counts are bounded by the backoff schedule.
 */
const TTL_MS = 200;
const BACKOFF = { baseMs: 50, factor: 2, maxMs: 400 };
const FAULT_MS = 1_500;
const REQUEST_TIMEOUT_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let proxy: FaultProxy;
let moto: SecretsManagerClient;
const clients: SecretsManagerClient[] = [];

beforeAll(async () => {
  proxy = await FaultProxy.start(servers().moto.endpoint);
  moto = motoClient();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  moto?.destroy();
  await proxy?.close();
});

function cacheThroughProxy(maxAttempts = 3): SecretCache {
  // SDK retries stay off (credstage's default): the cache's backoff is the only retry layer.
  const client = createSecretsManagerClient({
    endpoint: proxy.endpoint,
    region: servers().moto.region,
    // This SDK's requestTimeout only logs a warning unless throwOnRequestTimeout is set.
    requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true, connectionTimeout: REQUEST_TIMEOUT_MS },
  });
  clients.push(client);
  return new SecretCache({ secretsManager: client, ttlMs: TTL_MS, maxStaleMs: 60_000, backoff: BACKOFF, maxAttempts, random: () => 0 });
}

async function newSecret(value: string): Promise<string> {
  const name = `faults/${randomUUID()}`;
  await moto.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return name;
}

/** Attempts the cache made, seen where they can be seen: at the proxy, or (refused) at the cache. */
function attempts(cache: SecretCache, mode: FaultMode): number {
  return mode.kind === 'refuse' ? cache.stats().fetches : mode.kind === 'reset' ? proxy.counts.connections : proxy.counts.requests;
}

const faults: Array<[string, FaultMode, new (...args: never[]) => CredstageError, string]> = [
  ['connection refused', { kind: 'refuse' }, ServiceUnavailableError, 'ECONNREFUSED'],
  ['connection reset', { kind: 'reset' }, ServiceUnavailableError, 'ECONNRESET'],
  ['HTTP 500', { kind: 'http500' }, ServiceUnavailableError, 'unavailable'],
  ['ThrottlingException', { kind: 'throttle' }, ThrottledError, 'throttled'],
  ['a 5 s stall (request timeout)', { kind: 'stall', stallMs: 5_000 }, ServiceUnavailableError, 'timed out'],
];

describe.each(faults)('SecretCache through a proxy with %s', (_name, mode, errorType, messagePart) => {
  it('serves the stale value, backs off within the schedule, and recovers by itself when the proxy heals', async () => {
    const name = await newSecret('v1');
    const cache = cacheThroughProxy();
    expect(await cache.getSecretString(name)).toBe('v1');
    await moto.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }));
    await proxy.setMode(mode);
    await sleep(TTL_MS);
    const attemptsBefore = attempts(cache, mode);

    // Fault window: every read answers at once with the stale value.
    const startedAt = performance.now();
    const served: string[] = [];
    while (performance.now() - startedAt < FAULT_MS) {
      served.push(await cache.getSecretString(name));
      await sleep(50);
    }
    const windowMs = performance.now() - startedAt;
    const faultAttempts = attempts(cache, mode) - attemptsBefore;
    await proxy.setMode({ kind: 'pass' });

    // Healing: no refresh() from the test; the background loop's next attempt brings v2 in.
    let healed: string | undefined;
    for (let i = 0; i < 100 && healed !== 'v2'; i++) {
      await sleep(50);
      healed = await cache.getSecretString(name);
    }

    expect(new Set(served)).toEqual(new Set(['v1']));
    expect(faultAttempts).toBeGreaterThanOrEqual(2);
    expect(faultAttempts).toBeLessThanOrEqual(attemptsWithin(windowMs + BACKOFF.maxMs, BACKOFF).max);
    expect(healed).toBe('v2');
    expect(cache.stats().staleServed).toBeGreaterThanOrEqual(served.length);
    await cache.close();
  });

  it('a caller with nothing cached gets the typed error after exactly maxAttempts attempts', async () => {
    const name = await newSecret('v1');
    const cache = cacheThroughProxy(3);
    await proxy.setMode(mode);
    const attemptsBefore = attempts(cache, mode);

    const err = await cache.getSecretString(name).catch((e: unknown) => e);
    const made = attempts(cache, mode) - attemptsBefore;
    await proxy.setMode({ kind: 'pass' });

    expect(err).toBeInstanceOf(errorType);
    expect((err as CredstageError).retryable).toBe(true);
    expect((err as Error).message).toContain(messagePart);
    expect(made).toBe(3);
    expect(await cache.getSecretString(name)).toBe('v1');
    await cache.close();
  });
});

describe('SecretCache when the SDK cannot get AWS credentials', () => {
  // Regression (issue 10, A8): a credentials provider that fails for a moment (IMDS or STS
  // unreachable) made the background refresh delete a value still within maxStale.
  it('keeps serving the stale value while the credentials provider fails, and refreshes once it works again', async () => {
    const name = await newSecret('v1');
    let providerFails = false;
    const client = createSecretsManagerClient({
      endpoint: servers().moto.endpoint,
      region: servers().moto.region,
      // Shaped like @smithy/property-provider's CredentialsProviderError, which every SDK provider throws.
      credentials: async () => {
        if (providerFails) throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });
        // Near expiry, so the SDK asks the provider again on every request instead of reusing these.
        return { accessKeyId: 'testing', secretAccessKey: 'testing', expiration: new Date(Date.now() + 1_000) };
      },
    });
    clients.push(client);
    const events: Array<{ type: string; code?: string | undefined; servingStale?: boolean | undefined }> = [];
    const cache = new SecretCache({
      secretsManager: client,
      ttlMs: TTL_MS,
      maxStaleMs: 60_000,
      backoff: BACKOFF,
      random: () => 0,
      onEvent: (e) => events.push(e.type === 'error' ? { type: e.type, code: e.error.code, servingStale: e.servingStale } : { type: e.type }),
    });
    expect(await cache.getSecretString(name)).toBe('v1');
    await moto.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }));
    providerFails = true;
    await sleep(TTL_MS);

    const served: string[] = [];
    for (let i = 0; i < 10; i++) {
      served.push(await cache.getSecretString(name));
      await sleep(50);
    }
    providerFails = false;
    let healed: string | undefined;
    for (let i = 0; i < 100 && healed !== 'v2'; i++) {
      await sleep(50);
      healed = await cache.getSecretString(name);
    }

    expect(served).toEqual(served.map(() => 'v1'));
    expect(events).toContainEqual({ type: 'error', code: 'ERR_AWS_CREDENTIALS', servingStale: true });
    expect(healed).toBe('v2');
    await cache.close();
  });
});
