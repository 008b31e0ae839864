/**
 * The checks of `credstage doctor`, in the order an app meets them: read the secret, validate
 * it, resolve the host, open TCP, set up TLS, log in. The rotation setup is doctor-rotation.ts.
 * Every check produces one {@link CheckResult}; a check whose precondition failed is `skip`.
 */
import { isIP } from 'node:net';
import { InvalidSecretFormatError } from '../errors.js';
import { engineNamed, parseSecretOf, type DatabaseEngine, type DatabaseSecret } from '../credentials/parse.js';
import { prepareTls, tlsFor } from '../credentials/pg-tls.js';
import { mongoUrl } from '../internal/mongo-url.js';
import { loadAdapter } from '../rotation/adapters/load.js';
import type { AdapterConnectOptions, DatabaseAdapter } from '../rotation/adapters/types.js';
import type { SecretsManagerLike } from '../secrets-manager/client.js';
import { AWSCURRENT, type SecretVersion } from '../secrets-manager/secret-version.js';
import { SecretsManagerSource } from '../secrets-manager/source.js';
import { caAdvice, codeOf, firstLine, loginRejectedAdvice, readAdvice, tcpAdvice } from './doctor-advice.js';
import { probeTcp, probeTls, resolveHost, type TlsProbeResult } from './doctor-probes.js';
import { remember, type CertificateSummary, type CheckId, type CheckResult } from './doctor-report.js';
import { rotationChecks } from './doctor-rotation.js';

/** What one doctor run checks, and with what. */
export interface DoctorRunOptions {
  readonly secretId: string;
  readonly secretsManager: SecretsManagerLike;
  /** How the app connects when the secret has no `engine` field. */
  readonly engine?: DatabaseEngine | undefined;
  /** The CA file the app passes (DocumentDB `tlsCAFile`, Redshift `ssl: { ca }`), and its PEM. */
  readonly tlsCAFile?: { readonly path: string; readonly pem: string } | undefined;
  /** The bound of each network step (resolve, connect, handshake, login, query). */
  readonly timeoutMs: number;
  /** Wall time, for the age of a leftover AWSPENDING. */
  readonly now?: () => number;
  /** Replaces the rotation engine's database adapters (tests). */
  readonly loadAdapter?: (engine: DatabaseEngine, connect: AdapterConnectOptions) => Promise<DatabaseAdapter>;
}

/** The results of a run and every secret value it read (to scrub from its output). */
export interface DoctorRun {
  readonly results: CheckResult[];
  readonly secrets: string[];
}

const skipped = (id: CheckId, why: string): CheckResult => ({ id, status: 'skip', summary: `skipped: ${why}` });

async function readCurrent(source: SecretsManagerSource, secretId: string, secrets: string[]): Promise<{ result: CheckResult; version?: SecretVersion }> {
  try {
    const version = await source.fetch(secretId, { versionStage: AWSCURRENT });
    remember(secrets, version);
    const created = version.createdDate === undefined ? '' : `, created ${version.createdDate.toISOString()}`;
    const data = { versionId: version.versionId, arn: version.arn, createdDate: version.createdDate?.toISOString() };
    return { version, result: { id: 'read', status: 'pass', summary: `GetSecretValue AWSCURRENT: version ${version.versionId}${created}`, data } };
  } catch (err) {
    const aws = firstLine((err as { cause?: unknown }).cause);
    const detail = aws && aws !== firstLine(err) ? ` (${aws})` : '';
    const code = (err as { code?: unknown }).code;
    return { result: { id: 'read', status: 'fail', summary: `GetSecretValue AWSCURRENT failed: ${firstLine(err)}${detail}`, fix: readAdvice(err, secretId), data: { code } } };
  }
}

/** The engine named in the secret, or the `--engine` fallback; a string result is why there is none. */
function engineFor(version: SecretVersion, fallback: DatabaseEngine | undefined): DatabaseEngine | { problem: string } {
  let named: unknown;
  try {
    named = (JSON.parse(version.secretString ?? '') as { engine?: unknown } | null)?.engine;
  } catch {
    named = undefined;
  }
  if (named === undefined || named === null || named === '') {
    return fallback ?? { problem: 'has no "engine" field, so doctor cannot tell how the app connects' };
  }
  return engineNamed(named) ?? { problem: 'has an "engine" field naming no engine credstage knows (mongo, docdb, documentdb, redshift, postgres, postgresql)' };
}

/** A DNS name as pg resolves it: letters, digits, `_ . -`, a trailing dot allowed (an FQDN). */
const PG_HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9.])?$/;

