import { Command, CommanderError } from 'commander';
import { EXIT, type CliContext } from './context.js';
import { doctorCommand } from './doctor.js';
import { getCommand } from './get.js';
import { rotateCommand, type RotateCommandDeps } from './rotate.js';
import { scheduleCommand } from './schedule.js';
import { CREDSTAGE_VERSION } from './version.js';

/** Dependencies of the commands, replaceable in tests. */
export type CliDeps = RotateCommandDeps;

/**
 * The commands of `credstage`, one module each (`src/cli/<name>.ts`). To add one, add its
 * factory here; it may use `ctx` for output and the exit code, or write to the process itself.
 */
const COMMANDS: ReadonlyArray<(ctx: CliContext, deps: CliDeps) => Command> = [
  (ctx) => getCommand(ctx),
  (ctx, deps) => rotateCommand(ctx, deps),
  (ctx) => scheduleCommand(ctx),
  (ctx) => doctorCommand(ctx),
];

/**
 * Usage errors end in a CommanderError (exit code 2) instead of `process.exit`, on `command` and
 * every subcommand; output goes to `ctx`.
 *
 * @example
 * ```ts
 * applySettings(demoCommand(ctx), ctx);
 * ```
 */
export function applySettings(command: Command, ctx: CliContext): void {
  command
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => ctx.out(text.replace(/\n$/, '')),
      writeErr: (text) => ctx.err(text.replace(/\n$/, '')),
    });
  for (const sub of command.commands) applySettings(sub, ctx);
}

/**
 * The `credstage` program with every command; `ctx` receives the lines written and the exit code.
 *
 * @example
 * ```ts
 * const program = createProgram(processContext());
 * await program.parseAsync(process.argv);
 * ```
 */
export function createProgram(ctx: CliContext, deps: CliDeps = {}): Command {
  const program = new Command('credstage')
    .description('database credentials from AWS Secrets Manager: rotation and inspection')
    .version(CREDSTAGE_VERSION, '-V, --version', 'print the version of credstage');
  for (const make of COMMANDS) program.addCommand(make(ctx, deps));
  applySettings(program, ctx);
  return program;
}

/**
 * Runs `credstage` with `argv` (as in `process.argv`) and resolves the exit code: 0 done,
 * 1 failed, 2 bad usage, 3 another rotation in progress.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv, processContext());
 * ```
 */
export async function runCli(argv: readonly string[], ctx: CliContext, deps: CliDeps = {}): Promise<number> {
  return runProgram(createProgram(ctx, deps), argv, ctx);
}

/**
 * Runs `program` (its settings applied: {@link applySettings}) with `argv` and resolves the exit
 * code the command set, or 2 for bad usage. `credstage` and the dev-only demo (tools/demo) share it.
 *
 * @example
 * ```ts
 * process.exitCode = await runProgram(createProgram(ctx), process.argv, ctx);
 * ```
 */
export async function runProgram(program: Command, argv: readonly string[], ctx: CliContext): Promise<number> {
  try {
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help ends in a CommanderError with exit code 0; a usage error has been printed already.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    throw err;
  }
}
