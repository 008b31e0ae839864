/**
 * Baseline clients for the rotation tests and benchmark: what apps do today instead of
 * credstage. Written independently of credstage (no SecretCache, no DbCredentials).
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import type { PoolConfig, QueryResult } from 'pg';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import { isAuthenticationError } from '../../../src/credentials/auth-errors.js';

interface DbSecret {
  versionId: string;
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
}

async function readCurrent(sm: SecretsManagerLike, secretId: string): Promise<DbSecret> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
  const json = JSON.parse(out.SecretString) as Record<string, unknown>;
  return {
    versionId: out.VersionId,
    host: String(json['host']),
    port: Number(json['port'] ?? 5439),
    username: String(json['username']),
    password: String(json['password']),
    dbname: String(json['dbname'] ?? 'dev'),
  };
}

/** Anything the load generator can send a query through. */
export interface Queryable {
  query(text: string): Promise<QueryResult>;
  end(): Promise<void>;
}

/**
 * The seed's approach: read the secret once at start-up and hand it to pg. Works until the
 * first rotation; from then on every new connection is refused.
 */
export async function readOnceAtStartup(sm: SecretsManagerLike, secretId: string, poolConfig: PoolConfig = {}): Promise<Queryable> {
  const secret = await readCurrent(sm, secretId);
  const pool = new pg.Pool({
    ...poolConfig,
    host: secret.host,
    port: secret.port,
    database: secret.dbname,
    user: secret.username,
    password: secret.password,
  });
  pool.on('error', () => undefined);
  return pool;
}

/** How a refresh-AWSCURRENT-only client reacts to a rejected login. */
export type RefreshMode =
  /** Re-read AWSCURRENT once and retry once (aws-advanced-nodejs-wrapper's Secrets Manager plugin). */
  | { kind: 'retry-once' }
  /** Keep re-reading AWSCURRENT with backoff until it changes or `budgetMs` is spent (blocks the caller meanwhile). */
  | { kind: 'blocking'; budgetMs: number };

/**
 * A pool that re-reads only AWSCURRENT after a rejected login — what existing wrappers do. It
 * never looks at AWSPENDING, so it cannot log in between the password change and the stage move.
 */
export class RefreshCurrentOnlyPool implements Queryable {
  #secret: DbSecret;
  readonly #pool: pg.Pool;

  private constructor(
    private readonly sm: SecretsManagerLike,
    private readonly secretId: string,
    private readonly mode: RefreshMode,
    secret: DbSecret,
    poolConfig: PoolConfig,
  ) {
    this.#secret = secret;
    this.#pool = new pg.Pool({
      ...poolConfig,
      host: secret.host,
      port: secret.port,
      database: secret.dbname,
      user: secret.username,
      // pg calls this for every new connection: the password is as fresh as the last re-read.
      password: () => this.#secret.password,
    });
    this.#pool.on('error', () => undefined);
  }

  static async create(sm: SecretsManagerLike, secretId: string, mode: RefreshMode, poolConfig: PoolConfig = {}): Promise<RefreshCurrentOnlyPool> {
    return new RefreshCurrentOnlyPool(sm, secretId, mode, await readCurrent(sm, secretId), poolConfig);
  }

  async query(text: string): Promise<QueryResult> {
    try {
      return await this.#pool.query(text);
    } catch (err) {
      if (!isAuthenticationError(err)) throw err;
      if (this.mode.kind === 'retry-once') {
        this.#secret = await readCurrent(this.sm, this.secretId);
        return this.#pool.query(text);
      }
      return this.#waitForNewCurrent(text, this.mode.budgetMs, err);
    }
  }

  async #waitForNewCurrent(text: string, budgetMs: number, firstError: unknown): Promise<QueryResult> {
    const deadline = performance.now() + budgetMs;
    const rejectedVersion = this.#secret.versionId;
    let delayMs = 100;
    while (performance.now() < deadline) {
      const latest = await readCurrent(this.sm, this.secretId);
      if (latest.versionId !== rejectedVersion) {
        this.#secret = latest;
        return this.#pool.query(text);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, Math.max(0, deadline - performance.now()))));
      delayMs = Math.min(delayMs * 2, 1_000);
    }
    throw firstError;
  }

  end(): Promise<void> {
    return this.#pool.end();
  }
}
