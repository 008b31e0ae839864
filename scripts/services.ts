/**
 * `npm run services`: starts moto, PostgreSQL and FerretDB on 127.0.0.1 in the foreground, prints
 * how to reach each, and stops them all on Ctrl-C. The passwords are random throwaway test
 * credentials, so they are printed. The same addresses are written to `.services.json` (removed on stop).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAllServers } from '../tools/servers/index.js';
import { findPackageRoot } from '../tools/servers/package-root.js';

const started = performance.now();
console.log('starting moto, PostgreSQL and FerretDB (the first run may build FerretDB: ~2 min)...');
const servers = await startAllServers().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
const { moto, postgres, ferretdb, startMs } = servers;
const stateFile = join(findPackageRoot(), '.services.json');
const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

console.log(`
Secrets Manager API (moto)                       started in ${startMs.moto} ms
  endpoint   ${moto.endpoint}   region ${moto.region}, any access key
  try        AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${moto.endpoint} --region ${moto.region} secretsmanager list-secrets

PostgreSQL (Redshift stand-in, SCRAM)            started in ${startMs.postgres} ms
  url        postgres://${postgres.user}:<password>@${postgres.host}:${postgres.port}/${postgres.database}
  password   ${postgres.password}
  psql       PGPASSWORD=${shellQuote(postgres.password)} psql -h ${postgres.host} -p ${postgres.port} -U ${postgres.user} ${postgres.database}

FerretDB (MongoDB wire protocol, SCRAM)          started in ${startMs.ferretdb} ms
  uri        mongodb://${ferretdb.username}:<password>@${ferretdb.host}:${ferretdb.port}/?authSource=admin&directConnection=true
  password   ${ferretdb.password}
  mongosh    mongosh ${shellQuote(ferretdb.url)}

all up in ${Math.round(performance.now() - started)} ms; addresses in ${stateFile}; Ctrl-C stops them.`);

writeFileSync(
  stateFile,
  `${JSON.stringify(
    {
      moto: { endpoint: moto.endpoint, region: moto.region },
      postgres: { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: postgres.database, url: postgres.url },
      ferretdb: { host: ferretdb.host, port: ferretdb.port, username: ferretdb.username, password: ferretdb.password, url: ferretdb.url },
    },
    null,
    2,
  )}\n`,
  { mode: 0o600 },
);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping...`);
  rmSync(stateFile, { force: true });
  await servers.stop();
  console.log('stopped.');
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, (s) => void shutdown(s));
