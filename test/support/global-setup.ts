import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startAllServers, type RunningPostgres, type RunningServers } from '../../tools/servers/index.js';
import { makeCertificates } from './certificates.js';
import type { ServerAddresses } from './servers.js';

/** The TLS PostgreSQL also listens here: an address its certificate (IP 127.0.0.1) does not name. */
const UNNAMED_ADDRESS = '127.0.0.2';
/** Members of this role can log in to the TLS PostgreSQL over TLS only: a plaintext login is rejected. */
const TLS_ONLY_ROLE = 'tls_only';

async function createTlsOnlyRole(server: RunningPostgres): Promise<void> {
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database, ssl: false });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${TLS_ONLY_ROLE} NOLOGIN`);
    // The superuser too (a master secret for alternating users): after this, TLS only.
    await admin.query(`GRANT ${TLS_ONLY_ROLE} TO ${admin.escapeIdentifier(server.user)}`);
  } finally {
    await admin.end();
  }
}

/**
 * Starts moto, PostgreSQL, a second PostgreSQL with TLS on (certificate from a CA made here) and
 * FerretDB once for the integration project and stops them after. A server that cannot start
 * fails the run with its one-line reason: integration tests never skip.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const certDir = mkdtempSync(join(tmpdir(), 'credstage-pg-tls-'));
  let running: RunningServers | undefined;
  try {
    const certs = makeCertificates(certDir);
    running = await startAllServers({
      postgresTls: {
        tls: { certFile: certs.certFile, keyFile: certs.keyFile },
        listenAddresses: ['127.0.0.1', UNNAMED_ADDRESS],
        // Every loopback address (127.0.0.2 too); members of the TLS-only role in plaintext: refused.
        hbaLines: [`hostnossl all +${TLS_ONLY_ROLE} 127.0.0.0/8 reject`, 'host all all 127.0.0.0/8 scram-sha-256'],
      },
    });
    const { moto, postgres, ferretdb, startMs } = running;
    const postgresTls = running.postgresTls!;
    await createTlsOnlyRole(postgresTls);
    const addresses: ServerAddresses = {
      moto: { endpoint: moto.endpoint, region: moto.region },
      postgres: {
        host: postgres.host,
        port: postgres.port,
        user: postgres.user,
        password: postgres.password,
        database: postgres.database,
        url: postgres.url,
      },
      postgresTls: {
        host: postgresTls.host,
        unnamedHost: UNNAMED_ADDRESS,
        port: postgresTls.port,
        user: postgresTls.user,
        password: postgresTls.password,
        database: postgresTls.database,
        tlsOnlyRole: TLS_ONLY_ROLE,
        caFile: certs.caFile,
        otherCaFile: certs.otherCaFile,
      },
      ferretdb: {
        host: ferretdb.host,
        port: ferretdb.port,
        username: ferretdb.username,
        password: ferretdb.password,
        url: ferretdb.url,
      },
    };
    project.provide('credstageServers', addresses);
    console.log(
      `test servers up: moto ${startMs.moto} ms, postgres ${startMs.postgres} ms, postgres (TLS) ${startMs.postgresTls} ms, ferretdb ${startMs.ferretdb} ms`,
    );
  } catch (err) {
    await running?.stop();
    rmSync(certDir, { recursive: true, force: true });
    throw err;
  }
  const started: RunningServers = running;
  return async () => {
    await started.stop();
    rmSync(certDir, { recursive: true, force: true });
  };
}
