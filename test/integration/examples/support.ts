/**
 * Runs the examples in examples/ as child processes, the way a reader would (`node --import tsx`),
 * against the test servers: dummy AWS credentials, no instance metadata, moto as Secrets Manager.
 */
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../tools/servers/free-port.js';
import { servers } from '../../support/servers.js';
import { LineProcess } from '../cli/support.js';

export const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** Maps `credstage` and `credstage/*` to src/, for the example that imports the package by name. */
export const TSCONFIG = fileURLToPath(new URL('./tsconfig.json', import.meta.url));

/** The environment of every example: what vitest.config.ts gives the tests, spelled out for the child. */
export function exampleEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: servers().moto.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SECRETS_MANAGER_ENDPOINT: servers().moto.endpoint,
    TSX_TSCONFIG_PATH: TSCONFIG,
    ...extra,
  };
}

/** Starts an example's HTTP service on a free port and waits for its "listening" line. */
export async function startService(script: string, env: NodeJS.ProcessEnv): Promise<{ run: LineProcess; url: string }> {
  const port = await freePort();
  const run = LineProcess.start(`${EXAMPLES}${script}`, [], { env: exampleEnv({ PORT: String(port), ...env }), killAfterMs: 120_000 });
  run.child.stdin.end();
  await run.waitForLine((l) => l.includes('listening on'), 30_000);
  return { run, url: `http://127.0.0.1:${port}` };
}

/** One HTTP request to the service; resolves status and parsed body, bounded by a timeout. */
export async function request(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Stops a service with SIGTERM (its own shutdown) and waits for it. */
export async function stop(run: LineProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  run.signal('SIGTERM');
  return run.exited();
}
