import { describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { eventLog, GatedClient, manualClock, putVersion, secretsManagerWith, settle } from './fixtures.js';

const ID = 'Applications/MyApp/Documentdb-instance';
const TTL_MS = 10_000;

async function setup(options: { random?: () => number; maxStaleMs?: number; maxEntries?: number } = {}) {
  const clock = manualClock();
  const sm = await secretsManagerWith({ [ID]: 'v1', other: 'o1', third: 't1' }, clock);
  const gate = new GatedClient(sm);
  const log = eventLog();
  const cache = new SecretCache({ secretsManager: gate, clock, ttlMs: TTL_MS, random: () => 0, ...options, onEvent: log.onEvent });
  return { clock, sm, gate, cache, log };
}

describe('SecretCache TTL with jitter', () => {
  it.each([0, 0.25, 0.5, 0.75, 0.999_999])('with random() = %s the value is fresh at ttl/2 and expired at ttl', async (r) => {
    const { clock, sm, cache } = await setup({ random: () => r });
    await cache.getSecretString(ID);

    clock.advance(TTL_MS / 2);
    await cache.getSecretString(ID);
    const callsAtHalf = sm.callCount('GetSecretValue');
    clock.advance(TTL_MS / 2);
    await cache.getSecretString(ID);
    await settle();

    expect(callsAtHalf).toBe(1);
    expect(sm.callCount('GetSecretValue')).toBe(2);
  });

  it('expires at now + ttl * (1 - random / 2): random() = 0.5 gives 3/4 of the TTL', async () => {
    const { clock, sm, cache } = await setup({ random: () => 0.5 });
    await cache.getSecretString(ID);

    clock.advance(TTL_MS * 0.75 - 1);
    await cache.getSecretString(ID);
    const callsBefore = sm.callCount('GetSecretValue');
    clock.advance(1);
    await cache.getSecretString(ID);
    await settle();

    expect(callsBefore).toBe(1);
    expect(sm.callCount('GetSecretValue')).toBe(2);
  });
});

describe('SecretCache TTL jitter across a fleet', () => {
  it('a forced refresh expires at a jittered point: processes that refresh by force at one instant do not refresh again at one instant', async () => {
    const clock = manualClock();
    const sm = await secretsManagerWith({ [ID]: 'v1' }, clock);
    const fleet = Array.from({ length: 10 }, (_, i) => ({ cache: new SecretCache({ secretsManager: sm, clock, ttlMs: TTL_MS, random: () => i / 10 }), next: -1 }));
    for (const p of fleet) await p.cache.getSecretString(ID);
    // A rotation: every process reads AWSCURRENT by force in the same instant (recovery after a rejected login).
    for (const p of fleet) await p.cache.refresh(ID);
    const forcedAt = clock.now();

    for (let t = 0; t <= TTL_MS; t += 100) {
      for (const p of fleet) {
        const before = sm.callCount('GetSecretValue');
        await p.cache.getSecretString(ID);
        await settle();
        if (p.next < 0 && sm.callCount('GetSecretValue') > before) p.next = clock.now() - forcedAt;
      }
      clock.advance(100);
    }

    expect(new Set(fleet.map((p) => p.next)).size).toBeGreaterThanOrEqual(5);
  });
});

describe('SecretCache stale-while-revalidate', () => {
  it('past the TTL returns the cached value at once while one background refresh runs', async () => {
    const { clock, sm, gate, cache, log } = await setup();
    await cache.getSecretString(ID);
    await putVersion(sm, ID, 'v2');
    clock.advance(TTL_MS);
    gate.hold();

    // The source cannot answer while held: resolving proves the callers did not wait on it.
    const served = await Promise.all(Array.from({ length: 100 }, () => cache.getSecretString(ID)));
    const refreshesWhileHeld = log.types().filter((t) => t === 'refresh').length;

    expect(served.every((v) => v === 'v1')).toBe(true);
    expect(gate.waiting).toBe(1);
    expect(refreshesWhileHeld).toBe(1); // only the initial load
    gate.release();
    await settle();
    expect(await cache.getSecretString(ID)).toBe('v2');
    expect(sm.callCount('GetSecretValue')).toBe(2);
    expect(log.events.filter((e) => e.type === 'refresh').at(-1)).toMatchObject({ background: true, versionStage: 'AWSCURRENT' });
  });

  it('counts each stale answer and emits stale-served', async () => {
    const { clock, cache, log } = await setup();
    await cache.getSecretString(ID);
    clock.advance(TTL_MS);

    await cache.getSecretString(ID);
    await cache.getSecretString(ID);
    await settle();

    expect(cache.stats().staleServed).toBe(2);
    expect(log.types().filter((t) => t === 'stale-served')).toHaveLength(2);
  });

  it('past maxStale the caller waits for Secrets Manager instead of getting the old value', async () => {
    const { clock, sm, gate, cache } = await setup({ maxStaleMs: 5_000 });
    await cache.getSecretString(ID);
    await putVersion(sm, ID, 'v2');
    clock.advance(TTL_MS + 5_000);
    gate.hold();

    let settled = false;
    const pending = cache.getSecretString(ID).finally(() => (settled = true));
    await settle();
    const settledWhileHeld = settled;
    gate.release();

    expect(settledWhileHeld).toBe(false);
    expect(await pending).toBe('v2');
    expect(cache.stats().misses).toBe(2);
  });

  it('serves a fresh value as a hit again once the background refresh landed', async () => {
    const { clock, sm, cache } = await setup();
    await cache.getSecretString(ID);
    clock.advance(TTL_MS);
    await cache.getSecretString(ID);
    await settle();

    const hitsBefore = cache.stats().hits;
    await cache.getSecretString(ID);

    expect(cache.stats().hits).toBe(hitsBefore + 1);
    expect(sm.callCount('GetSecretValue')).toBe(2);
  });
});

describe('SecretCache bounds, peek, invalidate and stats', () => {
  it('keeps at most maxEntries, evicting the least recently used', async () => {
    const { sm, cache } = await setup({ maxEntries: 2 });
    await cache.getSecretString(ID);
    await cache.getSecretString('other');
    await cache.getSecretString(ID); // ID is now more recent than "other"
    await cache.getSecretString('third');

    const sizeAfter = cache.stats().size;
    const callsBefore = sm.callCount('GetSecretValue');
    await cache.getSecretString(ID);
    const idStillCached = sm.callCount('GetSecretValue') === callsBefore;
    await cache.getSecretString('other');

    expect(sizeAfter).toBe(2);
    expect(idStillCached).toBe(true);
    expect(sm.callCount('GetSecretValue')).toBe(callsBefore + 1);
  });

  it('peek returns a cached version without a request, expired ones too, and undefined for unknown keys', async () => {
    const { clock, sm, cache } = await setup();
    await cache.getSecretString(ID);
    clock.advance(TTL_MS * 10);

    const seen = cache.peek(ID);
    const unknown = cache.peek(ID, { versionStage: 'AWSPENDING' });

    expect(seen?.secretString).toBe('v1');
    expect(unknown).toBeUndefined();
    expect(sm.callCount('GetSecretValue')).toBe(1);
  });

  it('invalidate(secretId) drops every stage of that secret and leaves other secrets alone', async () => {
    const { sm, cache } = await setup();
    await putVersion(sm, ID, 'p', ['AWSPENDING']);
    await sm.send({ name: 'CreateSecret', input: { Name: `${ID}2`, SecretString: 'x' } });
    await cache.getSecretString(ID);
    await cache.getSecretString(ID, { versionStage: 'AWSPENDING' });
    await cache.getSecretString(`${ID}2`);
    await cache.getSecretString('other');

    cache.invalidate(ID);

    expect(cache.peek(ID)).toBeUndefined();
    expect(cache.peek(ID, { versionStage: 'AWSPENDING' })).toBeUndefined();
    expect(cache.peek(`${ID}2`)).toBeDefined();
    expect(cache.peek('other')).toBeDefined();
    expect(cache.stats().size).toBe(2);
  });

  // Regression: a request in flight when invalidate() ran was joined by the next read and stored
  // its answer afterwards, so the value from before the invalidation came back (and could
  // overwrite the newer one fetched after it).
  it('after invalidate(secretId), a read does not get the answer of a request sent before it', async () => {
    const { sm, gate, cache } = await setup();
    gate.hold();
    const before = cache.getSecretString(ID); // answered with v1, held
    await settle();
    await putVersion(sm, ID, 'v2');

    cache.invalidate(ID);
    const after = cache.getSecretString(ID); // must send its own request: v2
    await settle();
    gate.release();

    expect(await before).toBe('v1');
    expect(await after).toBe('v2');
    await settle();
    expect(cache.peek(ID)?.secretString).toBe('v2');
    expect(sm.callCount('GetSecretValue')).toBe(2);
  });

  it('after invalidate(), an earlier request in flight does not store its answer', async () => {
    const { sm, gate, cache } = await setup();
    gate.hold();
    const before = cache.getSecretString('other');
    await settle();

    cache.invalidate();
    gate.release();
    await before;

    expect(cache.peek('other')).toBeUndefined();
    expect(sm.callCount('GetSecretValue')).toBe(1);
  });

  it('invalidate() drops everything, and the next read fetches again', async () => {
    const { sm, cache } = await setup();
    await cache.getSecretString(ID);
    await cache.getSecretString('other');

    cache.invalidate();
    await cache.getSecretString(ID);

    expect(cache.stats().size).toBe(1);
    expect(sm.callCount('GetSecretValue')).toBe(3);
  });

  it('counts hits, misses, fetches, stale answers and errors', async () => {
    const { clock, sm, cache } = await setup();
    await cache.getSecretString(ID); // miss + fetch
    await cache.getSecretString(ID); // hit
    await cache.getSecretString(ID); // hit
    clock.advance(TTL_MS);
    await cache.getSecretString(ID); // stale + background fetch
    await settle();
    sm.injectFault({ command: 'GetSecretValue', error: 'ResourceNotFoundException', times: 1 });
    await cache.getSecretString('other').catch(() => undefined); // miss + fetch + error

    expect(cache.stats()).toEqual({ hits: 2, misses: 2, fetches: 3, staleServed: 1, errors: 1, size: 1 });
  });
});
