/**
 * Helpers for tests that run `credstage` (or a scheduler fixture) as a child process and read
 * what it prints, line by line.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ListSecretVersionIdsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fileURLToPath } from 'node:url';

/** The CLI's source entry point: run through tsx, so no build is needed. */
export const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));

/** The demo's entry point (`npm run demo`), dev tooling outside the package: run through tsx too. */
export const DEMO = fileURLToPath(new URL('../../../tools/demo/cli.ts', import.meta.url));

/** A preload that moves `Date.now()` forward by CREDSTAGE_TEST_CLOCK_OFFSET_MS (see the fixture). */
export const SHIFT_CLOCK = fileURLToPath(new URL('./fixtures/shift-clock.ts', import.meta.url));

const MINUTE_MS = 60_000;

/** What a finished child process left behind. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link LineProcess.start}. */
export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Node flags before the script, e.g. `['--import', SHIFT_CLOCK]` (tsx is always loaded first). */
  nodeFlags?: string[];
  /** The child is SIGKILLed after this long, so a hung child cannot hang the test run. */
  killAfterMs?: number;
}

/**
 * A child `node --import tsx <script> ...args` whose stdout is read as lines. Tests wait for a
 * line, signal the child, and wait for it to exit.
 */
export class LineProcess {
  static readonly #live = new Set<LineProcess>();
  readonly lines: string[] = [];
  #stdout = '';
  #stderr = '';
  #partial = '';
  #waiters: Array<() => void> = [];
  readonly #exited: Promise<Finished>;

  private constructor(readonly child: ChildProcessWithoutNullStreams, killAfterMs: number) {
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.#stdout += text;
      const parts = (this.#partial + text).split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    LineProcess.#live.add(this);
    this.#exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        clearTimeout(timer);
        LineProcess.#live.delete(this);
        if (this.#partial) this.lines.push(this.#partial);
        this.#partial = '';
        for (const wake of this.#waiters.splice(0)) wake();
        resolve({ code, signal, stdout: this.#stdout, stderr: this.#stderr });
      };
      child.on('error', (err) => {
        this.#stderr += String(err);
        finish(null, null);
      });
      child.on('close', finish);
    });
  }

  /** SIGKILLs every child still running (for `afterEach`: a failed test leaves none behind) and waits for them. */
  static async killAll(): Promise<void> {
    const live = [...LineProcess.#live];
    for (const run of live) run.child.kill('SIGKILL');
    await Promise.all(live.map((run) => run.exited()));
  }

  /** Starts `node --import tsx [nodeFlags] script ...args` in the package root. */
  static start(script: string, args: readonly string[], options: StartOptions = {}): LineProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', ...(options.nodeFlags ?? []), script, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new LineProcess(child, options.killAfterMs ?? 60_000);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Stdout lines that are JSON objects, parsed (other lines are skipped). */
  json(): Array<Record<string, unknown>> {
    return this.lines.flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** Resolves with the first stdout line matching `match`; rejects if the child exits first or time runs out. */
  async waitForLine(match: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#exited.then(() => (exited = true));
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      if (exited) throw new Error(`child exited before the expected line\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no expected line within ${timeoutMs} ms\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the first JSON log line whose `event` is `event` (and that passes `also`). */
  async waitForEvent(event: string, also: (line: Record<string, unknown>) => boolean = () => true, timeoutMs?: number): Promise<Record<string, unknown>> {
    const line = await this.waitForLine((l) => {
      const parsed = parseJsonLine(l);
      return parsed !== undefined && parsed['event'] === event && also(parsed);
    }, timeoutMs);
    return JSON.parse(line) as Record<string, unknown>;
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  exited(): Promise<Finished> {
    return this.#exited;
  }
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Runs `credstage ...args` to the end. */
export function credstage(args: readonly string[], options: StartOptions = {}): Promise<Finished> {
  const run = LineProcess.start(CLI, args, options);
  run.child.stdin.end();
  return run.exited();
}

/** When Secrets Manager created the secret's AWSCURRENT version: the anchor of its schedule. */
export async function currentCreatedAtMs(client: SecretsManagerClient, secretId: string): Promise<number> {
  const out = await client.send(new ListSecretVersionIdsCommand({ SecretId: secretId }));
  const current = out.Versions?.find((v) => v.VersionStages?.includes('AWSCURRENT'));
  if (!current?.CreatedDate) throw new Error(`${secretId} has no AWSCURRENT version with a CreatedDate`);
  return new Date(current.CreatedDate).getTime();
}

/** Every version of the secret, also those without a stage left (IncludeDeprecated). */
export async function allVersions(client: SecretsManagerClient, secretId: string): Promise<Array<{ versionId: string; stages: string[] }>> {
  const out = await client.send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }));
  return (out.Versions ?? []).map((v) => ({ versionId: v.VersionId!, stages: v.VersionStages ?? [] }));
}

/**
 * A daily AWS cron schedule whose next due time is a few minutes after `createdAtMs`, and that
 * due time. The due time lies ahead of the real clock for the whole test, so a rotation done for
 * it makes the secret "not due" again (the next due time is a day later, or the same one, already
 * done); a process whose clock is moved past the due time sees the secret due now.
 */
export function dailyCronDueSoon(createdAtMs: number, minutesAhead = 3): { schedule: string; dueAtMs: number } {
  const dueAtMs = (Math.floor(createdAtMs / MINUTE_MS) + minutesAhead) * MINUTE_MS;
  const due = new Date(dueAtMs);
  return { schedule: `cron(${due.getUTCMinutes()} ${due.getUTCHours()} * * ? *)`, dueAtMs };
}

/**
 * The forms in which a password could show up in output: as is, escaped inside a JSON string
 * (a `"` becomes `\"`), and URL-encoded.
 */
export function leakedForms(password: string): string[] {
  return [...new Set([password, JSON.stringify(password).slice(1, -1), encodeURIComponent(password)])];
}

/** The passwords (in any of their {@link leakedForms}) that occur in `text`; `[]` when none does. */
export function leakedPasswords(text: string, ...passwords: string[]): string[] {
  return passwords.filter((p) => leakedForms(p).some((form) => text.includes(form)));
}
