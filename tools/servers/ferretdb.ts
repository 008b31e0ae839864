import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDir, startChild } from './child.js';
import { canConnect, freePort } from './free-port.js';
import { findPackageRoot } from './package-root.js';

/** Options for {@link startFerretDb}. */
export interface FerretDbOptions {
  /** Plain (non-TLS) port on 127.0.0.1; default: a free one. */
  readonly port?: number;
  /** Also listen with TLS on a second port, with this certificate and key (PEM files). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly port?: number };
  /** The first user, created in `admin`; default `admin`. */
  readonly username?: string;
  /** Default: random. */
  readonly password?: string;
  /** Default `$CREDSTAGE_FERRETDB_BIN`, else the path printed by `scripts/build-ferretdb.sh`. */
  readonly binaryPath?: string;
  /** Start-up, after the binary is found or built; default 30000. */
  readonly startTimeoutMs?: number;
}

/** A running FerretDB: MongoDB wire protocol with SCRAM auth and user management, SQLite backend. */
export interface RunningFerretDb {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** User with all privileges; authenticates against the `admin` database. */
  readonly username: string;
  readonly password: string;
  /** `mongodb://<user>:<password>@127.0.0.1:<port>/?authSource=admin&directConnection=true` */
  readonly url: string;
  /** Present when started with `tls`; the client must trust the certificate (`tlsCAFile`). */
  readonly tls?: { readonly port: number; readonly url: string };
  /** Stops the server and deletes its data; safe to call twice. */
  stop(): Promise<void>;
}

const BUILD_HINT = 'run bash scripts/build-ferretdb.sh (needs Go and the Go module proxy) or set CREDSTAGE_FERRETDB_BIN';
let built: Promise<string> | undefined;

async function buildBinary(): Promise<string> {
  let script: string;
  try {
    script = join(findPackageRoot(), 'scripts', 'build-ferretdb.sh');
  } catch {
    throw new Error(`FerretDB binary not available (no credstage checkout found): ${BUILD_HINT}`);
  }
  // A managed child, so an interrupted test run does not leave a Go build behind.
  const build = startChild({ name: 'build-ferretdb.sh', command: 'bash', args: [script], exitSignal: 'SIGTERM' });
  const code = await build.waitForExit();
  await build.stop();
  // The script logs to stderr with a "build-ferretdb:" prefix and prints the binary path last on stdout.
  const lines = build.output().split('\n').map((line) => line.trim()).filter(Boolean);
  const path = lines.filter((line) => !line.startsWith('build-ferretdb:')).at(-1) ?? '';
  if (code === 0 && existsSync(path)) return path;
  throw new Error(`FerretDB binary not available (${build.lastLine()}): ${BUILD_HINT}`);
}

/** Finds the FerretDB binary, building it once per process when needed. */
function ferretDbBinary(explicit: string | undefined): Promise<string> {
  const path = explicit ?? process.env['CREDSTAGE_FERRETDB_BIN'];
  if (path) {
    return existsSync(path) ? Promise.resolve(path) : Promise.reject(new Error(`FerretDB binary not found at ${path}: ${BUILD_HINT}`));
  }
  built ??= buildBinary().catch((err: unknown) => {
    built = undefined; // let a later call try again
    throw err;
  });
  return built;
}

function mongoUrl(username: string, password: string, port: number, extra = ''): string {
  const auth = `${encodeURIComponent(username)}:${encodeURIComponent(password)}`;
  return `mongodb://${auth}@127.0.0.1:${port}/?authSource=admin&directConnection=true${extra}`;
}

/** FerretDB answers `ping` without auth, so only an authenticated read proves it is ready. */
async function acceptsLogin(port: number, url: string): Promise<boolean> {
  if (!(await canConnect(port))) return false;
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
  try {
    await client.db('admin').collection('credstage_ready').findOne({});
    return true;
  } finally {
    await client.close();
  }
}

/**
 * Starts FerretDB (SQLite backend, new SCRAM auth, one admin user) on 127.0.0.1 in a temp dir.
 * Resolves once the admin user can log in and read.
 *
 * @example
 * ```ts
 * const ferret = await startFerretDb();
 * const client = await MongoClient.connect(ferret.url);
 * await ferret.stop();
 * ```
 */
export async function startFerretDb(options: FerretDbOptions = {}): Promise<RunningFerretDb> {
  const binary = await ferretDbBinary(options.binaryPath);
  const username = options.username ?? 'admin';
  const password = options.password ?? randomBytes(18).toString('base64url');
  const port = options.port ?? (await freePort());
  const tlsPort = options.tls ? (options.tls.port ?? (await freePort())) : undefined;
  const base = await makeTempDir('ferretdb');
  try {
    await mkdir(join(base, 'data'));
    await mkdir(join(base, 'state'));
  } catch (err) {
    await removeDir(base);
    throw err;
  }

  const tlsArgs = options.tls
    ? [`--listen-tls=127.0.0.1:${tlsPort}`, `--listen-tls-cert-file=${options.tls.certFile}`, `--listen-tls-key-file=${options.tls.keyFile}`]
    : [];
  const child = startChild({
    name: 'FerretDB',
    command: binary,
    args: [
      `--listen-addr=127.0.0.1:${port}`,
      ...tlsArgs,
      '--handler=sqlite',
      `--sqlite-url=file:${join(base, 'data')}/`,
      `--state-dir=${join(base, 'state')}`,
      '--test-enable-new-auth',
      '--setup-database=admin',
      `--setup-username=${username}`,
      '--telemetry=disable',
      '--debug-addr=-',
    ],
    // Through the environment, so the password does not show up in `ps`.
    env: { ...process.env, FERRETDB_SETUP_PASSWORD: password },
    tempDirs: [base],
  });
  const url = mongoUrl(username, password, port);
  try {
    await child.waitUntil(() => acceptsLogin(port, url), options.startTimeoutMs ?? 30_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  const tls = tlsPort === undefined ? undefined : { port: tlsPort, url: mongoUrl(username, password, tlsPort, '&tls=true') };
  return { host: '127.0.0.1', port, username, password, url, ...(tls ? { tls } : {}), stop: child.stop };
}
