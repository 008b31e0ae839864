import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../tools/servers/free-port.js';
import { makeCertificates } from '../../support/certificates.js';
import { motoClient } from '../../support/moto.js';
import { uniqueName } from '../../support/names.js';
import { servers } from '../../support/servers.js';
import { awkwardPassword, createDbUser, createSecret, rotatableSecret, secretFor, type Engine } from '../rotation/support.js';
import { credstage, leakedPasswords, LineProcess, type Finished } from './support.js';

/** Where `CREDSTAGE_DOCTOR_OUTPUT` asks for the runs' output: the healthy ones a file each (README: `credstage doctor`), every text run in `.all.txt`. */
const OUTPUT_FILE = process.env['CREDSTAGE_DOCTOR_OUTPUT'];

interface Check {
  id: string;
  status: string;
  summary: string;
  fix?: string;
  lines?: string[];
  data?: Record<string, unknown>;
}

interface Report {
  version: number;
  secretId: string;
  ok: boolean;
  exitCode: number;
  counts: Record<string, number>;
  checks: Check[];
}

describe('credstage doctor', () => {
  afterEach(() => LineProcess.killAll());

  let client: SecretsManagerClient;
  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  const doctor = (secretId: string, ...args: string[]): Promise<Finished> =>
    credstage(['doctor', secretId, '--endpoint', servers().moto.endpoint, '--timeout-ms', '5000', ...args], { killAfterMs: 90_000 });

  /** Runs doctor twice (text, --json) and checks neither run printed a secret value. */
  async function diagnose(secretId: string, secretValues: readonly string[], ...args: string[]): Promise<{ text: Finished; json: Finished; report: Report; byId: Record<string, Check> }> {
    const [text, json] = [await doctor(secretId, ...args), await doctor(secretId, '--json', ...args)];
    for (const run of [text, json]) {
      expect(leakedPasswords(run.stdout + run.stderr, ...secretValues)).toEqual([]);
    }
    const report = JSON.parse(json.stdout) as Report;
    expect(json.code).toBe(text.code);
    if (OUTPUT_FILE) appendFileSync(`${OUTPUT_FILE}.all.txt`, `## ${expect.getState().currentTestName} (exit ${text.code})\n${text.stdout}\n`);
    return { text, json, report, byId: Object.fromEntries(report.checks.map((c) => [c.id, c])) };
  }

  const statuses = (report: Report): Record<string, string> => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

  /** A database user and a secret for it on the plaintext test server of `engine`. */
  async function healthySecret(engine: Engine, extra: Record<string, unknown> = {}): Promise<{ secretId: string; password: string; value: string }> {
    const username = uniqueName(`doctor_${engine}`);
    const password = awkwardPassword();
    await createDbUser(engine, username, password);
    const secretId = uniqueName(`cli/doctor-${engine}`);
    const json = { ...secretFor(engine, username, password), ...extra };
    await createSecret(client, secretId, json);
    return { secretId, password, value: JSON.stringify(json) };
  }

  it.each(['postgres', 'mongo'] as const)('passes every check a running app needs for a healthy %s secret, and exits 0', async (engine) => {
    const { secretId, password, value } = await healthySecret(engine);

    const { text, report, byId } = await diagnose(secretId, [password, value]);

    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(statuses(report)).toEqual({ read: 'pass', fields: 'pass', dns: 'pass', tcp: 'pass', tls: 'info', login: 'pass', rotation: 'info', schedule: 'info', pending: 'pass', master: 'skip' });
    expect(report).toMatchObject({ version: 1, secretId, ok: true, exitCode: 0 });
    expect(byId['tls']!.summary).toContain('the secret says "ssl": false');
    expect(byId['rotation']!.summary).toContain('RotationEnabled false');
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe(`credstage doctor ${secretId}`);
    expect(lines.find((l) => l.includes('login'))).toMatch(/^✓ login +AWSCURRENT logs in as doctor_/);
    expect(lines.at(-1)).toBe('✓ an app using this secret on this host will work');
    if (OUTPUT_FILE) writeFileSync(`${OUTPUT_FILE}.${engine}.txt`, text.stdout);
  });

  it('names the wrong password as the failure when the database rejects AWSCURRENT, and exits 1', async () => {
    const { secretId, password } = await healthySecret('postgres');
    const wrong = awkwardPassword();
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(secretFor('postgres', await healthyUser(secretId), wrong)) }));

    const { text, report, byId } = await diagnose(secretId, [password, wrong]);

    expect(text.code).toBe(1);
    expect(report.ok).toBe(false);
    expect(byId['login']).toMatchObject({ status: 'fail', data: { rejected: true } });
    expect(byId['login']!.summary).toContain('the database rejects the password of AWSCURRENT');
    expect(text.stdout).toMatch(/✗ login .*\n +fix: the database does not accept the password Secrets Manager holds/);
    expect(text.stdout.trim().split('\n').at(-1)).toMatch(/^✗ 1 check failed: /);
  });

  /** The username in the secret's AWSCURRENT (tests keep the user and change only the password). */
  async function healthyUser(secretId: string): Promise<string> {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
    return (JSON.parse(out.SecretString!) as { username: string }).username;
  }

  it('warns about an AWSPENDING left on another version, with its age and the way out, and exits 0 (1 with --strict)', async () => {
    const { secretId, password } = await healthySecret('postgres');
    const pendingPassword = awkwardPassword();
    const username = await healthyUser(secretId);
    const token = '00000000-0000-4000-8000-00000000beef';
    await client.send(
      new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: JSON.stringify(secretFor('postgres', username, pendingPassword)), VersionStages: ['AWSPENDING'] }),
    );

    const { text, report, byId } = await diagnose(secretId, [password, pendingPassword]);
    const strict = await doctor(secretId, '--strict');

    expect(text.code).toBe(0);
    expect(report.counts['warn']).toBe(1);
    expect(byId['pending']).toMatchObject({ status: 'warn', data: { pendingVersionId: token, logsIn: false } });
    expect(byId['pending']!.summary).toMatch(/AWSPENDING is on version 00000000-0000-4000-8000-00000000beef, not AWSCURRENT, created .* ago\); the database rejects its password/);
    expect(byId['pending']!.fix).toContain("A previous rotation isn't complete");
    expect(byId['pending']!.fix).toContain(`credstage rotate ${secretId} --token ${token}`);
    expect(text.stdout).toMatch(/^! pending /m);
    expect(strict.code).toBe(1);
  });

  it('fails at TCP with the fix for a closed port on 127.0.0.1, and skips what depends on it', async () => {
    const port = await freePort();
    const { secretId, password, value } = await healthySecret('postgres', { port });

    const { text, byId, report } = await diagnose(secretId, [password, value]);

    expect(text.code).toBe(1);
    expect(statuses(report)).toMatchObject({ dns: 'pass', tcp: 'fail', tls: 'skip', login: 'skip' });
    expect(byId['tcp']!.summary).toBe(`no TCP connection to 127.0.0.1:${port}: ECONNREFUSED`);
    expect(byId['tcp']!.fix).toContain('nothing accepts connections');
    expect(text.stdout).toMatch(/^- tls +skipped: no TCP connection/m);
  });

  describe('against the TLS PostgreSQL', () => {
    async function tlsSecret(): Promise<{ secretId: string; password: string; value: string }> {
      const s = servers().postgresTls;
      const secretId = uniqueName('cli/doctor-tls');
      const json = { engine: 'postgres', host: s.host, port: s.port, username: s.user, password: s.password, dbname: s.database, ssl: true };
      await createSecret(client, secretId, json);
      return { secretId, password: s.password, value: JSON.stringify(json) };
    }

    it('shows the certificate chain and says it verifies with the CA passed, then logs in', async () => {
      const { secretId, password, value } = await tlsSecret();

      const { text, byId } = await diagnose(secretId, [password, value], '--tls-ca-file', servers().postgresTls.caFile);

      expect(text.code, text.stdout).toBe(0);
      expect(byId['tls']).toMatchObject({ status: 'pass', data: { chainVerified: true, hostVerified: true } });
      expect(byId['tls']!.lines![0]).toMatch(/^certificate 0: subject CN=127\.0\.0\.1; issuer CN=credstage test ca; valid .+ to .+/);
      expect(byId['login']!.status).toBe('pass');
      if (OUTPUT_FILE) writeFileSync(`${OUTPUT_FILE}.tls.txt`, text.stdout);
    });

    it('fails at TLS when the CA is not passed, naming how to pass it, and does not try the login', async () => {
      const { secretId, password, value } = await tlsSecret();

      const { text, byId } = await diagnose(secretId, [password, value]);

      expect(text.code).toBe(1);
      expect(byId['tls']).toMatchObject({ status: 'fail', data: { chainVerified: false } });
      expect(byId['tls']!.summary).toMatch(/the certificate chain does not verify against Node's default roots .*\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
      expect(byId['tls']!.fix).toContain("ssl: { ca: readFileSync('/path/ca.pem', 'utf8') }");
      expect(byId['tls']!.fix).toContain('NODE_EXTRA_CA_CERTS');
      expect(byId['tls']!.lines![0]).toContain('issuer CN=credstage test ca');
      expect(byId['login']!.status).toBe('skip');
      if (OUTPUT_FILE) writeFileSync(`${OUTPUT_FILE}.tls-fail.txt`, text.stdout);
    });
  });

  it.each(['postgres', 'mongo'] as const)('for alternating users (%s), checks that the master secret reads and logs in', async (engine) => {
    const { secretId, password } = await rotatableSecret(client, engine, 'alternating-users');
    const master = engine === 'mongo' ? servers().ferretdb.password : servers().postgres.password;

    const { text, byId } = await diagnose(secretId, [password, master]);

    expect(text.code, text.stdout).toBe(0);
    expect(byId['fields']!.summary).toContain('masterarn arn:aws:secretsmanager:');
    expect(byId['master']).toMatchObject({ status: 'pass' });
    expect(byId['master']!.summary).toMatch(/^the master secret reads and logs in as /);
  });

  it('warns when the master secret does not log in', async () => {
    const { secretId, password } = await rotatableSecret(client, 'postgres', 'alternating-users');
    const masterArn = await masterArnOf(secretId);
    const wrong = awkwardPassword();
    await client.send(new PutSecretValueCommand({ SecretId: masterArn, SecretString: JSON.stringify({ ...secretFor('postgres', servers().postgres.user, wrong) }) }));

    const { text, byId } = await diagnose(secretId, [password, wrong, servers().postgres.password]);

    expect(text.code).toBe(0);
    expect(byId['master']!.status).toBe('warn');
    expect(byId['master']!.summary).toContain('alternating-users rotation will fail in setSecret');
  });

  async function masterArnOf(secretId: string): Promise<string> {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
    return (JSON.parse(out.SecretString!) as { masterarn: string }).masterarn;
  }

  it('fails at the read for a secret that does not exist, naming the region to check', async () => {
    const { text, byId } = await diagnose(uniqueName('cli/doctor-missing'), []);

    expect(text.code).toBe(1);
    expect(byId['read']!.status).toBe('fail');
    expect(byId['read']!.fix).toContain('the region');
    expect(byId['fields']!.status).toBe('skip');
  });

  describe('against servers that accept TCP and never answer', () => {
    type Stall = 'silent' | 'ssl-yes-then-silent' | 'tls-then-silent';
    const open: Server[] = [];
    const sockets = new Set<Socket>();
    let certDir: string;
    let certs: ReturnType<typeof makeCertificates>;
    beforeAll(() => {
      certDir = mkdtempSync(join(tmpdir(), 'credstage-doctor-stall-'));
      certs = makeCertificates(certDir);
    });
    afterEach(async () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await Promise.all(open.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
    });
    afterAll(() => rmSync(certDir, { recursive: true, force: true }));

    /**
     * A server on 127.0.0.1 that reads everything and answers nothing: at once (`silent`); after
     * answering PostgreSQL's SSLRequest with S (`ssl-yes-then-silent`: the TLS handshake stalls);
     * or after a complete TLS handshake with the test CA's certificate (`tls-then-silent`: the
     * database's startup/hello stalls).
     */
    async function stallingServer(stall: Stall, postgres: boolean): Promise<number> {
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        if (stall === 'silent') return void socket.on('data', () => undefined);
        const startTls = (): void => {
          const tls = new TLSSocket(socket, { isServer: true, cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) });
          tls.on('error', () => undefined);
          tls.on('data', () => undefined);
        };
        if (stall === 'ssl-yes-then-silent' || postgres) {
          socket.once('data', () => {
            if (stall === 'ssl-yes-then-silent') return void socket.on('data', () => undefined).write('S');
            socket.write('S', startTls);
          });
        } else {
          startTls();
        }
      });
      open.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    }

    async function stalledSecret(engine: Engine, port: number, ssl: boolean): Promise<{ secretId: string; password: string; value: string }> {
      const secretId = uniqueName(`cli/doctor-stall-${engine}`);
      const password = awkwardPassword();
      const json = { engine, host: '127.0.0.1', port, username: 'app', password, ssl, ...(engine === 'postgres' ? { dbname: 'postgres' } : {}) };
      await createSecret(client, secretId, json);
      return { secretId, password, value: JSON.stringify(json) };
    }

    const quick = (secretId: string, ...args: string[]): Promise<Finished> =>
      credstage(['doctor', secretId, '--endpoint', servers().moto.endpoint, '--timeout-ms', '700', '--json', ...args], { killAfterMs: 60_000 });

    it.each([
      ['postgres', 'silent', true, 'tls', 'the answer to the SSLRequest took longer than 700 ms'],
      ['postgres', 'ssl-yes-then-silent', true, 'tls', 'no TLS handshake with 127.0.0.1 within 700 ms'],
      ['mongo', 'silent', true, 'tls', 'no TLS handshake with 127.0.0.1 within 700 ms'],
      ['postgres', 'silent', false, 'login', 'timeout'],
      ['mongo', 'silent', false, 'login', 'timed out after 700 ms'],
      ['postgres', 'tls-then-silent', true, 'login', 'timeout'],
      ['mongo', 'tls-then-silent', true, 'login', 'timed out after 700 ms'],
    ] as const)('a %s server that stalls (%s, ssl %s) fails %s within --timeout-ms, prints valid JSON and exits 1', async (engine, stall, ssl, failing, says) => {
      const port = await stallingServer(stall, engine === 'postgres');
      const { secretId, password, value } = await stalledSecret(engine, port, ssl);

      const run = await quick(secretId, ...(ssl ? ['--tls-ca-file', certs.caFile] : []));

      expect(run.signal, 'doctor was killed: a step is not bounded, or a socket kept the process alive').toBeNull();
      expect(run.code, run.stdout + run.stderr).toBe(1);
      const report = JSON.parse(run.stdout) as Report;
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId['tcp']!.status).toBe('pass');
      if (failing === 'login') expect(byId['tls']!.status).toBe(ssl ? 'pass' : 'info');
      expect(byId[failing]).toMatchObject({ status: 'fail' });
      expect(byId[failing]!.summary).toContain(says);
      expect(leakedPasswords(run.stdout + run.stderr, password, value)).toEqual([]);
    });

    it('bounds each Secrets Manager request by --timeout-ms when Secrets Manager accepts the connection and never answers', async () => {
      const port = await stallingServer('silent', false);

      const run = await credstage(['doctor', 'any/secret', '--endpoint', `http://127.0.0.1:${port}`, '--timeout-ms', '700', '--json'], { killAfterMs: 60_000 });

      expect(run.signal).toBeNull();
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as Report;
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId['read']).toMatchObject({ status: 'fail', data: { code: 'ERR_SERVICE_UNAVAILABLE' } });
      expect(byId['read']!.summary).toContain('700 ms');
      expect(byId['pending']!.status).toBe('skip');
    });
  });
});