/**
 * Refuses a `host` that is not a hostname or an IP address (InvalidSecretFormatError naming the
 * field, never the value): a host holding a URI (`postgres://admin:pw@db`) would otherwise be
 * printed — with the password in it — in the fields, DNS and TCP lines. DocumentDB: the
 * factories' own rule (mongoUrl); Redshift/PostgreSQL: what pg can resolve.
 */
function checkHost(secret: DatabaseSecret): void {
  if (secret.engine === 'mongo') {
    mongoUrl(secret.host, secret.port, secret);
    return;
  }
  if (isIP(secret.host) !== 0 || (secret.host.length <= 253 && PG_HOSTNAME.test(secret.host))) return;
  throw new InvalidSecretFormatError({ secretId: secret.secretId, versionId: secret.versionId, field: 'host', problem: 'must be a hostname or an IP address' });
}

/** Why a value is no JSON object (binary, not JSON), or undefined when it is one: said before any talk of its fields. */
function notAnObject(version: SecretVersion): string | undefined {
  if (version.secretString === undefined) return 'is a binary secret (SecretBinary); a database secret is a JSON SecretString';
  try {
    const json: unknown = JSON.parse(version.secretString);
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? undefined : 'must be a JSON object';
  } catch {
    // The SyntaxError quotes the value: it is not kept.
    return 'is not valid JSON';
  }
}

function checkFields(version: SecretVersion, options: DoctorRunOptions, secrets: string[]): { result: CheckResult; secret?: DatabaseSecret } {
  const shape = notAnObject(version);
  if (shape !== undefined) {
    const fix = 'store the secret as a JSON SecretString ({"engine", "host", "port", "username", "password", ...}): aws secretsmanager put-secret-value --secret-string';
    return { result: { id: 'fields', status: 'fail', summary: `the value of secret "${options.secretId}" ${shape}`, fix } };
  }
  const engine = engineFor(version, options.engine);
  if (typeof engine !== 'string') {
    const fix = 'add "engine" to the secret ("mongo" for DocumentDB, "redshift" or "postgres"), or pass --engine to say which factory the app uses';
    return { result: { id: 'fields', status: 'fail', summary: `the secret ${engine.problem}`, fix } };
  }
  try {
    const secret = parseSecretOf(engine, version, options.secretId);
    remember(secrets, version, secret);
    checkHost(secret);
    const shown = {
      engine: secret.engine,
      host: secret.host,
      port: secret.port,
      username: secret.username,
      dbname: secret.dbname,
      ssl: secret.ssl,
      masterarn: secret.masterarn,
    };
    const ssl = secret.sslDefaulted ? 'ssl absent (TLS by default)' : `ssl ${secret.ssl}`;
    const db = secret.dbname === undefined ? '' : `, dbname ${secret.dbname}`;
    const master = secret.masterarn === undefined ? '' : `, masterarn ${secret.masterarn}`;
    const summary = `engine ${secret.engine}, host ${secret.host}, port ${secret.port}, username ${secret.username}${db}, ${ssl}${master}`;
    return { secret, result: { id: 'fields', status: 'pass', summary, data: shown } };
  } catch (err) {
    if (!(err instanceof InvalidSecretFormatError)) throw err;
    const field = err.field === undefined ? 'the value' : `the "${err.field}" field`;
    return { result: { id: 'fields', status: 'fail', summary: firstLine(err), fix: `correct ${field} in the secret (a new version: aws secretsmanager put-secret-value)`, data: { field: err.field } } };
  }
}

/** Whether the app's connection uses TLS, why, and what it verifies (the factories' rules, DESIGN.md 7.2). */
interface TlsPlan {
  readonly use: boolean;
  readonly why: string;
  readonly verifyChain: boolean;
  readonly verifyHost: boolean;
}

function tlsPlan(secret: DatabaseSecret, ca: string | undefined): TlsPlan {
  if (secret.engine === 'mongo') {
    // getDocumentDbClient: TLS when ssl is true or absent and whenever a CA is given; never unverified.
    const use = secret.ssl || ca !== undefined;
    const why = !secret.ssl ? (use ? 'a CA file is given' : 'the secret says "ssl": false') : secret.sslDefaulted ? 'the secret has no "ssl" field (TLS by default)' : 'the secret says "ssl": true';
    return { use, why, verifyChain: true, verifyHost: true };
  }
  const choice = tlsFor(secret, prepareTls(ca === undefined ? undefined : { ca }));
  if (choice.ssl === false) return { use: false, why: choice.decidedBy, verifyChain: false, verifyHost: false };
  const verifyChain = choice.ssl.rejectUnauthorized !== false;
  return { use: true, why: choice.decidedBy, verifyChain, verifyHost: verifyChain && choice.ssl.checkServerIdentity === undefined };
}

