import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { InvalidOptionError } from '../errors.js';
import { parseSchedule, parseWindow } from '../rotation/scheduler/schedule.js';
import { RotationScheduler, type ScheduledRotationOptions, type ScheduledSecret, type SchedulerEvent } from '../rotation/scheduler/scheduler.js';
import { clientConfigFrom, withAwsOptions, type AwsOptions } from './aws-options.js';
import { EXIT, reportFailure, type CliContext } from './context.js';

interface ScheduleOptions extends AwsOptions {
  config: string;
  dryRun?: boolean;
}

/** The `--config` file of `credstage schedule`. */
export interface SchedulerConfigFile {
  region?: string;
  endpoint?: string;
  checkIntervalSeconds?: number;
  /** Engine options for every secret: `tlsCAFile` (DocumentDB's global-bundle.pem), `passwordPolicy`, timeouts. */
  rotation?: ScheduledRotationOptions;
  secrets: ScheduledSecret[];
}

/**
 * Reads and checks a scheduler config file; errors name the file and the field.
 *
 * @example
 * ```ts
 * const config = await readSchedulerConfig('credstage.json');
 * ```
 */
export async function readSchedulerConfig(path: string): Promise<SchedulerConfigFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InvalidOptionError('--config', `cannot be read as JSON from ${path}: ${(err as Error).message}`);
  }
  const config = json as SchedulerConfigFile;
  if (!config || typeof config !== 'object' || !Array.isArray(config.secrets)) {
    throw new InvalidOptionError('secrets', `must be a list in ${path}`);
  }
  config.secrets.forEach((s, i) => {
    if (s?.strategy !== undefined && s.strategy !== 'single-user' && s.strategy !== 'alternating-users') {
      throw new InvalidOptionError(`secrets[${i}].strategy`, 'must be single-user or alternating-users');
    }
    checkScheduleOf(s, i);
  });
  if (config.checkIntervalSeconds !== undefined && !(config.checkIntervalSeconds >= 1)) {
    throw new InvalidOptionError('checkIntervalSeconds', 'must be a number of seconds >= 1');
  }
  return config;
}

/**
 * Checks one entry's schedule and window now, so the error names the entry
 * (`secrets[1].schedule`), not just the field, and comes before any client is built.
 */
function checkScheduleOf(entry: ScheduledSecret | undefined, index: number): void {
  try {
    if (entry?.window !== undefined) parseWindow(entry.window);
    if (entry?.schedule !== undefined) parseSchedule(entry.schedule, entry.window);
  } catch (err) {
    if (!(err instanceof InvalidOptionError)) throw err;
    const problem = err.message.slice(`option "${err.option}" `.length);
    throw new InvalidOptionError(`secrets[${index}].${err.option}`, problem);
  }
}

/** One structured log line per scheduler event. */
function logLine(event: SchedulerEvent): string {
  const { at, type, ...rest } = event;
  const level = type === 'rotation-failed' || type === 'overdue' || type === 'error' ? 'error' : type === 'retry' ? 'warn' : 'info';
  return JSON.stringify({ time: at.toISOString(), level, event: type, ...rest });
}

/**
 * `credstage schedule --config credstage.json`: rotates the listed secrets on their schedules
 * until SIGTERM or SIGINT (a rotation under way stops at its next step boundary; the next run
 * resumes it), logging JSON lines; `--dry-run` prints each secret's plan and exits.
 *
 * @example
 * ```ts
 * const program = new Command('credstage').addCommand(scheduleCommand(processContext()));
 * await program.parseAsync(['node', 'credstage', 'schedule', '--config', 'credstage.json', '--dry-run']);
 * ```
 */
export function scheduleCommand(ctx: CliContext): Command {
  const command = new Command('schedule')
    .description('rotate secrets on their schedules without Lambda (a long-lived process; JSON-lines logs)')
    .requiredOption('--config <file>', 'JSON: { "secrets": [{ "secretId", "schedule", "window", "strategy" }], "checkIntervalSeconds" }')
    .option('--dry-run', 'print the plan for each secret and exit');
  return withAwsOptions(command).action(async (options: ScheduleOptions) => {
    let scheduler: RotationScheduler | undefined;
    try {
      const config = await readSchedulerConfig(options.config);
      scheduler = new RotationScheduler({
        secrets: config.secrets,
        ...(config.rotation === undefined ? {} : { rotation: config.rotation }),
        clientConfig: clientConfigFrom({ endpoint: options.endpoint ?? config.endpoint, region: options.region ?? config.region }),
        checkIntervalMs: (config.checkIntervalSeconds ?? 60) * 1000,
        onEvent: (event) => ctx.out(logLine(event)),
      });
      if (options.dryRun) {
        for (const plan of await scheduler.plan()) ctx.out(JSON.stringify(plan));
        ctx.exitCode = EXIT.OK;
        return;
      }
      const signal = await new Promise<string>((resolve) => {
        const stopOn = (name: string) => (): void => {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          resolve(name);
        };
        const onTerm = stopOn('SIGTERM');
        const onInt = stopOn('SIGINT');
        process.once('SIGTERM', onTerm);
        process.once('SIGINT', onInt);
        scheduler!.start();
        ctx.out(JSON.stringify({ time: new Date().toISOString(), level: 'info', event: 'started', secrets: config.secrets.length }));
      });
      ctx.out(JSON.stringify({ time: new Date().toISOString(), level: 'info', event: 'stopping', signal }));
      await scheduler.stop();
      ctx.out(JSON.stringify({ time: new Date().toISOString(), level: 'info', event: 'stopped' }));
      ctx.exitCode = EXIT.OK;
    } catch (err) {
      ctx.exitCode = reportFailure(ctx, err, options.verbose === true);
      await scheduler?.stop();
    }
  });
}
