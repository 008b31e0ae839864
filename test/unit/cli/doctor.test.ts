import { CreateSecretCommand, PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runDoctorChecks } from '../../../src/cli/doctor-checks.js';
import { CHECK_IDS, doctorExitCode, doctorReport, formatDoctorReport, redactReport, type CheckResult, type CheckStatus } from '../../../src/cli/doctor-report.js';
import { formatAge } from '../../../src/cli/doctor-rotation.js';
import type { DatabaseAdapter } from '../../../src/rotation/adapters/types.js';
import { FakeServiceError, InMemorySecretsManager } from '../../../src/testing/index.js';

const check = (id: CheckResult['id'], status: CheckStatus, extra: Partial<CheckResult> = {}): CheckResult => ({ id, status, summary: `${id} ${status}`, ...extra });

describe('doctor report: exit code', () => {
  it('is 0 when nothing failed, also with warnings, infos and skips', () => {
    const results = [check('read', 'pass'), check('tls', 'info'), check('pending', 'warn'), check('master', 'skip')];
    expect(doctorExitCode(results, { strict: false })).toBe(0);
  });

  it('is 1 when any check failed', () => {
    expect(doctorExitCode([check('read', 'pass'), check('login', 'fail')], { strict: false })).toBe(1);
  });

  it('is 1 for a warning with strict', () => {
    expect(doctorExitCode([check('read', 'pass'), check('pending', 'warn')], { strict: true })).toBe(1);
    expect(doctorExitCode([check('read', 'pass'), check('tls', 'info')], { strict: true })).toBe(0);
  });
});

describe('doctor report: the text', () => {
  it('prints one line per check with its marker, detail lines and the fix indented below, and the verdict last', () => {
    const report = doctorReport(
      'app/db',
      [
        check('read', 'pass'),
        check('tls', 'fail', { lines: ['certificate 0: subject CN=x'], fix: 'pass the CA' }),
        check('login', 'skip'),
        check('rotation', 'info', { fix: 'not shown for info' }),
        check('pending', 'warn', { fix: 'finish it' }),
      ],
      { strict: false },
    );

    expect(formatDoctorReport(report)).toEqual([
      'credstage doctor app/db',
      '✓ read      read pass',
      '✗ tls       tls fail',
      '            certificate 0: subject CN=x',
      '            fix: pass the CA',
      '- login     login skip',
      '· rotation  rotation info',
      '! pending   pending warn',
      '            fix: finish it',
      '✗ 1 check failed, 1 warning: an app using this secret on this host will not work',
    ]);
  });

  it('says the app will work, and points at the fixes when there are warnings', () => {
    const ok = formatDoctorReport(doctorReport('a', [check('read', 'pass')], { strict: false }));
    const warned = formatDoctorReport(doctorReport('a', [check('read', 'pass'), check('pending', 'warn')], { strict: false }));
    const strict = formatDoctorReport(doctorReport('a', [check('read', 'pass'), check('pending', 'warn')], { strict: true }));

    expect(ok.at(-1)).toBe('✓ an app using this secret on this host will work');
    expect(warned.at(-1)).toBe('✓ an app using this secret on this host will work, 1 warning: see "fix" above');
    expect(strict.at(-1)).toBe('✗ no check failed, 1 warning (--strict: warnings fail)');
  });

  it('--json has a version, the counts, ok and the exit code', () => {
    const report = doctorReport('a', [check('read', 'pass'), check('login', 'fail'), check('pending', 'warn')], { strict: false });

    expect(report).toMatchObject({ version: 1, secretId: 'a', ok: false, strict: false, exitCode: 1, counts: { pass: 1, fail: 1, warn: 1, info: 0, skip: 0 } });
  });

  it('redaction removes a secret in any of its forms from every string, at any depth', () => {
    const password = 'Pw:%&"x/y';
    const report = { a: `said ${password}`, b: [{ c: `json ${JSON.stringify(password)}` }], d: `url ${encodeURIComponent(password)}`, n: 3 };

    const clean = JSON.stringify(redactReport(report, [password]));

    expect(clean).not.toContain(password);
    expect(clean).not.toContain(encodeURIComponent(password));
    expect(clean).toContain('[redacted]');
    expect(JSON.parse(clean).n).toBe(3);
  });

  it('ages read like a person says them', () => {
    expect([formatAge(45_000), formatAge(30 * 60_000), formatAge(3 * 3_600_000 + 12 * 60_000), formatAge(5 * 86_400_000)]).toEqual(['45 s', '30 min', '3 h 12 min', '5 days']);
  });
});

