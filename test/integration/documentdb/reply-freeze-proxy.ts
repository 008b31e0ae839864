import { connect, createServer, type Server, type Socket } from 'node:net';

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  /** While true, the server's bytes for this connection are held back (never delivered). */
  frozen: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 in front of one MongoDB-protocol server (FerretDB). Commands always
 * reach the server; `freezeReplies()` withholds the replies on every connection open at that
 * moment, so a command is applied while the client hears nothing, as when a server or a
 * network path hangs after a write arrived. Connections opened later pass freely, so the
 * driver's monitor can reconnect and a retry could run.
 *
 * @example
 * ```ts
 * const proxy = await ReplyFreezeProxy.start('127.0.0.1', ferretdb.port);
 * proxy.freezeReplies(); // the next command is applied, its reply never arrives
 * await proxy.close();
 * ```
 */
export class ReplyFreezeProxy {
  readonly #links = new Set<Link>();
  #closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<ReplyFreezeProxy> {
    let proxy: ReplyFreezeProxy | undefined;
    const server = createServer((client) => proxy!.#accept(client, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, resolve);
    });
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('reply-freeze proxy: no address');
    proxy = new ReplyFreezeProxy(server, address.port);
    return proxy;
  }

  /** Connections open now never get another byte from the server. */
  freezeReplies(): void {
    for (const link of this.#links) link.frozen = true;
  }

  /** Stops listening and drops every connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { client, upstream } of this.#links) {
      client.destroy();
      upstream.destroy();
    }
    this.#links.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #accept(client: Socket, host: string, port: number): void {
    const upstream = connect({ host, port });
    const link: Link = { client, upstream, frozen: false };
    this.#links.add(link);
    client.on('data', (bytes: Buffer) => upstream.write(bytes));
    upstream.on('data', (bytes: Buffer) => {
      if (!link.frozen) client.write(bytes);
    });
    const drop = (): void => {
      this.#links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop).on('error', drop);
    upstream.on('close', drop).on('error', drop);
  }
}
