/**
 * BEFORE: the seed's application. User name, password and endpoint come from a config file
 * deployed with the app (`config.json`).
 *
 * What goes wrong:
 * - the password sits in a file on every instance, in backups and in deployment tooling;
 * - it is pasted into a URI, so a password with `: / ? # % & = +` breaks parsing unless escaped;
 * - once Secrets Manager rotates the password, every new connection fails, and after the first
 *   failed login the driver clears its pool: the app is down until someone edits the file.
 *
 *   node --import tsx examples/documentdb-ec2-app/before/app.ts
 */
import { readFileSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import { notesService, type Note } from '../notes-service.js';

interface Config {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  tlsCAFile: string;
}

const config = JSON.parse(readFileSync(new URL('./config.json', import.meta.url), 'utf8')) as Config;

// Get the user name, password, and database connection information from the config file.
const client = new MongoClient(
  `mongodb://${config.username}:${config.password}@${config.host}:${config.port}/` +
    `?tls=true&tlsCAFile=${config.tlsCAFile}&retryWrites=false`,
);
await client.connect();

const server = notesService(client.db(config.database).collection<Note>('notes'));
server.listen(Number(process.env['PORT'] ?? 8080));