describe('doctor checks against a Secrets Manager that refuses', () => {
  const secretId = 'Applications/MyApp/Redshift';
  const password = 'Sup3r-secret-pw!';
  const value = { engine: 'postgres', host: '127.0.0.1', port: 1, username: 'app', password, dbname: 'dev', ssl: false };

  async function run(sm: InMemorySecretsManager, adapter: Partial<DatabaseAdapter> = {}) {
    const fake: DatabaseAdapter = { maxUsernameBytes: 63, canLogIn: async () => true, openSession: async () => Promise.reject(new Error('unused')), ...adapter };
    const out = await runDoctorChecks({ secretId, secretsManager: sm, timeoutMs: 1000, loadAdapter: async () => fake });
    const byId = Object.fromEntries(out.results.map((r) => [r.id, r]));
    return { ...out, byId, text: JSON.stringify(redactReport(out.results, out.secrets)) };
  }

  async function withSecret(): Promise<InMemorySecretsManager> {
    const sm = new InMemorySecretsManager();
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(value) }));
    return sm;
  }

  it('names secretsmanager:GetSecretValue when the read is denied, and skips the rest', async () => {
    const sm = await withSecret();
    sm.injectFault({ command: 'GetSecretValue', error: new FakeServiceError('AccessDeniedException', 'User: arn:aws:sts::1:assumed-role/app/i-1 is not authorized to perform: secretsmanager:GetSecretValue') });

    const { byId, results } = await run(sm);

    expect(byId['read']).toMatchObject({ status: 'fail' });
    expect(byId['read']!.summary).toContain('is not authorized to perform: secretsmanager:GetSecretValue');
    expect(byId['read']!.fix).toContain('allow secretsmanager:GetSecretValue on this secret');
    expect(results.map((r) => r.id)).toEqual(CHECK_IDS);
    expect(['fields', 'dns', 'tcp', 'tls', 'login'].map((id) => byId[id]!.status)).toEqual(['skip', 'skip', 'skip', 'skip', 'skip']);
  });

  it.each([
    ['DecryptionFailure', 'Secrets Manager can not decrypt the protected secret text using the provided KMS key.'],
    ['AccessDeniedException', 'Access to KMS is not allowed'],
  ])('names kms:Decrypt on the key for %s', async (name, message) => {
    const sm = await withSecret();
    sm.injectFault({ command: 'GetSecretValue', error: new FakeServiceError(name, message) });

    const { byId } = await run(sm);

    expect(byId['read']!.status).toBe('fail');
    expect(byId['read']!.fix).toContain("allow kms:Decrypt on the secret's KMS key");
  });

  it('takes a DescribeSecret the app may not call as information, not as a failure', async () => {
    const sm = await withSecret();
    sm.injectFault({ command: 'DescribeSecret', error: new FakeServiceError('AccessDeniedException', 'not authorized to perform: secretsmanager:DescribeSecret') });

    const { byId, results } = await run(sm);

    expect(byId['rotation']).toMatchObject({ status: 'info' });
    expect(byId['rotation']!.summary).toContain('DescribeSecret is not allowed to this identity');
    expect(byId['schedule']!.status).toBe('skip');
    expect(doctorExitCode(results, { strict: true })).toBe(1); // port 1 is closed: tcp fails
  });

  it('names the field of a secret that does not parse, never its value', async () => {
    const sm = new InMemorySecretsManager();
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify({ ...value, port: 'not-a-port' }) }));

    const { byId, text } = await run(sm);

    expect(byId['fields']).toMatchObject({ status: 'fail', data: { field: 'port' } });
    expect(byId['fields']!.fix).toContain('the "port" field');
    expect(text).not.toContain(password);
  });

  it('asks for --engine when the secret has no engine field', async () => {
    const sm = new InMemorySecretsManager();
    const { engine: _engine, ...noEngine } = value;
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(noEngine) }));

    const { byId } = await run(sm);

    expect(byId['fields']!.status).toBe('fail');
    expect(byId['fields']!.fix).toContain('--engine');
  });

  it('reports the rotation function, the rules and a stuck AWSPENDING that logs in, without advising to drop it', async () => {
    // Something listening on loopback stands in for the database: the fake adapter does the login.
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const sm = new InMemorySecretsManager();
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify({ ...value, port }) }));
    await sm.send(new RotateSecretCommand({ SecretId: secretId, RotationLambdaARN: 'arn:aws:lambda:us-east-1:1:function:rot', RotationRules: { ScheduleExpression: 'rate(30 days)' }, RotateImmediately: false }));
    const pendingPassword = 'Pending-pw-123';
    await sm.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: 'tok-1', SecretString: JSON.stringify({ ...value, port, password: pendingPassword }), VersionStages: ['AWSPENDING'] }));

    const { byId, text } = await run(sm).finally(() => server.close());

    expect(byId['rotation']!.summary).toContain('function arn:aws:lambda:us-east-1:1:function:rot; rate(30 days)');
    expect(byId['login']!.status).toBe('pass');
    expect(byId['pending']).toMatchObject({ status: 'warn', data: { pendingVersionId: 'tok-1', logsIn: true } });
    expect(byId['pending']!.fix).toContain('do not just remove the label');
    expect(byId['pending']!.fix).toContain('credstage rotate Applications/MyApp/Redshift --token tok-1');
    expect(text).not.toContain(pendingPassword);
    expect(text).not.toContain(password);
  });
});

