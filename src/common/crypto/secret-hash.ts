import { createHash, timingSafeEqual } from 'node:crypto';

/** Keys and tokens we receive are high-entropy random strings, so a plain SHA-256 is enough to store them. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * True when `secret` hashes to one of `hashes`. Compares against every hash with
 * timingSafeEqual and never stops early, so timing tells nothing about which or how much matched.
 */
export function secretMatchesAny(secret: string, hashes: readonly string[]): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  let matched = false;
  for (const hash of hashes) {
    const stored = Buffer.from(hash, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) matched = true;
  }
  return matched;
}
