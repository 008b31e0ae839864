import { Command, InvalidArgumentError } from 'commander';
import { EXIT, reportFailure, type CliContext } from '../../src/cli/context.js';
import { runDemo } from './run.js';

interface DemoCommandOptions {
  rotations: number;
  interval: number;
  pause: number;
  duration?: number;
  concurrency: number;
  report?: string;
  endpoint?: string;
  region?: string;
  documentdb: boolean;
  verbose?: boolean;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
  return n;
}

/**
 * The demo's command line (`npm run demo -- [options]`, run by tools/demo/cli.ts): apps under
 * load while credstage's engine rotates their database password, credstage next to a read-once
 * app and an AWSCURRENT-only client. Needs no AWS account: an in-process Secrets Manager (or
 * `--endpoint`), embedded PostgreSQL, and FerretDB when it can be started. Exit 0 when
 * credstage's clients had no failed operation. Dev tooling: not part of the shipped `credstage`.
 *
 * @example
 * ```ts
 * const ctx = processContext();
 * process.exitCode = await runProgram(demoCommand(ctx), ['node', 'demo', '--rotations', '3'], ctx);
 * ```
 */
export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description('show connections surviving password rotation: credstage vs a read-once app vs an AWSCURRENT-only client')
    .option('--rotations <n>', 'rotations to run', positiveNumber, 10)
    .option('--interval <seconds>', 'time between rotations', positiveNumber, 3)
    .option('--pause <seconds>', 'time between the password change and the AWSCURRENT move', positiveNumber, 1)
    .option('--duration <seconds>', 'upper bound of the load phase', positiveNumber)
    .option('--concurrency <n>', 'workers per client', positiveNumber, 4)
    .option('--report <file.html>', 'also write a self-contained HTML report with a chart per client')
    .option('--endpoint <url>', 'use this Secrets Manager endpoint (moto, LocalStack, AWS) instead of the in-process one')
    .option('--region <region>', 'AWS region for --endpoint')
    .option('--no-documentdb', 'leave out the DocumentDB (FerretDB) half')
    .option('--verbose', 'on failure, also print the cause')
    .action(async (options: DemoCommandOptions) => {
      const abort = new AbortController();
      // Not `once`: the servers' own signal hook (tools/servers/child.ts) kills them at once and
      // re-raises the signal when it is the only listener left. Staying registered keeps the
      // first Ctrl-C a clean shutdown (exit 130); a second one falls through to that hook.
      const onSignal = (): void => {
        if (abort.signal.aborted) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          return;
        }
        ctx.err('\ninterrupted: stopping the load and the servers…');
        abort.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await runDemo({
          rotations: Math.floor(options.rotations),
          intervalMs: options.interval * 1000,
          pauseMs: options.pause * 1000,
          ...(options.duration === undefined ? {} : { durationMs: options.duration * 1000 }),
          concurrency: Math.max(1, Math.floor(options.concurrency)),
          ...(options.report === undefined ? {} : { reportPath: options.report }),
          ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
          ...(options.region === undefined ? {} : { region: options.region }),
          skipDocumentDb: !options.documentdb,
          write: (text) => process.stdout.write(text),
          live: process.stdout.isTTY === true,
          signal: abort.signal,
        });
        const credstageFailed = result.rows.filter((r) => r.client.startsWith('credstage')).reduce((n, r) => n + r.failed, 0);
        if (abort.signal.aborted) ctx.exitCode = EXIT.INTERRUPTED;
        else if (credstageFailed > 0) {
          ctx.err(`credstage: ${credstageFailed} operations failed through credstage's clients`);
          ctx.exitCode = EXIT.FAILED;
        } else ctx.exitCode = EXIT.OK;
      } catch (err) {
        ctx.exitCode = abort.signal.aborted ? EXIT.INTERRUPTED : reportFailure(ctx, err, options.verbose === true);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
