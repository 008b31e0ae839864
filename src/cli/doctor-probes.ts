/**
 * The network probes of `credstage doctor`: name resolution, a TCP connection, and a TLS
 * handshake that reports the server's certificate chain. Each is bounded by a timeout and
 * leaves no socket open.
 */
import { lookup } from 'node:dns/promises';
import { isIP, Socket, connect as tcpConnect } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { CertificateSummary } from './doctor-report.js';

/** Rejects with an Error whose `code` is ETIMEDOUT when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} took longer than ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The addresses `host` resolves to, as the drivers would resolve it (`dns.lookup`, /etc/hosts included). */
export async function resolveHost(host: string, timeoutMs: number): Promise<string[]> {
  const found = await withTimeout(lookup(host, { all: true }), timeoutMs, `resolving ${host}`);
  return found.map((a) => a.address);
}

/** Opens a TCP connection and resolves it once connected; the caller ends it. */
function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(Object.assign(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

/** Connects to `host:port` and closes again; resolves how long the connection took. */
export async function probeTcp(host: string, port: number, timeoutMs: number): Promise<{ durationMs: number }> {
  const started = performance.now();
  const socket = await openSocket(host, port, timeoutMs);
  socket.destroy();
  return { durationMs: Math.round(performance.now() - started) };
}

/** What a TLS handshake showed. */
export interface TlsProbeResult {
  /** The chain as the server sent it, leaf first. */
  readonly chain: readonly CertificateSummary[];
  /** OpenSSL's verdict on the chain against the trusted CAs; undefined when it verified. */
  readonly chainError: (Error & { code?: string }) | undefined;
  /** Node's host name check of the leaf; undefined when the leaf names the host. */
  readonly hostError: (Error & { code?: string }) | undefined;
  readonly protocol: string | null;
}

/** PostgreSQL's SSLRequest: length 8, then the code 80877103. The server answers one byte, S or N. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** Sends the SSLRequest and resolves the server's answer byte. */
function askPostgresForTls(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => resolve(String.fromCharCode(chunk[0] ?? 0)));
    socket.once('error', reject);
    socket.once('close', () => reject(Object.assign(new Error('the server closed the connection after the SSLRequest'), { code: 'ECONNRESET' })));
    socket.write(SSL_REQUEST);
  });
}

function summarise(cert: DetailedPeerCertificate): CertificateSummary {
  const name = (n: Record<string, unknown> | undefined): string =>
    n === undefined ? '' : Object.entries(n).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ');
  return { subject: name(cert.subject as unknown as Record<string, unknown>), issuer: name(cert.issuer as unknown as Record<string, unknown>), validFrom: cert.valid_from, validTo: cert.valid_to };
}

/** The chain from the leaf up; a self-signed root points at itself, which ends the walk. */
function chainOf(leaf: DetailedPeerCertificate): CertificateSummary[] {
  const chain: CertificateSummary[] = [];
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = leaf; cert !== undefined && cert.raw !== undefined; cert = cert.issuerCertificate) {
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    chain.push(summarise(cert));
  }
  return chain;
}

function handshake(socket: Socket, host: string, ca: string | undefined, timeoutMs: number): Promise<TlsProbeResult> {
  // Verification is judged below, not by the handshake: the chain is shown either way. The host
  // name is checked apart from the chain, so `authorized` speaks of the chain alone.
  const options: ConnectionOptions = {
    socket,
    host,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...(ca === undefined ? {} : { ca }),
  };
  return new Promise((resolve, reject) => {
    const tls: TLSSocket = tlsConnect(options);
    tls.setTimeout(timeoutMs, () => {
      tls.destroy();
      reject(Object.assign(new Error(`no TLS handshake with ${host} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    tls.once('secureConnect', () => {
      const leaf = tls.getPeerCertificate(true);
      // Node gives the reason as OpenSSL's code, a string (typed as an Error).
      const reason = tls.authorizationError as unknown;
      const code = typeof reason === 'string' ? reason : ((reason as { code?: string } | null)?.code ?? 'CERT_UNVERIFIED');
      const chainError = tls.authorized ? undefined : Object.assign(new Error(code), { code });
      const hostError = leaf.raw === undefined ? undefined : (checkServerIdentity(host, leaf) as (Error & { code?: string }) | undefined);
      const result = { chain: leaf.raw === undefined ? [] : chainOf(leaf), chainError, hostError, protocol: tls.getProtocol() };
      tls.destroy();
      resolve(result);
    });
    tls.once('error', (err) => {
      tls.destroy();
      reject(err);
    });
  });
}

/**
 * Connects, starts TLS as the engine does (PostgreSQL and Redshift: SSLRequest first; DocumentDB:
 * TLS from the first byte), and reports the chain and whether it verifies against `ca` (or Node's
 * roots, with NODE_EXTRA_CA_CERTS, when `ca` is undefined). A server that refuses TLS rejects with
 * code `ERR_TLS_REFUSED`.
 */
export async function probeTls(options: {
  host: string;
  port: number;
  protocol: 'postgres' | 'mongo';
  ca: string | undefined;
  timeoutMs: number;
}): Promise<TlsProbeResult> {
  const { host, port, protocol, ca, timeoutMs } = options;
  const socket = await openSocket(host, port, timeoutMs);
  try {
    if (protocol === 'postgres') {
      const answer = await withTimeout(askPostgresForTls(socket), timeoutMs, 'the answer to the SSLRequest');
      if (answer !== 'S') throw Object.assign(new Error('the server does not accept TLS (it answered the SSLRequest with N)'), { code: 'ERR_TLS_REFUSED' });
    }
    return await handshake(socket, host, ca, timeoutMs);
  } finally {
    socket.destroy();
  }
}
