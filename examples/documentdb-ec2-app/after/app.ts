/**
 * AFTER: the same application with credstage. The app knows only the secret's name; host,
 * port, user name, password and TLS come from Secrets Manager, and the connection keeps
 * working while the password rotates (every 30 days in the seed), including the window in
 * which the database already wants the new password and AWSCURRENT still holds the old one.
 *
 *   SECRET_ID=Applications/MyApp/Documentdb-instance AWS_REGION=us-west-2 \
 *   TLS_CA_FILE=/opt/myapp/global-bundle.pem node --import tsx examples/documentdb-ec2-app/after/app.ts
 *
 * SECRETS_MANAGER_ENDPOINT points it at a local Secrets Manager (moto) to try it without AWS.
 */
// In your app: import { getDocumentDbClient, type DocumentDbClientEvent } from 'credstage/documentdb';
import { getDocumentDbClient, type DocumentDbClientEvent } from '../../../src/documentdb/index.js';
import { notesService, type Note } from '../notes-service.js';

const endpoint = process.env['SECRETS_MANAGER_ENDPOINT'];

function logEvent(event: DocumentDbClientEvent): void {
  // Events never carry a password; these are the ones an operator wants to see.
  if (event.type === 'client-switch') {
    console.log(`credentials: now ${event.username} (version ${event.versionId}, ${event.reason})`);
  } else if (event.type === 'error') {
    console.log(`Secrets Manager: ${event.error?.code ?? 'error'} (serving stale: ${event.servingStale === true})`);
  }
}

const client = await getDocumentDbClient({
  secretId: process.env['SECRET_ID'] ?? 'Applications/MyApp/Documentdb-instance',
  secretsManagerConfig: endpoint ? { endpoint } : {},
  // Amazon's CA bundle: https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
  ...(process.env['TLS_CA_FILE'] ? { tlsCAFile: process.env['TLS_CA_FILE'] } : {}),
  onEvent: logEvent,
});

// Taken once at start-up; it follows the client across credential switches.
const port = Number(process.env['PORT'] ?? 8080);
const server = notesService(client.db(process.env['DB_NAME'] ?? 'myapp').collection<Note>('notes'));
server.listen(port, () => console.log(`notes service listening on :${port}`));

function shutdown(): void {
  server.close();
  // close() is idempotent: a second signal does no harm.
  client.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