const certificateLine = (c: CertificateSummary, i: number): string => `certificate ${i}: subject ${c.subject}; issuer ${c.issuer}; valid ${c.validFrom} to ${c.validTo}`;

function judgeTls(probe: TlsProbeResult, plan: TlsPlan, secret: DatabaseSecret, ca: DoctorRunOptions['tlsCAFile']): CheckResult {
  const lines = probe.chain.map(certificateLine);
  const trusted = ca === undefined ? "Node's default roots (and NODE_EXTRA_CA_CERTS)" : ca.path;
  const data = { chain: probe.chain, protocol: probe.protocol, chainVerified: probe.chainError === undefined, hostVerified: probe.hostError === undefined, trustedCAs: trusted, why: plan.why };
  const where = `${secret.host}:${secret.port}`;
  if (probe.chainError !== undefined && plan.verifyChain) {
    const code = probe.chainError.code ?? 'unverified';
    return { id: 'tls', status: 'fail', summary: `${probe.protocol ?? 'TLS'} to ${where}: the certificate chain does not verify against ${trusted} (${code})`, lines, data, fix: caAdvice(secret.engine, secret.host) };
  }
  if (probe.hostError !== undefined && plan.verifyHost) {
    const fix = `connect by a name the certificate lists (the cluster endpoint), not by an IP address or another alias: put it in the "host" field`;
    return { id: 'tls', status: 'fail', summary: `${probe.protocol ?? 'TLS'} to ${where}: the certificate does not name "${secret.host}" (${firstLine(probe.hostError)})`, lines, data, fix };
  }
  if (!plan.verifyChain) {
    const fix = 'unset PGSSLMODE (or set verify-full) and give the app the CA, so it verifies whom it sends the password to';
    return { id: 'tls', status: 'warn', summary: `${probe.protocol ?? 'TLS'} to ${where}, but the app will not verify the certificate: ${plan.why}`, lines, data, fix };
  }
  const host = plan.verifyHost ? ` and names ${secret.host}` : ' (host name not checked: PGSSLMODE is verify-ca)';
  return { id: 'tls', status: 'pass', summary: `${probe.protocol ?? 'TLS'} to ${where}: the chain verifies against ${trusted}${host}`, lines, data };
}

async function checkTls(secret: DatabaseSecret, options: DoctorRunOptions): Promise<CheckResult> {
  let plan: TlsPlan;
  try {
    plan = tlsPlan(secret, options.tlsCAFile?.pem);
  } catch (err) {
    return { id: 'tls', status: 'fail', summary: firstLine(err), fix: 'correct the option or environment variable it names' };
  }
  if (!plan.use) return { id: 'tls', status: 'info', summary: `no TLS: plaintext on purpose, because ${plan.why}`, data: { why: plan.why } };
  try {
    const protocol = secret.engine === 'mongo' ? 'mongo' : 'postgres';
    const probe = await probeTls({ host: networkHost(secret.host), port: secret.port, protocol, ca: options.tlsCAFile?.pem, timeoutMs: options.timeoutMs });
    return judgeTls(probe, plan, secret, options.tlsCAFile);
  } catch (err) {
    if (codeOf(err) === 'ERR_TLS_REFUSED') {
      const fix = 'turn TLS on at the server, or put "ssl": false in the secret to connect in plaintext on purpose (credstage never falls back)';
      return { id: 'tls', status: 'fail', summary: `${secret.host}:${secret.port} does not accept TLS, which the app will use because ${plan.why}`, fix };
    }
    const fix = `check that ${secret.host}:${secret.port} is the database and that it speaks TLS`;
    return { id: 'tls', status: 'fail', summary: `TLS handshake with ${secret.host}:${secret.port} failed: ${codeOf(err) ?? 'error'}: ${firstLine(err)}`, fix };
  }
}

/** How the adapter proves a login, for the summary line. */
const QUERY_OF: Readonly<Record<DatabaseEngine, string>> = { mongo: 'a findOne', redshift: 'SELECT current_user', postgres: 'SELECT current_user' };

async function checkLogin(adapter: DatabaseAdapter, secret: DatabaseSecret): Promise<CheckResult> {
  try {
    if (await adapter.canLogIn(secret)) {
      return { id: 'login', status: 'pass', summary: `AWSCURRENT logs in as ${secret.username} and ${QUERY_OF[secret.engine]} runs`, data: { username: secret.username } };
    }
    return {
      id: 'login',
      status: 'fail',
      summary: `the database rejects the password of AWSCURRENT (version ${secret.versionId}) for ${secret.username}`,
      fix: loginRejectedAdvice(secret.secretId),
      data: { username: secret.username, rejected: true },
    };
  } catch (err) {
    const code = codeOf(err);
    return { id: 'login', status: 'fail', summary: `login as ${secret.username} failed: ${code === undefined ? '' : `${code}: `}${firstLine(err)}`, fix: 'see the error; the checks above passed, so look at the database itself (is it accepting logins, is the user allowed to connect?)', data: { code } };
  }
}

