import { describe, expect, it } from 'vitest';
import { InvalidSecretFormatError } from '../../../src/errors.js';
import { mongoUrl } from '../../../src/internal/mongo-url.js';

const SOURCE = { secretId: 'app/docdb', versionId: 'v1' };

describe('mongoUrl', () => {
  it.each([
    ['docdb.cluster-abc.us-west-2.docdb.amazonaws.com', 'mongodb://docdb.cluster-abc.us-west-2.docdb.amazonaws.com:27017/'],
    ['127.0.0.1', 'mongodb://127.0.0.1:27017/'],
    ['::1', 'mongodb://[::1]:27017/'],
    ['[2001:db8::1]', 'mongodb://[2001:db8::1]:27017/'],
  ])('builds a URI of host %j and port only', (host, url) => {
    expect(mongoUrl(host, 27017, SOURCE)).toBe(url);
  });

  it.each(['h/?authMechanism=PLAIN&x=', 'a@b', 'h:1', 'h#x', 'h?x', '[h]', '[::1]:1', '', '-h', 'h,i', 'fe80::1%25eth0'])(
    'rejects host %j with InvalidSecretFormatError naming host',
    (host) => {
      expect(() => mongoUrl(host, 27017, SOURCE)).toThrow(expect.objectContaining({ name: 'InvalidSecretFormatError', field: 'host' }));
      expect(() => mongoUrl(host, 27017, SOURCE)).toThrow(InvalidSecretFormatError);
    },
  );

  it.each([0, 65_536, 1.5, Number.NaN])('rejects port %j naming port', (port) => {
    expect(() => mongoUrl('127.0.0.1', port, SOURCE)).toThrow(expect.objectContaining({ field: 'port' }));
  });

  it('takes only the ids from its source, never a password that comes along with them', () => {
    const source = { ...SOURCE, password: 'hunter2/?x' };

    const error = (() => {
      try {
        mongoUrl('a@b', 27017, source);
      } catch (err) {
        return err;
      }
      return undefined;
    })();

    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect(String(error)).not.toContain('hunter2');
  });
});
