import { isIPv4, isIPv6 } from 'node:net';
import { InvalidSecretFormatError } from '../errors.js';

/** Which secret version a host came from, for the error that rejects it. */
export interface MongoUrlSource {
  secretId: string;
  versionId?: string | undefined;
}

// Letters, digits, dots, hyphens and underscores, starting and ending alphanumeric: none of the
// characters that end the host part of a URI (`/ ? # @ : , [ ]`) or need percent-encoding.
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const MAX_HOSTNAME_LENGTH = 253;

/** The host as it goes in a URI, or undefined when it is neither a hostname nor an IP address. */
function uriHost(host: string): string | undefined {
  const inner = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : undefined;
  // A zone id (`fe80::1%eth0`) would need percent-encoding; DocumentDB endpoints never have one.
  if (inner !== undefined) return isIPv6(inner) && !inner.includes('%') ? host : undefined;
  if (isIPv6(host)) return host.includes('%') ? undefined : `[${host}]`;
  if (isIPv4(host)) return host;
  return host.length <= MAX_HOSTNAME_LENGTH && HOSTNAME.test(host) ? host : undefined;
}

/**
 * The `mongodb://host:port/` URI of one secret version, with nothing but host and port: the
 * username and password go in the MongoClient's `auth` option, and a host from the secret can
 * never add a user, another host or a URI option (`h/?authMechanism=PLAIN`). Accepts a
 * hostname, an IPv4 address, or an IPv6 address (bracketed or not); anything else throws
 * InvalidSecretFormatError naming `host` (or `port` for a port outside 1-65535).
 *
 * @example
 * ```ts
 * mongoUrl('::1', 27017, { secretId: 'app/docdb', versionId }); // 'mongodb://[::1]:27017/'
 * ```
 */
export function mongoUrl(host: string, port: number, source: MongoUrlSource): string {
  // Only the ids: callers may pass a whole secret, and its password must not reach the error.
  const ref = { secretId: source.secretId, versionId: source.versionId };
  const checkedHost = typeof host === 'string' ? uriHost(host) : undefined;
  if (checkedHost === undefined) {
    throw new InvalidSecretFormatError({ ...ref, field: 'host', problem: 'must be a hostname or an IP address' });
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidSecretFormatError({ ...ref, field: 'port', problem: 'must be an integer from 1 to 65535' });
  }
  return `mongodb://${checkedHost}:${port}/`;
}
