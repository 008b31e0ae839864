import { describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { secretsManagerWith } from './fixtures.js';

const ID = 'Applications/MyApp/Documentdb-instance';
// A minute between attempts: on real timers the test would time out long before.
const BACKOFF = { baseMs: 60_000, factor: 1, maxMs: 60_000 };

/** Lets every promise that can settle settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('SecretCache retries on an injected clock', () => {
  it('waits between attempts on the clock it was given (sleep), so a fake clock drives the retries', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    sm.injectFault({ command: 'GetSecretValue', error: 'InternalServiceErrorException', times: 1 });
    const cache = new SecretCache({ secretsManager: sm, clock, backoff: BACKOFF, random: () => 0 });
    const reading = cache.getSecretString(ID);
    await settle();
    expect(clock.pendingSleeps).toBe(1);
    clock.advance(59_999);
    await settle();
    expect(sm.calls.filter((c) => c.command === 'GetSecretValue')).toHaveLength(1);
    clock.advance(1);
    expect(await reading).toBe('v1');
    expect(sm.calls.filter((c) => c.command === 'GetSecretValue')).toHaveLength(2);
    await cache.close();
  });

  it('retries a background refresh on the clock too, serving the stale value meanwhile', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    const cache = new SecretCache({ secretsManager: sm, clock, backoff: BACKOFF, ttlMs: 1_000, random: () => 0 });
    await cache.getSecretString(ID);
    sm.injectFault({ command: 'GetSecretValue', error: 'InternalServiceErrorException', times: 1 });
    clock.advance(1_000);
    expect(await cache.getSecretString(ID)).toBe('v1'); // served stale while the refresh retries
    await settle();
    expect(clock.pendingSleeps).toBe(1);
    clock.advance(60_000);
    await settle();
    expect(sm.calls.filter((c) => c.command === 'GetSecretValue')).toHaveLength(3);
    await cache.close();
  });

  it('a throttled read waits into the next second (at least 500 ms), not the short transient backoff', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException', times: 1 });
    const cache = new SecretCache({ secretsManager: sm, clock, backoff: { baseMs: 100, factor: 2, maxMs: 1_000 }, random: () => 0 });
    const reading = cache.getSecretString(ID);
    await settle();
    clock.advance(499);
    await settle();
    expect(sm.callCount('GetSecretValue')).toBe(1);
    clock.advance(1);
    expect(await reading).toBe('v1');
    expect(sm.callCount('GetSecretValue')).toBe(2);
    await cache.close();
  });
});

describe('SecretCache TTL refreshes at fleet scale', () => {
  it('jitters only the first fetch of a key; a refresh lasts the whole TTL (reads per hour stay <= 3600 / TTL)', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    const cache = new SecretCache({ secretsManager: sm, clock, ttlMs: 1_000, random: () => 0.5 });
    await cache.getSecretString(ID); // first fetch: expires at 3/4 of the TTL
    clock.advance(750);
    await cache.getSecretString(ID); // stale: one background refresh
    await settle();
    expect(sm.callCount('GetSecretValue')).toBe(2);
    clock.advance(999);
    await cache.getSecretString(ID);
    await settle();
    expect(sm.callCount('GetSecretValue')).toBe(2); // the refreshed value is fresh for the whole TTL
    clock.advance(1);
    await cache.getSecretString(ID);
    await settle();
    expect(sm.callCount('GetSecretValue')).toBe(3);
    await cache.close();
  });
});
