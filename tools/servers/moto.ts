import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, type Child } from './child.js';
import { freePort } from './free-port.js';
import { findPackageRoot } from './package-root.js';

/** Options for {@link startMoto}. */
export interface MotoOptions {
  /** Port on 127.0.0.1; default: a free one. */
  readonly port?: number;
  /** Python interpreter with `moto[server]` installed; default `$CREDSTAGE_PYTHON` or `python3`. */
  readonly python?: string;
  /** Path of `moto_server.py`; default `scripts/moto_server.py` in the credstage checkout. */
  readonly launcherPath?: string;
  /** Default 30000. */
  readonly startTimeoutMs?: number;
}

/** A running moto server: a Secrets Manager API on loopback. */
export interface RunningMoto {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** For the AWS SDK's `endpoint` option, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** moto accepts any region; tests use this one. */
  readonly region: 'us-east-1';
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT = "pip install 'moto[server]'";

async function answersHttp(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await response.body?.cancel();
  return true;
}

function startError(child: Child, python: string, cause: unknown): Error {
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (/ENOENT|No such file or directory/.test(child.lastLine())) {
    return new Error(`moto_server not found: ${python} is not on PATH (set CREDSTAGE_PYTHON), then ${INSTALL_HINT}`);
  }
  if (child.output().includes("cannot import moto's server")) {
    return new Error(`moto_server not found: ${INSTALL_HINT} (for ${python})`);
  }
  return new Error(`moto_server did not start: ${detail}`);
}

/**
 * Starts moto's server on 127.0.0.1 through `scripts/moto_server.py`, which makes a GetSecretValue
 * without VersionStage follow AWSCURRENT as real Secrets Manager does. Resolves once it answers HTTP.
 *
 * @example
 * ```ts
 * const moto = await startMoto();
 * const client = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region });
 * await moto.stop();
 * ```
 */
export async function startMoto(options: MotoOptions = {}): Promise<RunningMoto> {
  const python = options.python ?? process.env['CREDSTAGE_PYTHON'] ?? 'python3';
  const launcher = options.launcherPath ?? join(findPackageRoot(), 'scripts', 'moto_server.py');
  if (!existsSync(launcher)) throw new Error(`moto_server launcher missing: ${launcher} (pass launcherPath)`);
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;

  const child = startChild({
    name: 'moto_server',
    command: python,
    args: [launcher, String(port), '--exit-on-stdin-eof'],
    env: motoEnv(),
    stdinPipe: true,
  });
  try {
    await child.waitUntil(() => answersHttp(`${endpoint}/moto-api/`), options.startTimeoutMs ?? 30_000);
  } catch (err) {
    await child.stop();
    throw startError(child, python, err);
  }
  return { host: '127.0.0.1', port, endpoint, region: 'us-east-1', stop: child.stop };
}

/**
 * moto's server needs no AWS account, but botocore inside it fails every request when
 * AWS_PROFILE names a profile that does not exist (the empty string included): the child
 * gets dummy credentials and no profile.
 */
function motoEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
  delete env['AWS_PROFILE'];
  delete env['AWS_SESSION_TOKEN'];
  env['AWS_ACCESS_KEY_ID'] = 'testing';
  env['AWS_SECRET_ACCESS_KEY'] = 'testing';
  env['AWS_EC2_METADATA_DISABLED'] = 'true';
  return env;
}
