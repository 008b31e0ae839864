/**
 * A scripted rotation under load for the diagnostics tests: a DocumentDB client (fake MongoDB
 * server) inserts with a few workers while credstage's engine rotates the secret step by step
 * (Lambda-style), with load run inside the window between the password change and the
 * AWSCURRENT move, and one more client starts inside each window. Everything that happened is counted here independently of the channels:
 * Secrets Manager calls at the fake, events through `onEvent`, steps through `onStep`, and the
 * client's and cache's own stats.
 */
import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import type { MongoClient } from 'mongodb';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { getDocumentDbClient, type DocumentDbClientEvent } from '../../../src/documentdb/index.js';
import { ROTATION_STEPS, runRotationStep, type StepReport } from '../../../src/rotation/index.js';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { FakeDatabase } from '../../support/fake-database.js';
import { FakeMongoClient, FakeServer } from '../documentdb/fake-mongo.js';

export const SECRET_ID = 'Applications/Diagnostics/Documentdb';
export const FIRST_PASSWORD = 'Diag-first-Pw:/?#%&=+@1';

/** Calls that reached the fake, by API and outcome: `GetSecretValue ok` → 12. */
export type CallCounts = Map<string, number>;

/** A client in front of the fake that counts what credstage sent and how it ended. */
function counting(sm: InMemorySecretsManager, counts: CallCounts): SecretsManagerLike {
  const count = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  return {
    send: async (command: { constructor: { name: string } }) => {
      const api = command.constructor.name.replace(/Command$/, '');
      try {
        const out = await sm.send(command as never);
        count(`${api} ok`);
        return out;
      } catch (err) {
        count(`${api} error ${(err as { name: string }).name}`);
        throw err;
      }
    },
  };
}

export interface ScenarioResult {
  calls: CallCounts;
  events: DocumentDbClientEvent[];
  steps: StepReport[];
  cacheStats: ReturnType<SecretCache['stats']>;
  /** The DocumentDB clients' stats, summed (the long-lived one and one started inside each window). */
  clientStats: { switchesAfterAuthFailure: number; switchesToNewCurrent: number; openClients: number; generation: number };
  /** Open MongoClients just before close(), from the clients' stats. */
  openBeforeClose: number;
  ops: { ok: number; failed: number };
  /** Every password any version of the secret ever held (to look for in what was published). */
  passwords: string[];
  /** Every SecretString any version ever held. */
  secretStrings: string[];
}

/** Waits (yielding to the load) until `done()` or `maxTurns` event-loop turns passed. */
async function until(done: () => boolean, maxTurns = 10_000): Promise<void> {
  for (let turn = 0; turn < maxTurns && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `rotations` rotations under `workers` inserting workers. `beforeClose` runs once the
 * rotations are done and the load has stopped, while the client is still open.
 */
export async function rotationUnderLoad(options: { rotations?: number; workers?: number; beforeClose?: () => Promise<void> | void } = {}): Promise<ScenarioResult> {
  const { rotations = 2, workers = 4 } = options;
  const sm = new InMemorySecretsManager();
  const value = { engine: 'mongo', host: 'docdb.example.com', port: 27017, username: 'app', password: FIRST_PASSWORD, ssl: false, dbname: 'app' };
  await sm.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: JSON.stringify(value) }));
  const calls: CallCounts = new Map();
  const client = counting(sm, calls);

  // One user database: the engine changes passwords in it, the fake MongoDB server checks them.
  const server = new FakeServer('app', FIRST_PASSWORD);
  const db = new FakeDatabase().addUser('app', FIRST_PASSWORD);
  db.afterSetPassword = async (username) => {
    server.passwords.set(username, db.passwordOf(username) as string);
  };

  const events: DocumentDbClientEvent[] = [];
  const steps: StepReport[] = [];
  const cache = new SecretCache({ secretsManager: client, ttlMs: 60_000, random: () => 0 });
  const open = () =>
    getDocumentDbClient({
      secretId: SECRET_ID,
      cache,
      recoveryBudgetMs: 5_000,
      onEvent: (event) => events.push(event),
      createMongoClient: (url, mongoOptions) => new FakeMongoClient(server, url, mongoOptions) as unknown as MongoClient,
    });
  const docdb = await open();
  /** Clients started inside a window: their first login is rejected (the cache still holds the old AWSCURRENT). */
  const late: Array<Awaited<ReturnType<typeof open>>> = [];

  const ops = { ok: 0, failed: 0 };
  let running = true;
  let seq = 0;
  const worker = async (): Promise<void> => {
    while (running) {
      try {
        await docdb.db('app').collection<{ _id: number | string }>('items').insertOne({ _id: seq++ });
        ops.ok++;
      } catch {
        ops.failed++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const load = Array.from({ length: workers }, () => worker());
  const progressed = async (n: number): Promise<void> => {
    const target = ops.ok + ops.failed + n;
    await until(() => ops.ok + ops.failed >= target);
  };

  try {
    for (let r = 0; r < rotations; r++) {
      const token = randomUUID();
      for (const Step of ROTATION_STEPS) {
        // Load inside the window: after setSecret the database wants AWSPENDING, AWSCURRENT is still old.
        if (Step === 'finishSecret') {
          await progressed(20);
          const started = await open();
          late.push(started);
          await started.db('app').collection<{ _id: number | string }>('items').insertOne({ _id: `late-${r}` });
        }
        await runRotationStep(
          { SecretId: SECRET_ID, ClientRequestToken: token, Step },
          { secretsManager: client, adapter: db.adapter(), selfHosted: true, onStep: (report) => steps.push(report) },
        );
      }
      await progressed(20);
    }
  } finally {
    running = false;
    await Promise.all(load);
  }
  await options.beforeClose?.();
  const all = [docdb, ...late];
  const openBeforeClose = all.reduce((n, c) => n + c.stats().openClients, 0);
  for (const c of all) await c.close();
  await cache.close();

  const clientStats = { switchesAfterAuthFailure: 0, switchesToNewCurrent: 0, openClients: 0, generation: 0 };
  for (const c of all) {
    const stats = c.stats();
    for (const key of Object.keys(clientStats) as Array<keyof typeof clientStats>) clientStats[key] += stats[key];
  }
  const { passwords, secretStrings } = await everyValue(sm);
  return { calls, events, steps, cacheStats: cache.stats(), clientStats, openBeforeClose, ops, passwords, secretStrings };
}

/** Every SecretString and password the secret's versions hold, read from the fake directly. */
async function everyValue(sm: InMemorySecretsManager): Promise<{ passwords: string[]; secretStrings: string[] }> {
  const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: SECRET_ID, IncludeDeprecated: true }));
  const secretStrings: string[] = [];
  for (const { VersionId } of listed.Versions as Array<{ VersionId: string }>) {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: SECRET_ID, VersionId }));
    secretStrings.push(out.SecretString as string);
  }
  return { secretStrings, passwords: secretStrings.map((s) => (JSON.parse(s) as { password: string }).password) };
}
