import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../../../../src/rotation/adapters/scram.js';

// The SCRAM-SHA-256 exchange of RFC 7677, section 3 (user "user", password "pencil").
const RFC = {
  password: 'pencil',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  authMessage:
    'n=user,r=rOprNGfwEbeRWgbNEkqO,' +
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,' +
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  clientProof: Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64'),
  serverSignature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

const FORMAT = /^SCRAM-SHA-256\$4096:([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

function parts(verifier: string | undefined): { salt: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const m = FORMAT.exec(verifier ?? '');
  if (!m) throw new Error(`not a SCRAM-SHA-256 verifier: ${verifier}`);
  return { salt: Buffer.from(m[1]!, 'base64'), storedKey: Buffer.from(m[2]!, 'base64'), serverKey: Buffer.from(m[3]!, 'base64') };
}

describe('scramSha256Verifier', () => {
  it('has the form PostgreSQL stores, with the injected salt, and is the same for the same salt', () => {
    const salt = Buffer.alloc(16, 7);

    const verifier = scramSha256Verifier('Pw:%&=+?#q"x', salt);

    expect(verifier).toMatch(FORMAT);
    expect(parts(verifier).salt).toEqual(salt);
    expect(parts(verifier).storedKey).toHaveLength(32);
    expect(parts(verifier).serverKey).toHaveLength(32);
    expect(scramSha256Verifier('Pw:%&=+?#q"x', salt)).toBe(verifier);
  });

  it("accepts RFC 7677's client proof and yields its server signature, as a server holding it would", () => {
    const { storedKey, serverKey } = parts(scramSha256Verifier(RFC.password, RFC.salt));

    // The server's check: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); SHA-256(ClientKey) must be StoredKey.
    const clientSignature = createHmac('sha256', storedKey).update(RFC.authMessage).digest();
    const clientKey = Buffer.from(RFC.clientProof.map((byte, i) => byte ^ clientSignature[i]!));
    expect(createHash('sha256').update(clientKey).digest()).toEqual(storedKey);
    expect(createHmac('sha256', serverKey).update(RFC.authMessage).digest('base64')).toBe(RFC.serverSignature);
  });

  it('draws a new 16-byte salt for each verifier when none is given', () => {
    const a = parts(scramSha256Verifier('same-password'));
    const b = parts(scramSha256Verifier('same-password'));

    expect(a.salt).toHaveLength(16);
    expect(a.salt).not.toEqual(b.salt);
  });

  it('gives no verifier for a password outside printable ASCII, whose SASLprep form may differ', () => {
    expect(scramSha256Verifier('pässword-1234')).toBeUndefined();
    expect(scramSha256Verifier('tab\there')).toBeUndefined();
    expect(scramSha256Verifier('')).toBeUndefined();
  });
});
