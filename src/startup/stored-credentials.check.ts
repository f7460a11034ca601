import { Client } from 'pg';
import { CredentialCipher } from '../common/crypto/credential-cipher';

export interface StoredCredentialsReport {
  /** Values sealed with ENCRYPTION_KEY_PREVIOUS, now sealed again with ENCRYPTION_KEY. */
  resealed: number;
  /** LTI tool keys sealed with ENCRYPTION_KEY_PREVIOUS, now sealed again with ENCRYPTION_KEY. */
  resealedToolKeys: number;
  /** Connections whose token no configured key opens: grading through them is impossible. */
  unreadable: { id: string; name: string }[];
  /** Quarantined callback bodies no configured key opens: they can no longer be replayed. */
  unreadableQuarantined: number;
  /** kids of LTI tool keys whose private half no configured key opens: they can no longer sign. */
  unreadableToolKeys: string[];
}

interface SealedRow {
  id: string;
  name: string;
  sealed: string;
}

/** Every column sealed with ENCRYPTION_KEY, and how a row is named in messages. */
const SEALED_COLUMNS = [
  { table: 'connections', column: 'token_encrypted', name: 'name' },
  { table: 'callback_quarantine', column: 'body_encrypted', name: "'quarantined callback'" },
  { table: 'lti_tool_keys', column: 'private_key_encrypted', name: 'kid' },
] as const;

/**
 * Opens everything stored with ENCRYPTION_KEY at start-up, so a changed key stops the service at
 * once instead of failing every sync later, and finishes a rotation: values still sealed with
 * ENCRYPTION_KEY_PREVIOUS are sealed again with ENCRYPTION_KEY (only if nobody changed them meanwhile).
 */
export async function checkStoredCredentials(databaseUrl: string, cipher: CredentialCipher): Promise<StoredCredentialsReport> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const report: StoredCredentialsReport = { resealed: 0, resealedToolKeys: 0, unreadable: [], unreadableQuarantined: 0, unreadableToolKeys: [] };
    for (const { table, column, name } of SEALED_COLUMNS) {
      const { rows } = await client.query<SealedRow>(`SELECT id, ${name} AS name, ${column} AS sealed FROM ${table} WHERE ${column} IS NOT NULL AND ${column} <> ''`);
      for (const row of rows) {
        const opened = tryOpen(cipher, row.sealed);
        if (opened === undefined) {
          if (table === 'connections') report.unreadable.push({ id: row.id, name: row.name });
          else if (table === 'lti_tool_keys') report.unreadableToolKeys.push(row.name);
          else report.unreadableQuarantined++;
        } else if (opened.withPreviousKey) {
          const updated = await client.query(`UPDATE ${table} SET ${column} = $1 WHERE id = $2 AND ${column} = $3`, [cipher.encrypt(opened.plain), row.id, row.sealed]);
          if (table === 'lti_tool_keys') report.resealedToolKeys += updated.rowCount ?? 0;
          else report.resealed += updated.rowCount ?? 0;
        }
      }
    }
    return report;
  } finally {
    await client.end();
  }
}

function tryOpen(cipher: CredentialCipher, sealed: string) {
  try {
    return cipher.open(sealed);
  } catch {
    return undefined; // not in a format we can read: as unreadable as a wrong key
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

/** The operator's line when LTI tool keys cannot be opened: the same ways out, and what to do when the old key is lost. */
export function unreadableToolKeysMessage(kids: readonly string[]): string {
  return (
    `ENCRYPTION_KEY: does not decrypt the private half of ${kids.length} LTI tool key(s) (kid ${kids.join(', ')}). ` +
    'It is not the key they were stored with. Start again with the old ENCRYPTION_KEY, or with the new one and ' +
    'ENCRYPTION_KEY_PREVIOUS=<the old key> to re-encrypt them; if the old key is lost, start once with ' +
    'ENCRYPTION_KEY_LOST=1, create a new tool key (POST /api/v1/lti/keys/rotate), register it with each LTI platform, and delete the unreadable ones.'
  );
}
