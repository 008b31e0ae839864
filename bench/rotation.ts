/**
 * `npm run bench:rotation -- --db redshift|documentdb [--rotations 10] [--pause-ms 1000]
 *   [--stall-ms 10000] [--concurrency 4] [--think-ms 20]
 *   [--credstage-only] [--baseline <git rev>]`
 *
 * Runs one rotation benchmark against servers it starts on 127.0.0.1 and prints, per client,
 * failed and ok queries over the whole run and the p50 / p99 / max latency of the queries that
 * started while a rotation was in progress, beside the p99 of those that started while none was
 * (and the difference: what rotations add). DocumentDB only: `--baseline main` adds a row for
 * credstage as of that revision (bench/support/baseline.ts), `--credstage-only` leaves out the
 * naive clients so the two credstage rows share the machine with less else. Every client gets
 * the same load, against the same secret, during the same rotations.
 *
 * Each database has its own module exporting one {@link RotationBench}:
 * `bench/rotation-redshift.ts` exports `runRedshiftBench`, `bench/rotation-documentdb.ts`
 * exports `runDocumentDbBench`. Helpers for sampling and the table: `bench/support/rotation-stats.ts`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** What every rotation benchmark is given. */
export interface RotationBenchOptions {
  /** Rotations with a pause between the password change and the stage move. */
  rotations: number;
  /** That pause (AWS: testSecret and the Lambda round trips), ms. */
  pauseMs: number;
  /** One more rotation that stalls this long with AWSCURRENT still old (0: none), ms. */
  stallMs: number;
  /** Workers per client. */
  concurrency: number;
  /** Pause after each query per worker, ms. */
  thinkMs: number;
  /** DocumentDB: run only credstage's clients (today's and the baseline's), not the naive ones. */
  credstageOnly?: boolean;
  /** DocumentDB: a git revision whose credstage runs beside today's, same load, same rotations. */
  baseline?: string;
}

/** One line of the table. */
export interface RotationBenchRow {
  client: string;
  ok: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p99 of the queries that started while no rotation was in progress (after the first second), ms. */
  p99NoRotationMs?: number;
  /** Why a client did not run, or what it is. */
  note?: string;
}

/** A database's benchmark: starts its servers, runs every client, stops the servers. */
export type RotationBench = (options: RotationBenchOptions) => Promise<RotationBenchRow[]>;

function setDummyAwsEnv(): void {
  // Before the AWS SDK loads: it must never look for real credentials, on disk or on the network.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  // Deleted rather than emptied: moto inherits this environment, and botocore fails every
  // request (HTTP 500) when AWS_PROFILE names a profile that does not exist, '' included.
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number >= 0, got ${text}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'redshift' },
      rotations: { type: 'string' },
      'pause-ms': { type: 'string' },
      'stall-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'think-ms': { type: 'string' },
      'credstage-only': { type: 'boolean', default: false },
      baseline: { type: 'string' },
    },
  });
  const options: RotationBenchOptions = {
    rotations: positive('rotations', values.rotations, 10),
    pauseMs: positive('pause-ms', values['pause-ms'], 1_000),
    stallMs: positive('stall-ms', values['stall-ms'], 10_000),
    concurrency: Math.max(1, positive('concurrency', values.concurrency, 4)),
    thinkMs: positive('think-ms', values['think-ms'], 20),
    credstageOnly: values['credstage-only'] === true,
    ...(values.baseline === undefined ? {} : { baseline: values.baseline }),
  };
  setDummyAwsEnv();
  let run: RotationBench;
  if (values.db === 'redshift') {
    run = (await import('./rotation-redshift.js')).runRedshiftBench;
  } else if (values.db === 'documentdb') {
    run = (await import('./rotation-documentdb.js' as string)).runDocumentDbBench;
  } else {
    throw new Error(`--db must be redshift or documentdb, got ${values.db}`);
  }
  const { formatTable } = await import('./support/rotation-stats.js');
  console.log(
    `rotation benchmark, ${values.db}: ${options.rotations} rotations (pause ${options.pauseMs} ms)` +
      `${options.stallMs > 0 ? ` + 1 stalled ${options.stallMs} ms` : ''}, ${options.concurrency} workers per client, think ${options.thinkMs} ms`,
  );
  const rows = await run(options);
  console.log(
    'failed/ok: whole run; latency: queries started during a rotation (PutSecretValue → stage move + 0.5 s);\n' +
      'p99 no rotation: queries started outside every rotation (after the first second); added p99 = p99 - p99 no rotation\n',
  );
  console.log(formatTable(rows));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
