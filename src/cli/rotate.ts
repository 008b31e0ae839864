import { Command, InvalidArgumentError, Option } from 'commander';
import { rotateSecret } from '../rotation/rotate.js';
import type { RotateSecretOptions, RotationResult, RotationStrategyName, StepReport } from '../rotation/types.js';
import { secretsManagerConfigFrom, withAwsOptions, type AwsOptions } from './aws-options.js';
import { EXIT, reportFailure, type CliContext } from './context.js';

interface RotateCommandOptions extends AwsOptions {
  strategy: RotationStrategyName;
  token?: string;
  passwordLength?: number;
  excludeCharacters?: string;
  connectTimeoutMs?: number;
  tlsCaFile?: string;
}

/** Dependencies of the command; tests replace `rotate`. */
export interface RotateCommandDeps {
  rotate?: (options: RotateSecretOptions) => Promise<RotationResult>;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function stepLine(report: StepReport): string {
  const line = `  ${report.step.padEnd(13)} ${report.outcome.padEnd(8)} ${`${report.durationMs} ms`.padStart(8)}  ${report.detail}`;
  return report.warning === undefined ? line : `${line}\n  warning: ${report.warning}`;
}

/**
 * `credstage rotate <secretId>`: one rotation now, each step printed as it finishes, then a
 * summary. Exit 0 when rotated, 3 when another rotation holds AWSPENDING, 1 on any other failure.
 *
 * @example
 * ```ts
 * const program = new Command('credstage').addCommand(rotateCommand(processContext()));
 * await program.parseAsync(['node', 'credstage', 'rotate', 'app/db', '--strategy', 'alternating-users']);
 * ```
 */
export function rotateCommand(ctx: CliContext, deps: RotateCommandDeps = {}): Command {
  const rotate = deps.rotate ?? rotateSecret;
  const command = new Command('rotate')
    .description('rotate a DocumentDB, Redshift or PostgreSQL secret now (resumes a rotation left unfinished)')
    .argument('<secretId>', 'name or ARN of the secret')
    .addOption(new Option('--strategy <strategy>', 'how the password changes').choices(['single-user', 'alternating-users']).default('single-user'))
    .option('--token <clientRequestToken>', 'drive the rotation with this ClientRequestToken (resume or converge)')
    .option('--password-length <n>', 'length of the new password', wholeNumber)
    .option('--exclude-characters <chars>', "characters the new password must not contain, on top of the engine's")
    .option('--connect-timeout-ms <ms>', 'database connect timeout', wholeNumber)
    .option('--tls-ca-file <path>', "PEM file with the CA of the database's certificate");
  return withAwsOptions(command).action(async (secretId: string, options: RotateCommandOptions) => {
    ctx.out(`rotating ${secretId} (${options.strategy})`);
    try {
      const policy = {
        ...(options.passwordLength === undefined ? {} : { length: options.passwordLength }),
        ...(options.excludeCharacters === undefined ? {} : { excludeCharacters: options.excludeCharacters }),
      };
      const result = await rotate({
        secretId,
        secretsManagerConfig: secretsManagerConfigFrom(options),
        strategy: options.strategy,
        ...(options.token === undefined ? {} : { clientRequestToken: options.token }),
        ...(Object.keys(policy).length === 0 ? {} : { passwordPolicy: policy }),
        ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
        ...(options.tlsCaFile === undefined ? {} : { tlsCAFile: options.tlsCaFile }),
        onStep: (report) => ctx.out(stepLine(report)),
      });
      const was = result.oldVersionId === undefined ? '' : ` (was ${result.oldVersionId})`;
      const resumed = result.resumed ? ', resuming a rotation already under way' : '';
      ctx.out(`rotated ${secretId}: AWSCURRENT is version ${result.newVersionId}${was}, ${result.durationMs} ms${resumed}`);
      ctx.exitCode = EXIT.OK;
    } catch (err) {
      ctx.exitCode = reportFailure(ctx, err, options.verbose === true);
    }
  });
}
