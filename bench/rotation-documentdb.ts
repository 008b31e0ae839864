/**
 * The DocumentDB rotation benchmark (`npm run bench:rotation -- --db documentdb`): FerretDB as
 * the DocumentDB stand-in (MongoDB wire protocol, SCRAM), moto as Secrets Manager, rotations
 * driven like AWS's Lambda templates (PutSecretValue AWSPENDING → updateUser → pause → stage move).
 */
import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MongoClient } from 'mongodb';
import { runLoad } from '../tools/demo/load.js';
import { getDocumentDbClient, type DocumentDbClient } from '../src/documentdb/index.js';
import { startFerretDb, startMoto } from '../tools/servers/index.js';
import { AwsStyleRotator, newPassword } from '../test/support/aws-style-rotator.js';
import {
  CHURNING_POOL,
  mixedWorkload,
  NaiveDocumentDbClient,
  verifyWorkload,
  type CollectionExec,
  type LoadDoc,
  type NaiveMode,
} from '../test/support/documentdb-load.js';
import type { RotationBenchOptions, RotationBenchRow } from './rotation.js';
import { recording, rowFrom, type Sample } from './support/rotation-stats.js';
import { runRotationSchedule } from './support/rotation-schedule.js';
import { baselineSource, importBaseline } from './support/baseline.js';

const DB = 'bench';
const BLOCKING_BUDGET_MS = 5_000;

interface Contender {
  name: string;
  collection: string;
  exec: CollectionExec;
  close: () => Promise<void>;
  samples: Sample[];
  workload?: ReturnType<typeof mixedWorkload>;
  runId: string;
  describe?: () => string;
}

/**
 * Runs credstage's getDocumentDbClient (and, with `baseline`, the getDocumentDbClient of that
 * earlier commit), the seed's read-once app and two clients that only re-read AWSCURRENT
 * (left out with `credstageOnly`) side by side: same mixed load (inserts with unique ids, finds, `$inc`
 * updates), same secret, same rotations. Every client's pool lets connections idle out after
 * 10 ms, so logins happen inside each rotation window as they do in production over time.
 * The note column says whether every write of the client landed exactly once.
 *
 * @example
 * ```ts
 * const rows = await runDocumentDbBench({ rotations: 10, pauseMs: 1000, stallMs: 10000, concurrency: 4, thinkMs: 20 });
 * ```
 */
export async function runDocumentDbBench(options: RotationBenchOptions): Promise<RotationBenchRow[]> {
  const [moto, ferret] = await Promise.all([startMoto(), startFerretDb()]);
  const sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region, maxAttempts: 1 });
  const admin = new MongoClient(ferret.url);
  const contenders: Contender[] = [];
  try {
    await admin.connect();
    const username = 'bench_app';
    const password = newPassword();
    await admin.db('admin').command({ createUser: username, pwd: password, roles: [] });
    const secretId = 'bench/documentdb/app';
    const secret = { engine: 'mongo', host: ferret.host, port: ferret.port, username, password, ssl: false };
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(secret) }));
    const rotator = new AwsStyleRotator({
      client: sm,
      secretId,
      setPassword: async (pending) => {
        await admin.db('admin').command({ updateUser: pending.username, pwd: pending.password });
      },
    });

    const addCredstage = async (name: string, open: typeof getDocumentDbClient): Promise<void> => {
      const credstage: DocumentDbClient = await open({ secretId, secretsManager: sm, mongoClientOptions: CHURNING_POOL });
      const collection = `credstage_${randomUUID().slice(0, 8)}`;
      const items = credstage.db(DB).collection<LoadDoc>(collection); // taken once, before any rotation
      contenders.push({
        name,
        collection,
        exec: (fn) => fn(items),
        close: () => credstage.close(),
        samples: [],
        runId: randomUUID(),
        describe: () => {
          const stats = credstage.stats();
          return `${stats.switchesAfterAuthFailure} switches, ${stats.retries} retried attempts`;
        },
      });
    };
    const addNaive = async (name: string, mode: NaiveMode): Promise<void> => {
      const naive = await NaiveDocumentDbClient.connect({ sm, secretId, mode, mongoClientOptions: CHURNING_POOL, blockingBudgetMs: BLOCKING_BUDGET_MS });
      const collection = `${mode}_${randomUUID().slice(0, 8)}`;
      contenders.push({
        name,
        collection,
        exec: (fn) => naive.run((mongo) => fn(mongo.db(DB).collection<LoadDoc>(collection))),
        close: () => naive.close(),
        samples: [],
        runId: randomUUID(),
      });
    };
    await addCredstage('credstage getDocumentDbClient', getDocumentDbClient);
    if (options.baseline !== undefined) {
      const { commit, dir } = baselineSource(options.baseline);
      const before = await importBaseline<{ getDocumentDbClient: typeof getDocumentDbClient }>(dir, 'src/documentdb/index.ts');
      await addCredstage(`credstage at ${commit} (${options.baseline})`, before.getDocumentDbClient);
    }
    if (!options.credstageOnly) await addNaive('read once at start-up (seed)', 'read-once');
    if (!options.credstageOnly) await addNaive('refresh AWSCURRENT, retry once', 'refresh-current');
    if (!options.credstageOnly) await addNaive(`refresh AWSCURRENT, blocking ${BLOCKING_BUDGET_MS / 1000} s`, 'refresh-current-blocking');

    const t0 = performance.now();
    let running = true;
    const loads = contenders.map((c) => {
      c.workload = mixedWorkload(c.exec, c.runId);
      const op = c.workload.op;
      let seq = 0;
      return runLoad({
        concurrency: options.concurrency,
        thinkMs: options.thinkMs,
        maxDurationMs: 30 * 60_000,
        running: () => running,
        op: recording(() => op(seq++), c.samples, t0),
      });
    });
    const windows = await runRotationSchedule(rotator, options, t0, async () => {
      running = false;
      await Promise.all(loads);
    });
    const rows: RotationBenchRow[] = [];
    for (const c of contenders) {
      const check = await verifyWorkload(admin.db(DB).collection<LoadDoc>(c.collection), c.runId, c.workload!.inserted);
      const exact =
        check.missing.length === 0 && check.duplicated.length === 0 && check.unexpected.length === 0 && check.updatedTwice.length === 0 && check.incrementSum === c.workload!.updatesApplied();
      const writes = exact
        ? `${c.workload!.inserted.length} inserts, each present once`
        : `WRITES WRONG: ${check.missing.length} missing, ${check.duplicated.length} duplicated, ${check.unexpected.length} unexpected, ${check.updatedTwice.length} updated twice, $inc sum ${check.incrementSum} vs ${c.workload!.updatesApplied()}`;
      rows.push(rowFrom(c.name, c.samples, windows, [writes, c.describe?.()].filter(Boolean).join('; ')));
    }
    return rows;
  } finally {
    await Promise.all(contenders.map((c) => c.close().catch(() => undefined)));
    await admin.close().catch(() => undefined);
    sm.destroy();
    await Promise.all([moto.stop(), ferret.stop()]);
  }
}
