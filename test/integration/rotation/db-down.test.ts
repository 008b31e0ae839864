import { createServer, connect, type Server, type Socket } from 'node:net';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationError } from '../../../src/errors.js';
import { rotateSecret } from '../../../src/rotation/index.js';
import { freePort } from '../../../tools/servers/free-port.js';
import { servers } from '../../support/servers.js';
import { STRATEGIES, logsIn, rotatableSecret, type Engine } from './support.js';
import { holderOf, readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

/**
 * A TCP forwarder on a fixed local port: "down" closes the port (connections refused, open ones
 * cut), "up" listens again. The database itself never restarts.
 */
class Switch {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  up(): Promise<void> {
    const server = createServer((socket) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [socket, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  down(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

const ENGINES: readonly Engine[] = ['mongo', 'postgres'];
const COMBOS = ENGINES.flatMap((engine) => STRATEGIES.map((strategy) => [engine, strategy] as const));

describe('the database is down during setSecret, then up again', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  it.each(COMBOS)('%s, %s: a clear error naming setSecret, AWSPENDING kept, and the next run completes', async (engine, strategy) => {
    const target = engine === 'mongo' ? servers().ferretdb.port : servers().postgres.port;
    const db = new Switch(await freePort(), target);
    await db.up();
    try {
      const { secretId, versionId } = await rotatableSecret(client, engine, strategy, { port: db.port });
      await db.down();

      const err = (await rotateSecret({ secretId, secretsManager: client, strategy, connectTimeoutMs: 1_000 }).catch((e: unknown) => e)) as RotationError;

      expect(err).toBeInstanceOf(RotationError);
      expect(err.step).toBe('setSecret');
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/failed in setSecret .*ECONNREFUSED/);
      expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(err.clientRequestToken);
      expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(versionId);
      await db.up();
      expect(await logsIn((await readStage(client, secretId, 'AWSCURRENT')).value)).toBe(true);

      const result = await rotateSecret({ secretId, secretsManager: client, strategy, connectTimeoutMs: 1_000 });

      expect(result.clientRequestToken).toBe(err.clientRequestToken);
      expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(err.clientRequestToken);
      expect(await logsIn((await readStage(client, secretId, 'AWSCURRENT')).value)).toBe(true);
    } finally {
      await db.down();
    }
  });
});
