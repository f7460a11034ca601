import { randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { CredentialCipher, UndecryptableCredentialError } from './credential-cipher';
import { hashSecret, secretMatchesAny } from './secret-hash';

const newCipher = (key: Buffer = randomBytes(32), previousKey?: Buffer) =>
  new CredentialCipher({ encryptionKey: key, previousEncryptionKey: previousKey } as AppConfig);

/** Replaces one dot-separated part of a sealed value. */
function withPart(sealed: string, index: number, change: (part: Buffer) => Buffer): string {
  const parts = sealed.split('.');
  parts[index] = change(Buffer.from(parts[index]!, 'base64url')).toString('base64url');
  return parts.join('.');
}

function flipFirstBit(part: Buffer): Buffer {
  const copy = Buffer.from(part);
  copy[0] = copy[0]! ^ 0x01;
  return copy;
}

describe('CredentialCipher', () => {
  const cipher = newCipher();

  it.each([
    ['a Moodle token', '0123456789abcdef0123456789abcdef'],
    ['an empty string', ''],
    ['non-ASCII text', 'clé secrète – 秘密 🔑'],
    ['a long value', 'x'.repeat(10_000)],
    ['text with dots', 'a.b.c.d'],
  ])('round-trips %s', (_name, plain) => {
    expect(cipher.decrypt(cipher.encrypt(plain))).toBe(plain);
  });

  it('seals as v1.<12-byte iv>.<16-byte tag>.<ciphertext>, base64url, without the plain text', () => {
    const plain = 'secret-token-value';
    const sealed = cipher.encrypt(plain);
    const [version, iv, tag, data] = sealed.split('.');
    expect(version).toBe('v1');
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(data!, 'base64url')).toHaveLength(Buffer.byteLength(plain));
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/);
    expect(sealed).not.toContain(plain);
  });

  it('uses a fresh IV every time, so the same plain text never seals the same way', () => {
    const sealed = Array.from({ length: 50 }, () => cipher.encrypt('same'));
    expect(new Set(sealed).size).toBe(50);
    expect(new Set(sealed.map((s) => s.split('.')[1])).size).toBe(50);
    for (const s of sealed) expect(cipher.decrypt(s)).toBe('same');
  });

  it.each([
    ['the ciphertext', 3],
    ['the auth tag', 2],
    ['the IV', 1],
  ])('refuses a value whose %s was altered', (_name, index) => {
    const sealed = cipher.encrypt('0123456789abcdef');
    expect(() => cipher.decrypt(withPart(sealed, index, flipFirstBit))).toThrow();
  });

  it('refuses a value whose ciphertext was extended', () => {
    const sealed = cipher.encrypt('token');
    expect(() => cipher.decrypt(withPart(sealed, 3, (b) => Buffer.concat([b, Buffer.from('x')])))).toThrow();
  });

  it('refuses a value sealed with another key, naming ENCRYPTION_KEY', () => {
    expect(() => newCipher().decrypt(cipher.encrypt('token'))).toThrow(UndecryptableCredentialError);
    expect(() => newCipher().decrypt(cipher.encrypt('token'))).toThrow(/ENCRYPTION_KEY does not match/);
  });

  describe('during a key rotation (ENCRYPTION_KEY_PREVIOUS)', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = newCipher(oldKey);
    const during = newCipher(newKey, oldKey);

    it('opens values sealed with the previous key and says they need sealing again', () => {
      const sealed = before.encrypt('moodle-token');
      expect(during.decrypt(sealed)).toBe('moodle-token');
      expect(during.open(sealed)).toEqual({ plain: 'moodle-token', withPreviousKey: true });
    });

    it('seals with the new key only', () => {
      const sealed = during.encrypt('moodle-token');
      expect(during.open(sealed)).toEqual({ plain: 'moodle-token', withPreviousKey: false });
      expect(before.open(sealed)).toBeUndefined();
      expect(newCipher(newKey).decrypt(sealed)).toBe('moodle-token');
    });

    it('opens nothing sealed with a third key', () => {
      expect(during.open(newCipher().encrypt('moodle-token'))).toBeUndefined();
    });
  });

  it.each([
    ['another version', (s: string) => s.replace(/^v1\./, 'v2.')],
    ['a missing part', (s: string) => s.split('.').slice(0, 3).join('.')],
    ['a plain value', () => 'plain-token'],
    ['an empty value', () => ''],
  ])('refuses %s with a clear message', (_name, mangle) => {
    expect(() => cipher.decrypt(mangle(cipher.encrypt('token')))).toThrow(/format/);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => newCipher(randomBytes(16)).encrypt('token')).toThrow();
  });
});

describe('secret hashing', () => {
  it('hashes to 64 hex characters, the same every time, and differently for different secrets', () => {
    expect(hashSecret('IlYq1zwpMrCaUAW3')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret('IlYq1zwpMrCaUAW3')).toBe(hashSecret('IlYq1zwpMrCaUAW3'));
    expect(hashSecret('IlYq1zwpMrCaUAW3')).not.toBe(hashSecret('IlYq1zwpMrCaUAW4'));
  });

  it('matches a secret against any of several stored hashes', () => {
    const hashes = [hashSecret('old-key'), hashSecret('new-key')];
    expect(secretMatchesAny('old-key', hashes)).toBe(true);
    expect(secretMatchesAny('new-key', hashes)).toBe(true);
  });

  it('does not match a wrong, empty or case-changed secret', () => {
    const hashes = [hashSecret('Key-1')];
    expect(secretMatchesAny('key-1', hashes)).toBe(false);
    expect(secretMatchesAny('', hashes)).toBe(false);
    expect(secretMatchesAny('Key-1', [])).toBe(false);
  });

  it('ignores a stored hash that is malformed instead of throwing', () => {
    expect(secretMatchesAny('Key-1', ['not-hex', '', hashSecret('Key-1').slice(0, 10)])).toBe(false);
    expect(secretMatchesAny('Key-1', ['zz', hashSecret('Key-1')])).toBe(true);
  });
});
