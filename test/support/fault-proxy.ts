import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What the proxy does with the next requests:
 * - `pass`: forwards to the target;
 * - `refuse`: closes its listening socket (and open sockets), so connections are refused;
 * - `reset`: accepts each connection and destroys it at once;
 * - `http500`: answers HTTP 500 with an InternalFailure body;
 * - `throttle`: answers as Secrets Manager does when throttling (AWS JSON protocol);
 * - `stall`: holds each request `stallMs` before forwarding it.
 */
export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'refuse' }
  | { kind: 'reset' }
  | { kind: 'http500' }
  | { kind: 'throttle' }
  | { kind: 'stall'; stallMs: number };

export interface FaultProxyCounts {
  /** TCP connections accepted (refused ones never reach the proxy). */
  connections: number;
  /** HTTP requests received, whatever was done with them. */
  requests: number;
  /** Requests forwarded to the target. */
  forwarded: number;
}

/**
 * A small HTTP proxy on 127.0.0.1 in front of one target (moto), with switchable faults.
 * Requests are counted, so tests can hold a client to the number of attempts its backoff allows.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start(servers().moto.endpoint);
 * proxy.setMode({ kind: 'throttle' });
 * // ... point an SDK client at proxy.endpoint ...
 * proxy.setMode({ kind: 'pass' });
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  readonly counts: FaultProxyCounts = { connections: 0, requests: 0, forwarded: 0 };
  #mode: FaultMode = { kind: 'pass' };
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #listening = false;
  #closed = false;

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    readonly port: number,
  ) {}

  /** Starts the proxy on a free port of 127.0.0.1, forwarding to `targetEndpoint` (http://host:port). */
  static async start(targetEndpoint: string): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((req, res) => proxy!.#handle(req, res));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, resolve);
    });
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('fault proxy: no address');
    proxy = new FaultProxy(server, new URL(targetEndpoint), address.port);
    proxy.#listening = true;
    server.on('connection', (socket) => proxy!.#accept(socket));
    return proxy;
  }

  /** For the AWS SDK's `endpoint` option. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mode(): FaultMode {
    return this.#mode;
  }

  /** Switches the fault. `refuse` stops listening until another mode is set. */
  async setMode(mode: FaultMode): Promise<void> {
    this.#mode = mode;
    if (mode.kind === 'refuse') {
      this.#dropSockets();
      if (this.#listening) {
        this.#listening = false;
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
      }
      return;
    }
    // Sockets kept alive under an earlier mode must not carry requests past the new one.
    this.#dropSockets();
    if (!this.#listening && !this.#closed) {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen({ host: '127.0.0.1', port: this.port }, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
      this.#listening = true;
    }
  }

  /** Stops the proxy and drops every connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#dropSockets();
    if (this.#listening) {
      this.#listening = false;
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
  }

  #accept(socket: Socket): void {
    this.counts.connections++;
    if (this.#mode.kind === 'reset') {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }

  #dropSockets(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests++;
    const mode = this.#mode;
    switch (mode.kind) {
      case 'http500':
        req.resume();
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: 'injected HTTP 500' }));
        return;
      case 'throttle':
        req.resume();
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException' });
        res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        return;
      case 'stall': {
        const body = readBody(req);
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          if (!res.destroyed) void body.then((bytes) => this.#forward(req, bytes, res));
        }, mode.stallMs);
        this.#timers.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          this.#timers.delete(timer);
        });
        return;
      }
      default:
        void readBody(req).then((bytes) => this.#forward(req, bytes, res));
    }
  }

  #forward(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    this.counts.forwarded++;
    const upstream = httpRequest(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.alloc(0)));
  });
}
