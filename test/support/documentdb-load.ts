import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { MongoClient, type Collection, type MongoClientOptions } from 'mongodb';
import type { SecretsManagerLike } from '../../src/cache/source.js';
import { isAuthenticationError } from '../../src/credentials/auth-errors.js';

/**
 * What the DocumentDB rotation tests and the benchmark compare credstage with, and the mixed
 * workload they all run. No vitest imports: bench/rotation-documentdb.ts uses this file too.
 */

/** A document of the mixed workload; `_id` is chosen by the app. */
export interface LoadDoc {
  _id: string;
  run: string;
  n: number;
}

/** Runs one operation against a collection, however the client under test gets it. */
export type CollectionExec = <T>(fn: (collection: Collection<LoadDoc>) => Promise<T>) => Promise<T>;

/**
 * - `read-once`: the seed's app — reads AWSCURRENT at start-up and never again.
 * - `refresh-current`: what other clients do — on an authentication failure, re-read
 *   AWSCURRENT (once per failure), rebuild the MongoClient if the version changed, retry once.
 * - `refresh-current-blocking`: the same, but it keeps re-reading AWSCURRENT (every 250 ms)
 *   until the version changes or `blockingBudgetMs` passes, holding the operation meanwhile.
 */
export type NaiveMode = 'read-once' | 'refresh-current' | 'refresh-current-blocking';

export interface NaiveClientOptions {
  sm: SecretsManagerLike;
  secretId: string;
  mode: NaiveMode;
  mongoClientOptions?: MongoClientOptions;
  /** For `refresh-current-blocking`; default 5000 ms. */
  blockingBudgetMs?: number;
}

const REREAD_INTERVAL_MS = 250;

interface Loaded {
  versionId: string;
  client: MongoClient;
}

interface CurrentSecret {
  versionId: string;
  host: string;
  port: number;
  username: string;
  password: string;
}

/** A client without credstage's recovery, for comparison. */
export class NaiveDocumentDbClient {
  #loaded!: Loaded;
  #reloading: Promise<void> | undefined;
  readonly #retiring = new Set<MongoClient>();

  private constructor(private readonly options: NaiveClientOptions) {}

  static async connect(options: NaiveClientOptions): Promise<NaiveDocumentDbClient> {
    const naive = new NaiveDocumentDbClient(options);
    naive.#loaded = naive.#build(await naive.#readCurrent());
    await naive.#loaded.client.connect();
    return naive;
  }

  async run<T>(fn: (client: MongoClient) => Promise<T>): Promise<T> {
    const loaded = this.#loaded;
    try {
      return await fn(loaded.client);
    } catch (err) {
      if (this.options.mode === 'read-once' || !isAuthenticationError(err)) throw err;
      this.#reloading ??= this.#reload(loaded).finally(() => (this.#reloading = undefined));
      await this.#reloading;
      return fn(this.#loaded.client);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#loaded.client.close(), ...[...this.#retiring].map((client) => client.close())]);
  }

  async #reload(failed: Loaded): Promise<void> {
    if (this.#loaded !== failed) return;
    const blocking = this.options.mode === 'refresh-current-blocking';
    const deadline = performance.now() + (blocking ? (this.options.blockingBudgetMs ?? 5_000) : 0);
    let current = await this.#readCurrent();
    while (current.versionId === failed.versionId && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, REREAD_INTERVAL_MS));
      current = await this.#readCurrent();
    }
    if (current.versionId === failed.versionId) return;
    this.#loaded = this.#build(current);
    // Let operations already running on the old client finish before closing it.
    this.#retiring.add(failed.client);
    setTimeout(() => {
      this.#retiring.delete(failed.client);
      void failed.client.close();
    }, 2_000).unref();
  }

  async #readCurrent(): Promise<CurrentSecret> {
    const out = await this.options.sm.send(new GetSecretValueCommand({ SecretId: this.options.secretId, VersionStage: 'AWSCURRENT' }));
    const json = JSON.parse(out.SecretString as string) as { host: string; port: number; username: string; password: string };
    return { versionId: out.VersionId as string, ...json };
  }

  #build(secret: CurrentSecret): Loaded {
    const client = new MongoClient(`mongodb://${secret.host}:${secret.port}/`, {
      authSource: 'admin',
      directConnection: true,
      retryWrites: false,
      ...this.options.mongoClientOptions,
      auth: { username: secret.username, password: secret.password },
    });
    return { versionId: secret.versionId, client };
  }
}

/** Pool settings that make connections come and go under load, as they do in production (idle timeouts, scaling, failovers). */
export const CHURNING_POOL: MongoClientOptions = Object.freeze({ maxPoolSize: 4, maxIdleTimeMS: 10, serverSelectionTimeoutMS: 10_000 });

/**
 * Inserts with app-chosen unique `_id`s (half the operations), finds by id through a cursor,
 * and `$inc` updates, so that afterwards the test can prove no write was lost or applied twice.
 * Each document is updated at most once: FerretDB's SQLite backend loses concurrent `$inc`s on
 * one document (read-modify-write), which would hide what this workload is meant to show.
 */
export function mixedWorkload(exec: CollectionExec, runId: string) {
  const inserted: string[] = [];
  let updated = 0;
  let updatesApplied = 0;
  const op = async (seq: number): Promise<void> => {
    const kind = seq % 4;
    if (kind <= 1 || updated >= inserted.length) {
      const _id = `${runId}-${seq}`;
      await exec((c) => c.insertOne({ _id, run: runId, n: 0 }));
      inserted.push(_id);
    } else if (kind === 2) {
      const id = inserted[(seq * 7919) % inserted.length]!;
      const found = await exec((c) => c.find({ _id: id }).toArray());
      if (found.length !== 1) throw new Error(`find(${id}) returned ${found.length} documents`);
    } else {
      const id = inserted[updated++]!;
      const result = await exec((c) => c.updateOne({ _id: id }, { $inc: { n: 1 } }));
      if (result.modifiedCount !== 1) throw new Error(`updateOne(${id}) modified ${result.modifiedCount} documents`);
      updatesApplied++;
    }
  };
  return { op, inserted, updatesApplied: () => updatesApplied };
}

/** Reads back what a workload wrote: ids missing, present more than once or not acknowledged, updates applied twice, the sum of `n`. */
export async function verifyWorkload(collection: Collection<LoadDoc>, runId: string, inserted: readonly string[]) {
  const docs = await collection.find({ run: runId }).toArray();
  const counts = new Map<string, number>();
  for (const doc of docs) counts.set(doc._id, (counts.get(doc._id) ?? 0) + 1);
  const missing = inserted.filter((id) => !counts.has(id));
  const duplicated = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
  const unexpected = [...counts.keys()].filter((id) => !inserted.includes(id));
  const incrementSum = docs.reduce((sum, doc) => sum + doc.n, 0);
  const updatedTwice = docs.filter((doc) => doc.n > 1).map((doc) => doc._id);
  return { documents: docs.length, missing, duplicated, unexpected, incrementSum, updatedTwice };
}
