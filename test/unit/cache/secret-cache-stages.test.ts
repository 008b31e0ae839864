import { describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { GatedClient, getSecretValueInputs, manualClock, putVersion, secretsManagerWith, settle } from './fixtures.js';

const ID = 'Applications/MyApp/Documentdb-instance';

/** A secret with v1 as AWSPREVIOUS, v2 as AWSCURRENT, v3 as AWSPENDING and v4 labelled "blue". */
async function rotatedSecret() {
  const clock = manualClock();
  const sm = await secretsManagerWith({ [ID]: 'v1' }, clock);
  const [v1] = Object.keys((await sm.send({ name: 'DescribeSecret', input: { SecretId: ID } })).VersionIdsToStages);
  await putVersion(sm, ID, 'v2');
  await putVersion(sm, ID, 'v3', ['AWSPENDING']);
  await putVersion(sm, ID, 'v4', ['blue']);
  sm.calls.length = 0;
  return { sm, clock, v1: v1! };
}

describe('SecretCache stage keys', () => {
  it('keeps AWSCURRENT, AWSPENDING, AWSPREVIOUS, a custom label and a version id as separate entries', async () => {
    const { sm, clock, v1 } = await rotatedSecret();
    const cache = new SecretCache({ secretsManager: sm, clock });

    const read = () =>
      Promise.all([
        cache.getSecretString(ID),
        cache.getSecretString(ID, { versionStage: 'AWSPENDING' }),
        cache.getSecretString(ID, { versionStage: 'AWSPREVIOUS' }),
        cache.getSecretString(ID, { versionStage: 'blue' }),
        cache.getSecretString(ID, { versionId: v1 }),
      ]);
    const first = await read();
    const second = await read();

    expect(first).toEqual(['v2', 'v3', 'v1', 'v4', 'v1']);
    expect(second).toEqual(first);
    expect(sm.callCount('GetSecretValue')).toBe(5);
    expect(cache.stats().size).toBe(5);
  });

  it('treats an explicit AWSCURRENT and the default as the same entry', async () => {
    const { sm, clock } = await rotatedSecret();
    const cache = new SecretCache({ secretsManager: sm, clock });

    await cache.getSecretString(ID);
    await cache.getSecretString(ID, { versionStage: 'AWSCURRENT' });

    expect(sm.callCount('GetSecretValue')).toBe(1);
  });

  it('names the stage or the version id on every GetSecretValue, AWSCURRENT included', async () => {
    const { sm, clock, v1 } = await rotatedSecret();
    const cache = new SecretCache({ secretsManager: sm, clock });

    await cache.getSecretString(ID);
    await cache.getSecretVersion(ID, { versionStage: 'AWSPENDING' });
    await cache.getSecretString(ID, { versionStage: 'blue' });
    await cache.getSecretString(ID, { versionId: v1 });
    await cache.refresh(ID);

    expect(getSecretValueInputs(sm)).toEqual([
      { SecretId: ID, VersionStage: 'AWSCURRENT' },
      { SecretId: ID, VersionStage: 'AWSPENDING' },
      { SecretId: ID, VersionStage: 'blue' },
      { SecretId: ID, VersionId: v1 },
      { SecretId: ID, VersionStage: 'AWSCURRENT' },
    ]);
  });

  it('sends nothing but GetSecretValue on the read path', async () => {
    const { sm, clock, v1 } = await rotatedSecret();
    const cache = new SecretCache({ secretsManager: sm, clock, ttlMs: 1000 });

    await cache.getSecretJson(ID, { versionStage: 'blue' }).catch(() => undefined);
    await cache.getSecretVersion(ID, { versionId: v1 });
    await cache.getSecretString(ID);
    clock.advance(1000);
    await cache.getSecretString(ID);
    await cache.refresh(ID, { versionStage: 'AWSPENDING' });
    await settle();

    expect(new Set(sm.calls.map((call) => call.command))).toEqual(new Set(['GetSecretValue']));
  });

  it('returns the version metadata with the value', async () => {
    const { sm, clock, v1 } = await rotatedSecret();
    const cache = new SecretCache({ secretsManager: sm, clock });

    const version = await cache.getSecretVersion(ID, { versionStage: 'AWSPREVIOUS' });

    expect(version.versionId).toBe(v1);
    expect(version.versionStages).toEqual(['AWSPREVIOUS']);
    expect(version.name).toBe(ID);
    expect(version.arn).toMatch(/^arn:aws:secretsmanager:/);
    expect(version.createdDate).toBeInstanceOf(Date);
    expect(version.secretString).toBe('v1');
  });

  it('rejects versionStage combined with versionId, naming the option', async () => {
    const { sm, v1 } = await rotatedSecret();
    const cache = new SecretCache({ secretsManager: sm });

    const err = await cache.getSecretString(ID, { versionStage: 'AWSCURRENT', versionId: v1 }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe('versionStage');
    expect(sm.callCount('GetSecretValue')).toBe(0);
  });

  it('rejects an empty secret id, naming the option', async () => {
    const cache = new SecretCache({ secretsManager: await secretsManagerWith({}) });

    const err = await cache.getSecretString('').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe('secretId');
  });
});

describe('SecretCache single-flight', () => {
  it('sends one GetSecretValue for 1,000 concurrent callers of an uncached secret', async () => {
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    const gate = new GatedClient(sm);
    const cache = new SecretCache({ secretsManager: gate });
    gate.hold();

    const callers = Array.from({ length: 1000 }, () => cache.getSecretString(ID));
    await settle();
    gate.release();
    const values = await Promise.all(callers);

    expect(sm.callCount('GetSecretValue')).toBe(1);
    expect(new Set(values)).toEqual(new Set(['v1']));
    expect(cache.stats()).toMatchObject({ misses: 1000, fetches: 1 });
  });

  it('sends one request per key when different stages are asked for at once', async () => {
    const { sm, clock } = await rotatedSecret();
    const cache = new SecretCache({ secretsManager: sm, clock });

    await Promise.all([
      ...Array.from({ length: 50 }, () => cache.getSecretString(ID)),
      ...Array.from({ length: 50 }, () => cache.getSecretString(ID, { versionStage: 'AWSPENDING' })),
    ]);

    expect(getSecretValueInputs(sm).map((input) => input['VersionStage']).sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('refresh fetches even while the value is fresh and stores what it got', async () => {
    const clock = manualClock();
    const sm = await secretsManagerWith({ [ID]: 'v1' }, clock);
    const cache = new SecretCache({ secretsManager: sm, clock });
    await cache.getSecretString(ID);
    await putVersion(sm, ID, 'v2');

    const refreshed = await cache.refresh(ID);
    const after = await cache.getSecretString(ID);

    expect(refreshed.secretString).toBe('v2');
    expect(after).toBe('v2');
    expect(sm.callCount('GetSecretValue')).toBe(2);
  });

  it('concurrent refresh calls share one request, and join a miss already in flight', async () => {
    const sm = await secretsManagerWith({ [ID]: 'v1' });
    const gate = new GatedClient(sm);
    const cache = new SecretCache({ secretsManager: gate });
    gate.hold();

    const miss = cache.getSecretString(ID);
    const refreshes = Array.from({ length: 100 }, () => cache.refresh(ID));
    await settle();
    gate.release();
    await Promise.all([miss, ...refreshes]);

    expect(sm.callCount('GetSecretValue')).toBe(1);
  });
});
