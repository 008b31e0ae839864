import type { DatabaseSecret } from '../credentials/parse.js';
import type { SecretVersion } from '../secrets-manager/secret-version.js';

/**
 * What `credstage doctor` found, as lines for a person or one JSON document for a machine, and
 * the exit code it implies. Pure: the checks themselves live in doctor-checks.ts.
 */

/**
 * How one check came out:
 * - `pass`: works;
 * - `fail`: a running app needs this and it does not work (exit code 1);
 * - `warn`: the app works now, but something will break later (a stuck AWSPENDING fails the
 *   next rotation; a master secret that does not log in fails alternating-users rotation).
 *   Exit code 0, unless `--strict`;
 * - `info`: a fact, neither good nor bad (rotation off, DescribeSecret not allowed to the app);
 * - `skip`: not run, because a check it depends on failed, or it does not apply (no TLS).
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'info' | 'skip';

/** The checks, in the order they run. */
export const CHECK_IDS = Object.freeze([
  'read',
  'fields',
  'dns',
  'tcp',
  'tls',
  'login',
  'rotation',
  'schedule',
  'pending',
  'master',
] as const);

/** One of {@link CHECK_IDS}. */
export type CheckId = (typeof CHECK_IDS)[number];

/** One certificate of the chain the server presented, leaf first. */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
}

/** The result of one check. */
export interface CheckResult {
  readonly id: CheckId;
  readonly status: CheckStatus;
  /** One line: what was checked and what came out. Never a secret value. */
  readonly summary: string;
  /** What to change, when the status is `fail` or `warn`. */
  readonly fix?: string | undefined;
  /** Lines shown under the summary (the certificate chain). */
  readonly lines?: readonly string[] | undefined;
  /** Machine-readable facts for `--json`; fixed keys per check (see {@link DOCTOR_REPORT_VERSION}). */
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The version of the `--json` document. Raised when a key is removed or changes meaning; new
 * keys may appear without a raise. Shape (version 1):
 *
 * ```ts
 * {
 *   version: 1,
 *   secretId: string,
 *   ok: boolean,          // no check failed (warnings allowed unless strict)
 *   strict: boolean,
 *   exitCode: 0 | 1,
 *   counts: { pass, fail, warn, info, skip },
 *   checks: Array<{ id: CheckId, status: CheckStatus, summary: string, fix?: string, lines?: string[], data?: object }>,
 * }
 * ```
 */
export const DOCTOR_REPORT_VERSION = 1;

/** The `--json` document of one doctor run. */
export interface DoctorReport {
  readonly version: typeof DOCTOR_REPORT_VERSION;
  readonly secretId: string;
  readonly ok: boolean;
  readonly strict: boolean;
  readonly exitCode: 0 | 1;
  readonly counts: Readonly<Record<CheckStatus, number>>;
  readonly checks: readonly CheckResult[];
}

const MARKERS: Readonly<Record<CheckStatus, string>> = { pass: '✓', fail: '✗', warn: '!', info: '·', skip: '-' };

/**
 * The exit code of a run: 1 when a check failed, or with `strict` when one warned; else 0.
 *
 * @example
 * ```ts
 * process.exitCode = doctorExitCode(results, { strict: false });
 * ```
 */
export function doctorExitCode(results: readonly CheckResult[], options: { strict: boolean }): 0 | 1 {
  const bad = results.some((r) => r.status === 'fail' || (options.strict && r.status === 'warn'));
  return bad ? 1 : 0;
}

/**
 * The report of a run, as `--json` prints it.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(doctorReport('app/db', results, { strict: false }), null, 2));
 * ```
 */
export function doctorReport(secretId: string, results: readonly CheckResult[], options: { strict: boolean }): DoctorReport {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, info: 0, skip: 0 };
  for (const r of results) counts[r.status] += 1;
  const exitCode = doctorExitCode(results, options);
  return { version: DOCTOR_REPORT_VERSION, secretId, ok: exitCode === 0, strict: options.strict, exitCode, counts, checks: results };
}

/**
 * The report as lines for a terminal: a heading, one line per check (`✓ id  summary`), its
 * detail lines and `fix:` indented below it, and a last line with the verdict.
 *
 * @example
 * ```ts
 * for (const line of formatDoctorReport(report)) console.log(line);
 * ```
 */
export function formatDoctorReport(report: DoctorReport): string[] {
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const out = [`credstage doctor ${report.secretId}`];
  for (const check of report.checks) {
    out.push(`${MARKERS[check.status]} ${check.id.padEnd(width)}  ${check.summary}`);
    const indent = ' '.repeat(width + 4);
    for (const line of check.lines ?? []) out.push(`${indent}${line}`);
    if (check.fix !== undefined && (check.status === 'fail' || check.status === 'warn')) out.push(`${indent}fix: ${check.fix}`);
  }
  out.push(verdict(report));
  return out;
}

function verdict(report: DoctorReport): string {
  const { fail, warn } = report.counts;
  const warnings = warn === 0 ? '' : `, ${warn} warning${warn === 1 ? '' : 's'}`;
  if (fail > 0) return `✗ ${fail} check${fail === 1 ? '' : 's'} failed${warnings}: an app using this secret on this host will not work`;
  if (warn > 0 && report.strict) return `✗ no check failed${warnings} (--strict: warnings fail)`;
  if (warn > 0) return `✓ an app using this secret on this host will work${warnings}: see "fix" above`;
  return '✓ an app using this secret on this host will work';
}

/**
 * The forms a secret could take in output: as is, escaped inside a JSON string, URL-encoded.
 * Empty and very short strings are left out: masking them would garble ordinary words.
 */
function formsOf(secret: string): string[] {
  if (secret.length < 4) return [];
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])];
}

/**
 * `report` with every string in it cleaned of `secrets` (the passwords and SecretStrings the run
 * read). The checks never put one in; this is the second line of defence against a driver or
 * server message that quotes one.
 *
 * @example
 * ```ts
 * const safe = redactReport(report, [secret.password]);
 * ```
 */
export function redactReport<T>(value: T, secrets: readonly string[]): T {
  const forms = secrets.flatMap(formsOf).sort((a, b) => b.length - a.length);
  if (forms.length === 0) return value;
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') return forms.reduce((text, form) => text.split(form).join('[redacted]'), v);
    if (Array.isArray(v)) return v.map(clean);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]));
    return v;
  };
  return clean(value) as T;
}

/** Records a version's value (and its password) as something the output must never contain. */
export function remember(secrets: string[], version: SecretVersion, secret?: DatabaseSecret): void {
  if (version.secretString !== undefined) secrets.push(version.secretString);
  if (secret !== undefined) secrets.push(secret.password);
  try {
    const password = (JSON.parse(version.secretString ?? '') as { password?: unknown }).password;
    if (typeof password === 'string') secrets.push(password);
  } catch {
    // Not JSON: the whole value is already remembered.
  }
}

