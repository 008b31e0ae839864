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
 *
 * CONFIG_FILE names another config file (default: config.json next to this file); its `"tls": false`
 * turns TLS off, for a local server without it.
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
  tls?: boolean;
}

const configFile = process.env['CONFIG_FILE'] ?? new URL('./config.json', import.meta.url);
const config = JSON.parse(readFileSync(configFile, 'utf8')) as Config;
const tls = config.tls === false ? 'tls=false' : `tls=true&tlsCAFile=${config.tlsCAFile}`;

// Get the user name, password, and database connection information from the config file.
const client = new MongoClient(
  `mongodb://${config.username}:${config.password}@${config.host}:${config.port}/` +
    `?${tls}&retryWrites=false`,
);
await client.connect();

const port = Number(process.env['PORT'] ?? 8080);
const server = notesService(client.db(config.database).collection<Note>('notes'));
server.listen(port, () => console.log(`notes service listening on :${port}`));
