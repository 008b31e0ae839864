import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to run one server process. */
export interface ChildOptions {
  /** Server name for error messages, e.g. `'PostgreSQL'`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
  /** Signal for a graceful stop; default `SIGTERM`. */
  readonly stopSignal?: NodeJS.Signals;
  /** Signal sent when this process exits and there is no time to wait; default `SIGKILL`. */
  readonly exitSignal?: NodeJS.Signals;
  /** How long `stop()` waits after `stopSignal` before `SIGKILL`; default 5000. */
  readonly stopTimeoutMs?: number;
  /** Directories (from {@link makeTempDir}) removed once the child has stopped. */
  readonly tempDirs?: readonly string[];
  /** Give the child a stdin pipe, so it can notice this process dying (EOF) even after SIGKILL. */
  readonly stdinPipe?: boolean;
  /** Called with every chunk of stdout and stderr. */
  readonly onOutput?: (chunk: string) => void;
}

/** A running server process that dies with this process. */
export interface Child {
  readonly pid: number | undefined;
  /** The last few KB of stdout and stderr. */
  output(): string;
  /** The last non-empty output line, or the spawn error; for one-line error messages. */
  lastLine(): string;
  hasExited(): boolean;
  /** Resolves with the exit code once the child has exited (null: killed by a signal, or never started). */
  waitForExit(): Promise<number | null>;
  /**
   * Polls `probe` until it returns true. Rejects when the child exits first or `timeoutMs` passes;
   * the rejection's message is one line naming the server.
   */
  waitUntil(probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void>;
  /** Stops the child (graceful, then SIGKILL) and removes its temp dirs; safe to call twice. */
  stop(): Promise<void>;
}

const OUTPUT_LIMIT = 8192;
const POLL_INTERVAL_MS = 100;
const liveChildren = new Set<{ proc: ChildProcess; exitSignal: NodeJS.Signals }>();
const liveDirs = new Set<string>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Kills every live child and removes every temp dir synchronously: `exit` allows nothing else. */
function killAllNow(): void {
  for (const { proc, exitSignal } of liveChildren) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(exitSignal);
  }
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // Best effort: a dying server may still be writing into it.
    }
  }
  liveChildren.clear();
  liveDirs.clear();
  uninstall();
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else decides what this signal does; if they exit, the 'exit' hook cleans up.
  if (process.listenerCount(signal) > 1) return;
  killAllNow();
  process.kill(process.pid, signal); // our listener is gone: the default action ends the process
}

let installed = false;
function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed || liveChildren.size > 0 || liveDirs.size > 0) return;
  installed = false;
  process.off('exit', killAllNow);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * On Linux, run the server through util-linux's `setpriv --pdeathsig` so the kernel signals it
 * when this process dies, even by SIGKILL, where no exit hook runs.
 */
function withParentDeathSignal(command: string, args: readonly string[], signal: NodeJS.Signals): [string, string[]] {
  if (process.platform !== 'linux' || !existsSync(SETPRIV)) return [command, [...args]];
  return [SETPRIV, ['--pdeathsig', signal, '--', command, ...args]];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp dirs left by launcher processes that died by SIGKILL, where no exit hook ran. */
async function sweepOrphans(prefix: string): Promise<void> {
  const pattern = new RegExp(`^${prefix}(\\d+)-`);
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  await Promise.all(
    names.map((name) => {
      const pid = Number(pattern.exec(name)?.[1] ?? 0);
      return pid > 0 && !isAlive(pid) ? removeDir(join(tmpdir(), name)) : undefined;
    }),
  );
}

/**
 * Creates a fresh temp dir `/tmp/credstage-<label>-<pid>-XXXXXX`, removed by {@link removeDir} or
 * when this process exits; first removes the dirs of launcher processes that are gone.
 */
export async function makeTempDir(label: string): Promise<string> {
  const prefix = `credstage-${label}-`;
  await sweepOrphans(prefix);
  // Synchronous, so the dir is registered before anything (a signal, process.exit) can run.
  const dir = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
  install();
  liveDirs.add(dir);
  return dir;
}

/** Removes a temp dir (and forgets it). */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  liveDirs.delete(dir);
  uninstall();
}

/** Spawns a server process that is killed when this process exits or receives SIGINT/SIGTERM/SIGHUP. */
export function startChild(options: ChildOptions): Child {
  const { name, stopSignal = 'SIGTERM', exitSignal = 'SIGKILL', stopTimeoutMs = 5000, tempDirs = [] } = options;
  const [command, args] = withParentDeathSignal(options.command, options.args, exitSignal);
  const proc = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const entry = { proc, exitSignal };
  install();
  liveChildren.add(entry);

  let output = '';
  let spawnError: Error | undefined;
  const onData = (chunk: string): void => {
    output = (output + chunk).slice(-OUTPUT_LIMIT);
    options.onOutput?.(chunk);
  };
  proc.stdout?.setEncoding('utf8').on('data', onData);
  proc.stderr?.setEncoding('utf8').on('data', onData);
  proc.stdin?.on('error', () => undefined); // EPIPE when the child is gone
  const exited = new Promise<number | null>((resolve) => {
    proc.once('error', (err) => {
      spawnError = err;
      resolve(null);
    });
    proc.once('exit', (code) => resolve(code));
  });
  const hasExited = (): boolean => spawnError !== undefined || proc.exitCode !== null || proc.signalCode !== null;
  const lastLine = (): string => {
    if (spawnError) return spawnError.message;
    const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
    return lines.at(-1) ?? `exit code ${proc.exitCode ?? proc.signalCode ?? 'none'}, no output`;
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (!hasExited()) {
        proc.kill(stopSignal);
        const timer = setTimeout(() => proc.kill('SIGKILL'), stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }
      liveChildren.delete(entry);
      await Promise.all(tempDirs.map(removeDir));
      uninstall();
    })());

  const waitUntil = async (probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let probeError = '';
    for (;;) {
      if (hasExited()) throw new Error(`${name} exited during start-up: ${lastLine()}`);
      const ok = await Promise.resolve()
        .then(probe)
        .catch((err: unknown) => {
          probeError = err instanceof Error ? err.message : String(err);
          return false;
        });
      if (ok) return;
      if (Date.now() > deadline) {
        throw new Error(`${name} not ready after ${timeoutMs} ms: ${probeError || lastLine()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  };

  const waitForExit = (): Promise<number | null> => exited;
  return { pid: proc.pid, output: () => output, lastLine, hasExited, waitForExit, waitUntil, stop };
}
