import { startFerretDb, type FerretDbOptions, type RunningFerretDb } from './ferretdb.js';
import { startMoto, type MotoOptions, type RunningMoto } from './moto.js';
import { startPostgres, type PostgresOptions, type RunningPostgres } from './postgres.js';

export { canConnect, freePort } from './free-port.js';
export { startFerretDb, type FerretDbOptions, type RunningFerretDb } from './ferretdb.js';
export { startMoto, type MotoOptions, type RunningMoto } from './moto.js';
export { startPostgres, type PostgresOptions, type RunningPostgres } from './postgres.js';

/** The loopback servers credstage's tests and demo run against. */
export interface RunningServers {
  readonly moto: RunningMoto;
  /** Plaintext PostgreSQL: secrets for it say `"ssl": false`. */
  readonly postgres: RunningPostgres;
  /** A second PostgreSQL with TLS on, when {@link AllServersOptions.postgresTls} asked for one. */
  readonly postgresTls: RunningPostgres | undefined;
  readonly ferretdb: RunningFerretDb;
  /** How long each server took to start (FerretDB's includes finding or building its binary). */
  readonly startMs: { readonly moto: number; readonly postgres: number; readonly postgresTls: number; readonly ferretdb: number };
  /** Stops them all; safe to call twice. */
  stop(): Promise<void>;
}

/** Per-server options for {@link startAllServers}. */
export interface AllServersOptions {
  readonly moto?: MotoOptions;
  readonly postgres?: PostgresOptions;
  /** Also start a PostgreSQL with TLS on, with these options (their `tls` is required). */
  readonly postgresTls?: PostgresOptions & { readonly tls: NonNullable<PostgresOptions['tls']> };
  readonly ferretdb?: FerretDbOptions;
}

/**
 * Starts moto, PostgreSQL and FerretDB (and a TLS PostgreSQL when asked) in parallel. If any
 * fails, stops the others and throws one Error whose message has one line per failed server.
 *
 * @example
 * ```ts
 * const servers = await startAllServers();
 * console.log(servers.moto.endpoint, servers.postgres.url);
 * await servers.stop();
 * ```
 */
export async function startAllServers(options: AllServersOptions = {}): Promise<RunningServers> {
  const t0 = performance.now();
  const elapsed = (): number => Math.round(performance.now() - t0);
  const startMs = { moto: 0, postgres: 0, postgresTls: 0, ferretdb: 0 };
  const results = await Promise.allSettled([
    startMoto(options.moto).finally(() => (startMs.moto = elapsed())),
    startPostgres(options.postgres).finally(() => (startMs.postgres = elapsed())),
    startFerretDb(options.ferretdb).finally(() => (startMs.ferretdb = elapsed())),
    options.postgresTls === undefined
      ? Promise.resolve(undefined)
      : startPostgres(options.postgresTls).finally(() => (startMs.postgresTls = elapsed())),
  ] as const);
  const [moto, postgres, ferretdb, postgresTls] = results;
  if (moto.status === 'fulfilled' && postgres.status === 'fulfilled' && ferretdb.status === 'fulfilled' && postgresTls.status === 'fulfilled') {
    const all = [moto.value, postgres.value, ferretdb.value, ...(postgresTls.value ? [postgresTls.value] : [])];
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= Promise.all(all.map((server) => server.stop())).then(() => undefined));
    return { moto: moto.value, postgres: postgres.value, postgresTls: postgresTls.value, ferretdb: ferretdb.value, startMs, stop };
  }
  await Promise.all(results.map((result) => (result.status === 'fulfilled' ? result.value?.stop() : undefined)));
  const reasons = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason instanceof Error ? result.reason.message : String(result.reason)] : [],
  );
  throw new Error(`Test servers did not start:\n${reasons.join('\n')}`);
}
