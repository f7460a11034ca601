import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';

const VERSION = 'v1';

/** A stored credential that neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS opens. */
export class UndecryptableCredentialError extends Error {
  constructor() {
    super(
      'the stored token cannot be decrypted: ENCRYPTION_KEY does not match the key it was stored with ' +
        '(set ENCRYPTION_KEY_PREVIOUS to the old key, or re-enter the connection token)',
    );
  }
}

/**
 * AES-256-GCM for LMS credentials at rest: "v1.<iv>.<tag>.<ciphertext>", all base64url.
 * Encrypts with ENCRYPTION_KEY; decrypts with it or, during a rotation, with ENCRYPTION_KEY_PREVIOUS.
 */
@Injectable()
export class CredentialCipher {
  private readonly key: Buffer;
  private readonly previousKey: Buffer | undefined;

  constructor(config: AppConfig) {
    this.key = config.encryptionKey;
    this.previousKey = config.previousEncryptionKey;
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(sealed: string): string {
    const opened = this.open(sealed);
    if (opened === undefined) throw new UndecryptableCredentialError();
    return opened.plain;
  }

  /** The plain text and whether it was sealed with the previous key (and so should be sealed again), or undefined. */
  open(sealed: string): { plain: string; withPreviousKey: boolean } | undefined {
    const parts = parse(sealed);
    const current = decryptWith(this.key, parts);
    if (current !== undefined) return { plain: current, withPreviousKey: false };
    const previous = this.previousKey ? decryptWith(this.previousKey, parts) : undefined;
    return previous === undefined ? undefined : { plain: previous, withPreviousKey: true };
  }
}

interface SealedParts {
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

function parse(sealed: string): SealedParts {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || data === undefined) {
    throw new Error('Stored credential is not in a format this version can read');
  }
  const parts = { iv: Buffer.from(iv, 'base64url'), tag: Buffer.from(tag, 'base64url'), data: Buffer.from(data, 'base64url') };
  if (parts.iv.length !== 12 || parts.tag.length !== 16) throw new Error('Stored credential is damaged');
  return parts;
}

/** undefined when the authentication tag does not match: another key, or tampered data. */
function decryptWith(key: Buffer, { iv, tag, data }: SealedParts): string | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
