import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DatabaseEngine } from '../credentials/parse.js';
import { createSecretsManagerClient } from '../secrets-manager/client.js';
import { secretsManagerConfigFrom, withAwsOptions, type AwsOptions } from './aws-options.js';
import { EXIT, type CliContext } from './context.js';
import { runDoctorChecks, type DoctorRunOptions } from './doctor-checks.js';
import { doctorReport, formatDoctorReport, redactReport } from './doctor-report.js';

interface DoctorCommandOptions extends AwsOptions {
  engine?: DatabaseEngine;
  tlsCaFile?: string;
  timeoutMs: number;
  json?: boolean;
  strict?: boolean;
}

/** Dependencies of the command; tests replace how the database adapters load. */
export interface DoctorCommandDeps {
  loadAdapter?: DoctorRunOptions['loadAdapter'];
}

/** Each network step (a Secrets Manager request, resolve, connect, handshake, login, query) is bounded by this unless --timeout-ms says otherwise. */
export const DEFAULT_DOCTOR_TIMEOUT_MS = 5_000;

function positiveMs(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number of milliseconds above 0');
  return Number(value);
}

/**
 * `credstage doctor <secretId>`: checks, on this host and with its AWS identity, everything an
 * app using the secret needs — read the secret, its fields, DNS, TCP, TLS (with the certificate
 * chain), a login with AWSCURRENT and a query — and reports the rotation setup (DescribeSecret,
 * a leftover AWSPENDING, the master secret of alternating users). One line per check with the
 * fix; `--json` for machines. Exit 0 when nothing the app needs failed (warnings about the
 * rotation setup too with `--strict`: then 1), 1 otherwise, 2 for bad usage. Never prints a
 * secret value.
 *
 * @example
 * ```ts
 * const program = new Command('credstage').addCommand(doctorCommand(processContext()));
 * await program.parseAsync(['node', 'credstage', 'doctor', 'Applications/MyApp/Documentdb-instance', '--tls-ca-file', 'global-bundle.pem']);
 * ```
 */
export function doctorCommand(ctx: CliContext, deps: DoctorCommandDeps = {}): Command {
  const command = new Command('doctor')
    .description('check on this host whether an app can use the secret: read, fields, DNS, TCP, TLS, login, and the rotation setup')
    .argument('<secretId>', 'name or ARN of the secret')
    .addOption(new Option('--engine <engine>', 'how the app connects, for a secret without an "engine" field').choices(['mongo', 'redshift', 'postgres']))
    .option('--tls-ca-file <path>', 'the CA bundle the app passes (DocumentDB tlsCAFile, Redshift/PostgreSQL ssl.ca), e.g. global-bundle.pem')
    .option('--timeout-ms <ms>', 'bound of each network step (each Secrets Manager request too)', positiveMs, DEFAULT_DOCTOR_TIMEOUT_MS)
    .option('--json', 'print one JSON document (its "version" field names its shape)')
    .option('--strict', 'exit 1 on warnings too (a stuck AWSPENDING, a master secret that does not log in)');
  return withAwsOptions(command).action(async (secretId: string, options: DoctorCommandOptions) => {
    let tlsCAFile: DoctorRunOptions['tlsCAFile'];
    if (options.tlsCaFile !== undefined) {
      try {
        tlsCAFile = { path: options.tlsCaFile, pem: readFileSync(options.tlsCaFile, 'utf8') };
      } catch (err) {
        ctx.err(`credstage: option "--tls-ca-file" cannot be read: ${(err as { code?: string }).code ?? String(err)}`);
        ctx.exitCode = EXIT.USAGE;
        return;
      }
    }
    // Secrets Manager is a network step too: a stalled endpoint answers within --timeout-ms, not the client's 5 s.
    const requestHandler = { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs, throwOnRequestTimeout: true };
    const client = createSecretsManagerClient({ ...secretsManagerConfigFrom(options), requestHandler });
    try {
      const { results, secrets } = await runDoctorChecks({
        secretId,
        secretsManager: client,
        engine: options.engine,
        tlsCAFile,
        timeoutMs: options.timeoutMs,
        ...(deps.loadAdapter === undefined ? {} : { loadAdapter: deps.loadAdapter }),
      });
      const report = redactReport(doctorReport(secretId, results, { strict: options.strict === true }), secrets);
      if (options.json) ctx.out(JSON.stringify(report, null, 2));
      else for (const line of formatDoctorReport(report)) ctx.out(line);
      ctx.exitCode = report.exitCode;
    } finally {
      client.destroy();
    }
  });
}
