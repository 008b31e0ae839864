import type { TestProject } from 'vitest/node';
import { startAllServers } from '../../src/servers/index.js';
import type { ServerAddresses } from './servers.js';

/**
 * Starts moto, PostgreSQL and FerretDB once for the integration project and stops them after.
 * A server that cannot start fails the run with its one-line reason: integration tests never skip.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const running = await startAllServers();
  const { moto, postgres, ferretdb, startMs } = running;
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
    ferretdb: {
      host: ferretdb.host,
      port: ferretdb.port,
      username: ferretdb.username,
      password: ferretdb.password,
      url: ferretdb.url,
    },
  };
  project.provide('credstageServers', addresses);
  console.log(`test servers up: moto ${startMs.moto} ms, postgres ${startMs.postgres} ms, ferretdb ${startMs.ferretdb} ms`);
  return () => running.stop();
}
