import { startFerretDb, type FerretDbOptions, type RunningFerretDb } from './ferretdb.js';
import { startMoto, type MotoOptions, type RunningMoto } from './moto.js';
import { startPostgres, type PostgresOptions, type RunningPostgres } from './postgres.js';

export { canConnect, freePort } from './free-port.js';
export { startFerretDb, type FerretDbOptions, type RunningFerretDb } from './ferretdb.js';
export { startMoto, type MotoOptions, type RunningMoto } from './moto.js';
export { startPostgres, type PostgresOptions, type RunningPostgres } from './postgres.js';

/** The three loopback servers credstage's tests and demo run against. */
export interface RunningServers {
  readonly moto: RunningMoto;
  readonly postgres: RunningPostgres;
  readonly ferretdb: RunningFerretDb;
  /** How long each server took to start (FerretDB's includes finding or building its binary). */
  readonly startMs: { readonly moto: number; readonly postgres: number; readonly ferretdb: number };
  /** Stops all three; safe to call twice. */
  stop(): Promise<void>;
}

/** Per-server options for {@link startAllServers}. */
export interface AllServersOptions {
  readonly moto?: MotoOptions;
  readonly postgres?: PostgresOptions;
  readonly ferretdb?: FerretDbOptions;
}

/**
 * Starts moto, PostgreSQL and FerretDB in parallel. If any fails, stops the others and throws one
 * Error whose message has one line per failed server.
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
  const startMs = { moto: 0, postgres: 0, ferretdb: 0 };
  const results = await Promise.allSettled([
    startMoto(options.moto).finally(() => (startMs.moto = elapsed())),
    startPostgres(options.postgres).finally(() => (startMs.postgres = elapsed())),
    startFerretDb(options.ferretdb).finally(() => (startMs.ferretdb = elapsed())),
  ] as const);
  const [moto, postgres, ferretdb] = results;
  if (moto.status === 'fulfilled' && postgres.status === 'fulfilled' && ferretdb.status === 'fulfilled') {
    const all = [moto.value, postgres.value, ferretdb.value];
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= Promise.all(all.map((server) => server.stop())).then(() => undefined));
    return { moto: moto.value, postgres: postgres.value, ferretdb: ferretdb.value, startMs, stop };
  }
  await Promise.all(results.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
  const reasons = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason instanceof Error ? result.reason.message : String(result.reason)] : [],
  );
  throw new Error(`Test servers did not start:\n${reasons.join('\n')}`);
}
