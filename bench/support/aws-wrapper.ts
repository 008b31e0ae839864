/**
 * aws-advanced-nodejs-wrapper (AWS's Node wrapper for pg) with its Secrets Manager plugin,
 * pointed at moto through `secretEndpoint`. Not a dependency of credstage: loaded only if
 * installed (`npm install --save-dev aws-advanced-nodejs-wrapper@2.0.1`).
 * `CREDSTAGE_AWS_WRAPPER_PG` may name another specifier or path of its `pg` entry point.
 */
import type { QueryResult } from 'pg';
import type { Queryable } from '../../tools/demo/peers/postgres.js';

export const AWS_WRAPPER_INSTALL = 'npm install --save-dev aws-advanced-nodejs-wrapper@2.0.1';

interface WrapperModule {
  AwsPGClient: new (config: Record<string, unknown>) => { connect(): Promise<void>; query(text: string): Promise<QueryResult>; end(): Promise<void> };
  AwsPgPoolClient: new (
    config: Record<string, unknown>,
    poolConfig?: Record<string, unknown>,
  ) => { query(text: string): Promise<QueryResult>; end(): Promise<void> };
}

/** The wrapper's `pg` entry point, or the reason it could not be loaded. */
export async function loadAwsWrapper(): Promise<WrapperModule | string> {
  const specifier = process.env['CREDSTAGE_AWS_WRAPPER_PG'] ?? 'aws-advanced-nodejs-wrapper/pg';
  try {
    return (await import(specifier)) as WrapperModule;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return `not installed: ${AWS_WRAPPER_INSTALL}`;
    return `failed to load: ${(err as Error).message}`;
  }
}

export interface AwsWrapperTarget {
  host: string;
  port: number;
  database: string;
  secretId: string;
  region: string;
  secretEndpoint: string;
}

function wrapperConfig(target: AwsWrapperTarget): Record<string, unknown> {
  return {
    host: target.host,
    port: target.port,
    database: target.database,
    plugins: 'secretsManager',
    secretId: target.secretId,
    secretRegion: target.region,
    secretEndpoint: target.secretEndpoint,
  };
}

/** The wrapper's pool (`AwsPgPoolClient`): its internal pg pools are keyed by host and user. */
export function awsWrapperPool(mod: WrapperModule, target: AwsWrapperTarget, pool: { max: number; maxLifetimeSeconds: number; idleTimeoutMillis: number }): Queryable {
  return new mod.AwsPgPoolClient(wrapperConfig(target), {
    maxConnections: pool.max,
    maxLifetimeSeconds: pool.maxLifetimeSeconds,
    idleTimeoutMillis: pool.idleTimeoutMillis,
  });
}

/** One `AwsPGClient` per query (connect, query, end): every query is a new login through the plugin. */
export function awsWrapperClientPerQuery(mod: WrapperModule, target: AwsWrapperTarget): Queryable {
  return {
    async query(text: string): Promise<QueryResult> {
      const client = new mod.AwsPGClient(wrapperConfig(target));
      try {
        await client.connect();
        return await client.query(text);
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    end: async () => undefined,
  };
}
