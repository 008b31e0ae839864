/**
 * The Redshift rotation benchmark (`npm run bench:rotation -- --db redshift`): PostgreSQL as the
 * Redshift stand-in, moto as Secrets Manager, rotations driven like AWS's Lambda templates.
 */
import pg from 'pg';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runLoad } from '../tools/demo/load.js';
import { getRedshiftPool } from '../src/redshift/index.js';
import { startMoto, startPostgres } from '../tools/servers/index.js';
import { AwsStyleRotator, newPassword } from '../test/support/aws-style-rotator.js';
import type { RotationBenchOptions, RotationBenchRow } from './rotation.js';
import { awsWrapperClientPerQuery, awsWrapperPool, loadAwsWrapper } from './support/aws-wrapper.js';
import { readOnceAtStartup, RefreshCurrentOnlyPool, type Queryable } from '../tools/demo/peers/postgres.js';
import { recording, rowFrom, type Sample } from './support/rotation-stats.js';
import { runRotationSchedule } from './support/rotation-schedule.js';

/** Every client's pool: small, and connections recycled often so logins happen inside each rotation window. */
const POOL = { max: 4, maxLifetimeSeconds: 1, idleTimeoutMillis: 500 } as const;
const BLOCKING_BUDGET_MS = 5_000;

/**
 * aws-advanced-nodejs-wrapper (2.0.1) adds its error handler's `trackingListener` to a pooled pg
 * Client at every checkout (InternalPooledConnectionProvider.connect → attachErrorListener) and
 * does not remove it when the client goes back to the pool, so Node warns "11 error listeners
 * added to [Client]" after ten checkouts of one connection. credstage adds none per checkout
 * (test/unit/redshift/error-listeners.test.ts). Says so once, next to Node's warning, when the
 * listeners are the wrapper's; any other listener warning is left to speak for itself.
 */
function explainWrapperListenerWarnings(): () => void {
  let explained = false;
  const onWarning = (warning: Error & { emitter?: { listeners?: (event: string) => Array<{ name: string }> } }): void => {
    if (explained || warning.name !== 'MaxListenersExceededWarning') return;
    const names = warning.emitter?.listeners?.('error').map((listener) => listener.name) ?? [];
    if (names.filter((name) => name === 'trackingListener').length < names.length / 2) return;
    explained = true;
    console.log(
      "note: the MaxListenersExceededWarning on [Client] is aws-advanced-nodejs-wrapper's: it adds an 'error' listener " +
        'to a pooled pg Client at every checkout and never removes it (not credstage)',
    );
  };
  process.on('warning', onWarning);
  return () => process.off('warning', onWarning);
}

interface Contender {
  name: string;
  client: Queryable | undefined;
  note?: string;
  samples: Sample[];
}

/**
 * Runs credstage, a read-once app, two refresh-AWSCURRENT-only clients and (if installed)
 * aws-advanced-nodejs-wrapper side by side: same load, same secret, same rotations.
 *
 * @example
 * ```ts
 * const rows = await runRedshiftBench({ rotations: 10, pauseMs: 1000, stallMs: 10000, concurrency: 4, thinkMs: 20 });
 * ```
 */
export async function runRedshiftBench(options: RotationBenchOptions): Promise<RotationBenchRow[]> {
  const [moto, postgres] = await Promise.all([startMoto(), startPostgres()]);
  const sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region, maxAttempts: 1 });
  const admin = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: postgres.database });
  const contenders: Contender[] = [];
  const stopExplaining = explainWrapperListenerWarnings();
  try {
    await admin.connect();
    const role = 'bench_app';
    const password = newPassword();
    await admin.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
    const secretId = 'bench/redshift/app';
    // A plaintext loopback server: the secret says so, or credstage would insist on TLS.
    const secret = { engine: 'redshift', host: postgres.host, port: postgres.port, username: role, password, dbname: postgres.database, ssl: false };
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(secret) }));
    const rotator = new AwsStyleRotator({
      client: sm,
      secretId,
      setPassword: async (pending) => {
        await admin.query(`ALTER ROLE ${pg.escapeIdentifier(pending.username)} PASSWORD ${pg.escapeLiteral(pending.password)}`);
      },
    });

    const add = (name: string, client: Queryable | undefined, note?: string): void => {
      contenders.push({ name, client, samples: [], ...(note === undefined ? {} : { note }) });
    };
    const credstage = getRedshiftPool({ secretId, secretsManager: sm, poolConfig: POOL });
    credstage.on('error', () => undefined); // an idle connection the server closes (pg's rule for every pool)
    add('credstage getRedshiftPool', credstage);
    add('read once at start-up (seed)', await readOnceAtStartup(sm, secretId, POOL));
    add('refresh AWSCURRENT, retry once', await RefreshCurrentOnlyPool.create(sm, secretId, { kind: 'retry-once' }, POOL));
    add(
      `refresh AWSCURRENT, blocking ${BLOCKING_BUDGET_MS / 1000} s`,
      await RefreshCurrentOnlyPool.create(sm, secretId, { kind: 'blocking', budgetMs: BLOCKING_BUDGET_MS }, POOL),
    );
    const wrapper = await loadAwsWrapper();
    const target = { host: postgres.host, port: postgres.port, database: postgres.database, secretId, region: moto.region, secretEndpoint: moto.endpoint };
    if (typeof wrapper === 'string') {
      console.log(`aws-advanced-nodejs-wrapper ${wrapper}`);
      add('aws-advanced-nodejs-wrapper', undefined, wrapper);
    } else {
      add('aws-advanced-nodejs-wrapper AwsPgPoolClient', awsWrapperPool(wrapper, target, POOL));
      add('aws-advanced-nodejs-wrapper AwsPGClient/query', awsWrapperClientPerQuery(wrapper, target));
    }

    const t0 = performance.now();
    let running = true;
    const loads = contenders.map((c) =>
      c.client === undefined
        ? Promise.resolve()
        : runLoad({
            concurrency: options.concurrency,
            thinkMs: options.thinkMs,
            maxDurationMs: 30 * 60_000,
            running: () => running,
            op: recording(() => c.client!.query('select 1'), c.samples, t0),
          }),
    );
    const windows = await runRotationSchedule(rotator, options, t0, async () => {
      running = false;
      await Promise.all(loads);
    });
    return contenders.map((c) => rowFrom(c.name, c.samples, windows, c.note));
  } finally {
    await Promise.all(contenders.map((c) => c.client?.end().catch(() => undefined)));
    await admin.end().catch(() => undefined);
    sm.destroy();
    await Promise.all([moto.stop(), postgres.stop()]);
    stopExplaining();
  }
}
