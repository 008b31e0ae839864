import { connect, createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (binds port 0, reads the port back, closes).
 *
 * Another process could take the port before the caller binds it; on a test machine that race
 * is rare enough that launchers simply fail with a clear error when it happens.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read back a free port'))));
    });
  });
}

/**
 * Resolves true when a TCP connection to 127.0.0.1:`port` succeeds within `timeoutMs`, else false.
 *
 * @example
 * ```ts
 * if (await canConnect(port)) console.log('listening');
 * ```
 */
export function canConnect(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
