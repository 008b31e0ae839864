/**
 * Baseline DocumentDB clients for the demo, the rotation tests and the benchmark: what apps do
 * today instead of credstage. Written independently of credstage's recovery.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import { isAuthenticationError } from '../../../src/credentials/auth-errors.js';

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