describe('doctor checks against hostile secret values', () => {
  const secretId = 'Applications/MyApp/Hostile';
  const password = 'Sup3r-secret-pw!';
  const fake: DatabaseAdapter = { maxUsernameBytes: 63, canLogIn: async () => true, openSession: async () => Promise.reject(new Error('unused')) };

  async function run(secret: { SecretString?: string; SecretBinary?: Uint8Array }, engine?: 'mongo' | 'postgres') {
    const sm = new InMemorySecretsManager();
    await sm.send(new CreateSecretCommand({ Name: secretId, ...secret }));
    const out = await runDoctorChecks({ secretId, secretsManager: sm, timeoutMs: 1000, engine, loadAdapter: async () => fake });
    const report = redactReport(doctorReport(secretId, out.results, { strict: false }), out.secrets);
    const byId = Object.fromEntries(report.checks.map((r) => [r.id, r]));
    return { byId, report, output: `${JSON.stringify(report)}\n${formatDoctorReport(report).join('\n')}` };
  }

  it.each([
    ['postgres', 'postgres://admin:Hunter2-admin-pw@127.0.0.1:5432/dev'],
    ['mongo', 'mongodb://admin:Hunter2-admin-pw@127.0.0.1:27017/?authSource=admin'],
    ['postgres', 'admin:Hunter2-admin-pw@db.example.com'],
  ] as const)('fails the "host" field of a %s secret whose host is a URI with credentials, and never prints it', async (engine, host) => {
    const { byId, report, output } = await run({ SecretString: JSON.stringify({ engine, host, username: 'app', password, ssl: false }) });

    expect(output).not.toContain('Hunter2-admin-pw');
    expect(output).not.toContain(password);
    expect(byId['fields']).toMatchObject({ status: 'fail', data: { field: 'host' } });
    expect(byId['fields']!.summary).toContain('must be a hostname or an IP address');
    expect(['dns', 'tcp', 'tls', 'login'].map((id) => byId[id]!.status)).toEqual(['skip', 'skip', 'skip', 'skip']);
    expect(report.exitCode).toBe(1);
  });

  it('fails the "host" field of a host with a space, without trying to resolve it', async () => {
    const { byId } = await run({ SecretString: JSON.stringify({ engine: 'postgres', host: 'db host.example.com', username: 'app', password }) });

    expect(byId['fields']).toMatchObject({ status: 'fail', data: { field: 'host' } });
    expect(byId['dns']!.status).toBe('skip');
  });

  it('does not pass the AWSPENDING check when the secret itself could not be read', async () => {
    const sm = new InMemorySecretsManager();
    const out = await runDoctorChecks({ secretId: 'does/not/exist', secretsManager: sm, timeoutMs: 1000, loadAdapter: async () => fake });
    const byId = Object.fromEntries(out.results.map((r) => [r.id, r]));

    expect(byId['read']!.status).toBe('fail');
    expect(byId['pending']).toMatchObject({ status: 'skip' });
    expect(out.results.filter((r) => r.status === 'pass')).toEqual([]);
  });

  it('says a binary secret is binary, not that it lacks an "engine" field', async () => {
    const { byId } = await run({ SecretBinary: new TextEncoder().encode(JSON.stringify({ engine: 'postgres', password })) });

    expect(byId['fields']!.status).toBe('fail');
    expect(byId['fields']!.summary).toContain('binary');
    expect(byId['fields']!.summary).not.toContain('"engine" field');
  });

  it('says a SecretString that is not a JSON object is that, not that it lacks an "engine" field', async () => {
    const { byId, output } = await run({ SecretString: `host=db user=app password=${password}` });

    expect(byId['fields']!.status).toBe('fail');
    expect(byId['fields']!.summary).toContain('not valid JSON');
    expect(output).not.toContain(password);
  });
});

describe('doctor checks of an IPv6 host', () => {
  it('resolves and connects to a bracketed IPv6 DocumentDB host as the driver does, not as a name', async () => {
    const sm = new InMemorySecretsManager();
    // Port 1 on ::1 is closed: the TCP check fails with ECONNREFUSED, after the DNS check passed.
    await sm.send(new CreateSecretCommand({ Name: 'v6', SecretString: JSON.stringify({ engine: 'mongo', host: '[::1]', port: 1, username: 'app', password: 'Sup3r-secret-pw!', ssl: false }) }));
    const fake: DatabaseAdapter = { maxUsernameBytes: 63, canLogIn: async () => true, openSession: async () => Promise.reject(new Error('unused')) };

    const out = await runDoctorChecks({ secretId: 'v6', secretsManager: sm, timeoutMs: 1000, loadAdapter: async () => fake });
    const byId = Object.fromEntries(out.results.map((r) => [r.id, r]));

    expect(byId['fields']!.status).toBe('pass');
    expect(byId['dns']).toMatchObject({ status: 'pass', data: { addresses: ['::1'] } });
    expect(byId['tcp']).toMatchObject({ status: 'fail', data: { code: 'ECONNREFUSED' } });
  });
});
