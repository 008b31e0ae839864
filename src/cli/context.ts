import { InvalidOptionError, RotationInProgressError } from '../errors.js';
import { describeCause } from '../rotation/step-errors.js';

/**
 * The exit codes of `credstage` commands.
 *
 * @example
 * ```ts
 * if (code === EXIT.IN_PROGRESS) scheduleRetry();
 * ```
 */
export const EXIT = Object.freeze({
  /** The command did what was asked. */
  OK: 0,
  /** It failed; the error line says why. */
  FAILED: 1,
  /** Bad command line or option. */
  USAGE: 2,
  /** Another rotation of the secret is under way: try again later. */
  IN_PROGRESS: 3,
  /** Stopped by SIGINT/SIGTERM (128 + SIGINT's number, as shells report it). */
  INTERRUPTED: 130,
});

/** Where a command writes, and the exit code it sets. Injected so commands are testable without a process. */
export interface CliContext {
  /** One line to standard output. */
  out(line: string): void;
  /** One line to standard error. */
  err(line: string): void;
  exitCode: number;
}

/**
 * A context writing to the process's stdout and stderr.
 *
 * @example
 * ```ts
 * const code = await runCli(process.argv, processContext());
 * ```
 */
export function processContext(): CliContext {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    exitCode: EXIT.OK,
  };
}

/**
 * Reports a failure as one line (`credstage: <message>`), plus its causes with `verbose`, and
 * returns the exit code. credstage's messages never hold a secret value, and the rotation engine
 * has already replaced any cause that did.
 *
 * @example
 * ```ts
 * try { await work(); } catch (err) { ctx.exitCode = reportFailure(ctx, err, options.verbose === true); }
 * ```
 */
export function reportFailure(ctx: CliContext, err: unknown, verbose: boolean): number {
  const message = err instanceof Error ? err.message : String(err);
  ctx.err(`credstage: ${message.split('\n')[0]}`);
  if (verbose) {
    const seen = new Set<unknown>([err]);
    for (let cause = (err as { cause?: unknown })?.cause; cause !== undefined && !seen.has(cause); cause = (cause as { cause?: unknown })?.cause) {
      seen.add(cause);
      ctx.err(`  caused by ${describeCause(cause)}`);
    }
  }
  if (err instanceof RotationInProgressError) return EXIT.IN_PROGRESS;
  if (err instanceof InvalidOptionError) return EXIT.USAGE;
  return EXIT.FAILED;
}
