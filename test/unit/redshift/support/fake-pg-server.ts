import { createServer, type Server, type Socket } from 'node:net';

/** One login the fake server saw. */
export interface FakeLogin {
  user: string;
  database: string;
  accepted: boolean;
}

/** How the fake answers a login after the password check. */
export type LoginRule = (user: string, database: string) => { code: string; message: string } | undefined;

/**
 * A tiny PostgreSQL wire-protocol server for unit tests: cleartext password auth against a
 * user → password map (so a test "rotates" by changing the map), refuses TLS ('N'), and answers
 * every simple query with one row holding the session's user — except a query containing
 * `raise 28000`, which fails with SQLSTATE 28000 on the established session.
 */
export class FakePgServer {
  readonly users = new Map<string, string>();
  readonly logins: FakeLogin[] = [];
  sslRequests = 0;
  queries = 0;
  /** Extra check after the password (e.g. a database that does not exist). */
  rule: LoginRule | undefined;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor() {
    this.#server = createServer((socket) => this.#serve(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let started = false;
    let user = '';
    let database = '';
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 4) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          const body = buffer.subarray(8, length);
          buffer = buffer.subarray(length);
          if (code === 80877103) {
            this.sslRequests++;
            socket.write('N');
            continue;
          }
          const params = body.toString('utf8').split('\0');
          for (let i = 0; i + 1 < params.length; i += 2) {
            if (params[i] === 'user') user = params[i + 1]!;
            if (params[i] === 'database') database = params[i + 1]!;
          }
          started = true;
          socket.write(message('R', int32(3))); // AuthenticationCleartextPassword
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]!);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const body = buffer.subarray(5, 1 + length);
        buffer = buffer.subarray(1 + length);
        if (type === 'p') this.#login(socket, user, database, body.toString('utf8').replace(/\0$/, ''));
        else if (type === 'Q') this.#query(socket, user, body.toString('utf8'));
        else if (type === 'X') socket.end();
      }
    });
  }

  #login(socket: Socket, user: string, database: string, password: string): void {
    const accepted = this.users.get(user) === password;
    const failure = accepted ? this.rule?.(user, database) : { code: '28P01', message: `password authentication failed for user "${user}"` };
    this.logins.push({ user, database, accepted: failure === undefined });
    if (failure !== undefined) {
      socket.end(errorResponse('FATAL', failure.code, failure.message));
      return;
    }
    socket.write(
      Buffer.concat([message('R', int32(0)), message('K', Buffer.concat([int32(4242), int32(7)])), message('Z', Buffer.from('I'))]),
    );
  }

  #query(socket: Socket, user: string, sql: string): void {
    this.queries++;
    if (sql.includes('raise 28000')) {
      socket.write(Buffer.concat([errorResponse('ERROR', '28000', 'role check failed'), message('Z', Buffer.from('I'))]));
      return;
    }
    const field = Buffer.concat([cstring('current_user'), int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)]);
    const value = Buffer.from(user, 'utf8');
    socket.write(
      Buffer.concat([
        message('T', Buffer.concat([int16(1), field])),
        message('D', Buffer.concat([int16(1), int32(value.length), value])),
        message('C', cstring('SELECT 1')),
        message('Z', Buffer.from('I')),
      ]),
    );
  }
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function cstring(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

function errorResponse(severity: string, code: string, text: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from('S'),
    cstring(severity),
    Buffer.from('V'),
    cstring(severity),
    Buffer.from('C'),
    cstring(code),
    Buffer.from('M'),
    cstring(text),
    Buffer.from([0]),
  ]);
  return message('E', fields);
}
