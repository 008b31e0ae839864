import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { checkNumber } from '../internal/options.js';
import { InvalidOptionError } from '../errors.js';
import { checkScheduledRotationOptions, checkScheduledSecrets, MAX_TIMER_MS } from '../rotation/scheduler/options.js';
import { isPlainObject, refuseUnknownKeys } from '../internal/options.js';
import { RotationScheduler, type ScheduledRotationOptions, type ScheduledSecret, type SchedulerEvent } from '../rotation/scheduler/scheduler.js';
import { secretsManagerConfigFrom, withAwsOptions, type AwsOptions } from './aws-options.js';
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

// Over every key of the type: the compiler keeps this list complete and exact.
const CONFIG_KEYS: Record<keyof SchedulerConfigFile, true> = { region: true, endpoint: true, checkIntervalSeconds: true, rotation: true, secrets: true };

/** The longest check interval whose milliseconds setInterval still honours (2^31 - 1 ms). */
const MAX_CHECK_INTERVAL_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * Reads and checks a scheduler config file: every field, down to each secret's `rotation`
 * block, is checked now, before any client is built or any rotation falls due. Errors are
 * InvalidOptionError naming the field's path (`secrets[2].rotation.connectTimeoutMs`).
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
  if (!isPlainObject(json)) throw new InvalidOptionError('--config', `must hold a JSON object with a list of secrets in ${path}`);
  refuseUnknownKeys('', json, CONFIG_KEYS, `the config file ${path}`);
  if (!Array.isArray(json['secrets'])) throw new InvalidOptionError('secrets', `must be a list in ${path}`);
  checkScheduledSecrets(json['secrets'], 'secrets');
  checkScheduledRotationOptions(json['rotation'], 'rotation');
  const { region, endpoint, checkIntervalSeconds } = json;
  if (region !== undefined && (typeof region !== 'string' || region === '')) {
    throw new InvalidOptionError('region', 'must be a region name such as "us-west-2"');
  }
  if (endpoint !== undefined && !isHttpUrl(endpoint)) throw new InvalidOptionError('endpoint', 'must be an http:// or https:// URL');
  if (checkIntervalSeconds !== undefined) checkNumber('checkIntervalSeconds', checkIntervalSeconds, 1, MAX_CHECK_INTERVAL_SECONDS);
  return json as unknown as SchedulerConfigFile;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
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
        secretsManagerConfig: secretsManagerConfigFrom({ endpoint: options.endpoint ?? config.endpoint, region: options.region ?? config.region }),
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