/** The host as the drivers connect to it: a bracketed IPv6 address (a DocumentDB host may be one) without its brackets. */
const networkHost = (host: string): string => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** Resolve, connect, TLS, login: each skipped once one fails. Resolves whether the database was reachable (for the rotation checks). */
async function checkConnection(secret: DatabaseSecret, adapter: DatabaseAdapter | Error, options: DoctorRunOptions, results: CheckResult[]): Promise<boolean> {
  const { host, port } = secret;
  try {
    const addresses = await resolveHost(networkHost(host), options.timeoutMs);
    results.push({ id: 'dns', status: 'pass', summary: `${host} resolves to ${addresses.join(', ')}`, data: { addresses } });
  } catch (err) {
    const fix = `${host} does not resolve from this host: check the "host" field, this host's DNS (/etc/resolv.conf) and, in a VPC, enableDnsSupport and enableDnsHostnames`;
    results.push({ id: 'dns', status: 'fail', summary: `${host} does not resolve: ${codeOf(err) ?? ''} ${firstLine(err)}`.trim(), fix });
    results.push(skipped('tcp', 'the host does not resolve'), skipped('tls', 'the host does not resolve'), skipped('login', 'the host does not resolve'));
    return false;
  }
  try {
    const { durationMs } = await probeTcp(networkHost(host), port, options.timeoutMs);
    results.push({ id: 'tcp', status: 'pass', summary: `connected to ${host}:${port} (${durationMs} ms)` });
  } catch (err) {
    results.push({ id: 'tcp', status: 'fail', summary: `no TCP connection to ${host}:${port}: ${codeOf(err) ?? 'error'}`, fix: tcpAdvice(err, host, port), data: { code: codeOf(err) } });
    results.push(skipped('tls', `no TCP connection to ${host}:${port}`), skipped('login', `no TCP connection to ${host}:${port}`));
    return false;
  }
  const tls = await checkTls(secret, options);
  results.push(tls);
  if (tls.status === 'fail') {
    results.push(skipped('login', 'TLS failed, and the login would fail the same way'));
    return true;
  }
  if (adapter instanceof Error) {
    const fix = codeOf(adapter) === 'ERR_MISSING_DEPENDENCY' ? 'install the driver next to credstage (npm install pg, or npm install mongodb)' : 'see the error';
    results.push({ id: 'login', status: 'fail', summary: `no login tried: ${firstLine(adapter)}`, fix });
  } else {
    results.push(await checkLogin(adapter, secret));
  }
  return true;
}

/**
 * Runs every check for `options.secretId` and resolves the results in {@link CHECK_IDS} order,
 * with the secret values read (for {@link redactReport}). Never throws for what it checks.
 *
 * @example
 * ```ts
 * const { results } = await runDoctorChecks({ secretId: 'app/db', secretsManager: client, timeoutMs: 5000 });
 * ```
 */
export async function runDoctorChecks(options: DoctorRunOptions): Promise<DoctorRun> {
  const { secretId, secretsManager } = options;
  const results: CheckResult[] = [];
  const secrets: string[] = [];
  const source = new SecretsManagerSource(secretsManager);
  const read = await readCurrent(source, secretId, secrets);
  results.push(read.result);
  const fields = read.version === undefined ? { result: skipped('fields', 'the secret could not be read') } : checkFields(read.version, options, secrets);
  results.push(fields.result);
  const secret = fields.secret;
  let adapter: DatabaseAdapter | undefined;
  let reachable = false;
  if (secret === undefined) {
    for (const id of ['dns', 'tcp', 'tls', 'login'] as const) results.push(skipped(id, 'no valid secret'));
  } else {
    const connect = { connectTimeoutMs: options.timeoutMs, queryTimeoutMs: options.timeoutMs, tlsCAFile: options.tlsCAFile?.path };
    const loaded = await (options.loadAdapter ?? loadAdapter)(secret.engine, connect).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    if (!(loaded instanceof Error)) adapter = loaded;
    reachable = await checkConnection(secret, loaded, options, results);
  }
  const canLogIn = reachable && adapter !== undefined ? adapter.canLogIn.bind(adapter) : undefined;
  results.push(...(await rotationChecks({ secretId, secretsManager, source, current: read.version, secret, canLogIn, now: options.now ?? Date.now, secrets })));
  return { results, secrets };
}
