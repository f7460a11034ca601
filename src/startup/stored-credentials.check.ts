import { Client } from 'pg';
import { CredentialCipher } from '../common/crypto/credential-cipher';

export interface StoredCredentialsReport {
  /** Tokens sealed with ENCRYPTION_KEY_PREVIOUS, now sealed again with ENCRYPTION_KEY. */
  resealed: number;
  /** Connections whose token no configured key opens. */
  unreadable: { id: string; name: string }[];
}

/**
 * Opens every stored LMS token at start-up, so a changed ENCRYPTION_KEY stops the service at once
 * instead of failing every sync later, and finishes a rotation: tokens still sealed with
 * ENCRYPTION_KEY_PREVIOUS are sealed again with ENCRYPTION_KEY (only if nobody changed them meanwhile).
 */
export async function checkStoredCredentials(databaseUrl: string, cipher: CredentialCipher): Promise<StoredCredentialsReport> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; name: string; token: string }>(
      'SELECT id, name, token_encrypted AS token FROM connections WHERE token_encrypted IS NOT NULL ORDER BY created_at',
    );
    const report: StoredCredentialsReport = { resealed: 0, unreadable: [] };
    for (const row of rows) {
      let opened;
      try {
        opened = cipher.open(row.token);
      } catch {
        opened = undefined; // not in a format we can read: as unreadable as a wrong key
      }
      if (opened === undefined) report.unreadable.push({ id: row.id, name: row.name });
      else if (opened.withPreviousKey) {
        const updated = await client.query('UPDATE connections SET token_encrypted = $1 WHERE id = $2 AND token_encrypted = $3', [
          cipher.encrypt(opened.plain),
          row.id,
          row.token,
        ]);
        report.resealed += updated.rowCount ?? 0;
      }
    }
    return report;
  } finally {
    await client.end();
  }
}

/** The operator's line when tokens cannot be opened: names ENCRYPTION_KEY and the ways out. */
export function unreadableCredentialsMessage(unreadable: StoredCredentialsReport['unreadable']): string {
  const names = unreadable.map((c) => `"${c.name}" (${c.id})`).join(', ');
  return (
    `ENCRYPTION_KEY: does not decrypt the stored LMS token of ${unreadable.length} connection(s): ${names}. ` +
    'It is not the key they were stored with. Start again with the old ENCRYPTION_KEY, or with the new one and ' +
    'ENCRYPTION_KEY_PREVIOUS=<the old key> to re-encrypt them; if the old key is lost, start once with ' +
    'ENCRYPTION_KEY_LOST=1 and re-enter each token (PATCH /api/v1/connections/:id {"token": …}).'
  );
}
