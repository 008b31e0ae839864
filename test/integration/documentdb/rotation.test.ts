import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { inspect } from 'node:util';
import type { Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../tools/demo/load.js';
import { getDocumentDbClient, type ClientSwitchEvent, type DocumentDbClientEvent } from '../../../src/documentdb/index.js';
import { CHURNING_POOL, mixedWorkload, verifyWorkload, type LoadDoc } from '../../support/documentdb-load.js';
import { alternatingRotator, singleUserRotator, sleep, userWithSecret, useDocumentDbFixtures } from './helpers.js';
import { uniqueName } from '../../support/names.js';
import { SecretCache } from '../../../src/cache/secret-cache.js';

const DB = 'credstage_it';
const STALL_MS = 10_000;

describe('getDocumentDbClient under rotation (FerretDB + moto, AWS-template rotator)', () => {
  const fx = useDocumentDbFixtures();

  const switchesOf = (events: DocumentDbClientEvent[]): ClientSwitchEvent[] =>
    events.filter((e): e is ClientSwitchEvent => e.type === 'client-switch');

  it('loses and duplicates no operation through 20 single-user rotations under continuous mixed load, retrying rejected logins and cleared pools', async () => {
    const { secretId } = await userWithSecret(fx.sm, fx.admin);
    const events: DocumentDbClientEvent[] = [];
    const client = await getDocumentDbClient({ secretId, secretsManager: fx.sm, mongoClientOptions: CHURNING_POOL, onEvent: (e) => events.push(e) });
    const name = uniqueName('load');
    const items = client.db(DB).collection<LoadDoc>(name); // taken once, before the first rotation
    const runId = randomUUID();
    const workload = mixedWorkload((fn) => fn(items), runId);
    const rotator = singleUserRotator(fx.sm, fx.admin, secretId);
    let rotating = true;
    try {
      const load = runLoad({ concurrency: 6, op: workload.op, running: () => rotating, maxDurationMs: 50_000, thinkMs: 10 });
      await sleep(300);
      for (let i = 0; i < 20; i++) await rotator.rotate({ pauseMs: 500 });
      await sleep(300);
      rotating = false;
      const result = await load;

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.ok).toBeGreaterThan(100);
      // The rotations did reach the client: it logged in with rejected passwords and switched.
      // Back-to-back rotations can outpace the rate-limited recovery, which then skips to the newest version.
      expect(client.stats().switchesAfterAuthFailure).toBeGreaterThanOrEqual(5);
      // Both kinds of failure before the server were met and retried: rejected logins, and
      // checkouts waiting in the pool (6 workers, 4 connections) when the pool was cleared.
      const retried = new Set(events.flatMap((e) => (e.type === 'operation-retry' ? [e.error] : [])));
      expect([...retried]).toEqual(expect.arrayContaining(['MongoServerError [18]', 'MongoPoolClearedError']));
      const check = await verifyWorkload(fx.admin.db(DB).collection<LoadDoc>(name), runId, workload.inserted);
      expect(check.missing).toEqual([]);
      expect(check.duplicated).toEqual([]);
      expect(check.unexpected).toEqual([]);
      expect(check.documents).toBe(workload.inserted.length);
      expect(check.updatedTwice).toEqual([]);
      expect(check.incrementSum).toBe(workload.updatesApplied());
      // No password in any event or in the client's inspect output.
      const { value } = await rotator.readStage('AWSCURRENT');
      expect(JSON.stringify(events)).not.toContain(value.password);
      expect(inspect(client, { depth: 10 })).not.toContain(value.password);
    } finally {
      rotating = false;
      await client.close();
    }
  });

  it('serves every operation while a rotation stalls for 10 s after the password change, without waiting for the stall', async () => {
    const { secretId } = await userWithSecret(fx.sm, fx.admin);
    const client = await getDocumentDbClient({ secretId, secretsManager: fx.sm, mongoClientOptions: CHURNING_POOL });
    const name = uniqueName('stall');
    const items = client.db(DB).collection<LoadDoc>(name);
    const workload = mixedWorkload((fn) => fn(items), randomUUID());
    const rotator = singleUserRotator(fx.sm, fx.admin, secretId);
    let running = true;
    try {
      const load = runLoad({ concurrency: 4, op: workload.op, running: () => running, maxDurationMs: 40_000, thinkMs: 10 });
      await sleep(300);
      const generationBefore = client.stats().generation;
      const { token, oldVersionId } = await rotator.beginRotation(); // AWSCURRENT keeps the old password
      await sleep(STALL_MS / 5);
      // A process starting in the middle of the stall: AWSCURRENT is rejected, AWSPENDING works.
      const late = await getDocumentDbClient({ secretId, secretsManager: fx.sm });
      await late.db(DB).collection<LoadDoc>(name).insertOne({ _id: `late-${token}`, run: 'late', n: 0 });
      const lateVersion = late.versionId;
      await late.close();
      await sleep(STALL_MS - STALL_MS / 5);
      const generationInStall = client.stats().generation;
      await rotator.finishRotation(token, oldVersionId);
      await sleep(300);
      running = false;
      const result = await load;

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(generationInStall).toBeGreaterThan(generationBefore); // it met the new password inside the stall
      expect(lateVersion).toBe(token);
      // Behaviour, not performance: no operation sat out the stall.
      expect(Math.max(...result.latenciesMs)).toBeLessThan(STALL_MS / 2);
    } finally {
      running = false;
      await client.close();
    }
  });

  it('keeps every operation working through alternating-users rotations and switches between the two users', async () => {
    const { secretId, username } = await userWithSecret(fx.sm, fx.admin);
    const events: DocumentDbClientEvent[] = [];
    // A short TTL: the old user keeps working after a rotation, and a rejected login finds the
    // re-passworded user in AWSPENDING, so only the cache's refresh of AWSCURRENT moves the client
    // to the other user. The test is about that switch of username. That path takes up to the
    // TTL, the stale value served once, and one follow check (about 3 s): rotations 0.6 s apart
    // outran it (the client rode AWSPENDING's user through all six), so each rotation waits,
    // bounded, for the client to follow AWSCURRENT's user before the next one.
    const cache = new SecretCache({ secretsManager: fx.sm, ttlMs: 1_000 });
    const client = await getDocumentDbClient({ secretId, cache, mongoClientOptions: CHURNING_POOL, onEvent: (e) => events.push(e) });
    const name = uniqueName('alt');
    const items: Collection<LoadDoc> = client.db(DB).collection<LoadDoc>(name);
    const runId = randomUUID();
    const workload = mixedWorkload((fn) => fn(items), runId);
    const rotator = alternatingRotator(fx.sm, fx.admin, secretId, username);
    let running = true;
    try {
      const load = runLoad({ concurrency: 4, op: workload.op, running: () => running, maxDurationMs: 40_000, thinkMs: 10 });
      await sleep(300);
      for (let i = 0; i < 6; i++) {
        await rotator.rotate({ pauseMs: 500 });
        const current = await fx.sm.send(new GetSecretValueCommand({ SecretId: secretId }));
        const currentUser = (JSON.parse(current.SecretString!) as { username: string }).username;
        for (let waited = 0; waited < 6_000 && switchesOf(events).at(-1)?.username !== currentUser; waited += 100) await sleep(100);
      }
      await sleep(300);
      running = false;
      const result = await load;

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      const usernames = new Set(switchesOf(events).map((e) => e.username));
      expect(usernames).toEqual(new Set([username, `${username}_clone`]));
      const check = await verifyWorkload(fx.admin.db(DB).collection<LoadDoc>(name), runId, workload.inserted);
      expect({ missing: check.missing, duplicated: check.duplicated, unexpected: check.unexpected, updatedTwice: check.updatedTwice }).toEqual({
        missing: [],
        duplicated: [],
        unexpected: [],
        updatedTwice: [],
      });
      expect(check.incrementSum).toBe(workload.updatesApplied());
    } finally {
      running = false;
      await client.close();
      await cache.close();
    }
  });
});
