/**
 * A small HTTP service that reads Redshift through credstage: no password in its config, and
 * it keeps answering while Secrets Manager rotates the password.
 *
 *   SECRET_ID=Applications/MyApp/Redshift AWS_REGION=us-west-2 node --import tsx examples/redshift-app/server.ts
 *
 * GET /healthz → 200 when a query runs; GET /whoami → the database user of this request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
// In your app: import { getRedshiftPool } from 'credstage/redshift';
import { getRedshiftPool, type RedshiftEvent } from '../../src/redshift/index.js';

const secretId = process.env['SECRET_ID'] ?? 'Applications/MyApp/Redshift';
const port = Number(process.env['PORT'] ?? 8080);
// Only for trying the app against a local Secrets Manager (moto); unset in AWS.
const endpoint = process.env['SECRETS_MANAGER_ENDPOINT'];

function logEvent(event: RedshiftEvent): void {
  // Events never carry a password; log the ones an operator wants to see.
  if (event.type === 'auth-recovery') {
    console.log(`credentials: ${event.failedVersionId} rejected, using ${event.versionId} (from ${event.recoveredFrom})`);
  } else if (event.type === 'login' && event.outcome !== 'ok') {
    console.log(`login ${event.outcome} for ${event.username} (version ${event.versionId}) ${event.errorCode ?? ''}`);
  } else if (event.type === 'error') {
    console.log(`Secrets Manager: ${event.error?.code ?? 'error'} (serving stale: ${event.servingStale === true})`);
  }
}

const pool = getRedshiftPool({
  secretId,
  secretsManagerConfig: endpoint ? { endpoint } : {},
  poolConfig: { max: 10, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 },
  onEvent: logEvent,
});
// An idle connection that dies (cluster restart) is removed by pg; the next query opens a new one.
pool.on('error', (err) => console.log(`idle connection closed: ${err.message}`));

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' });
  if (path === '/healthz') {
    await pool.query('select 1');
    return send(res, 200, { ok: true });
  }
  if (path === '/whoami') {
    const { rows } = await pool.query<{ user: string }>('select current_user as user');
    return send(res, 200, { user: rows[0]?.user });
  }
  return send(res, 404, { error: 'not found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    // credstage errors name the secret and the field at fault, never the password.
    const e = err as { code?: string; message?: string };
    console.log(`request failed: ${e.code ?? ''} ${e.message ?? String(err)}`);
    send(res, 503, { error: e.code ?? 'database unavailable' });
  });
});

server.listen(port, () => console.log(`redshift-app listening on :${port}, secret ${secretId}`));

function shutdown(): void {
  server.close();
  // end() is idempotent: a second signal does no harm.
  pool.end().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
