import { Client } from 'pg';

export const FINAL_STATES = ['synced', 'blocked', 'failed', 'skipped'] as const;

export interface StateCounts {
  byState: Record<string, number>;
  total: number;
  open: number;
}

/** Syncs by state, read directly from PostgreSQL. */
export async function countSyncStates(db: Client): Promise<StateCounts> {
  const { rows } = await db.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM syncs GROUP BY state ORDER BY state');
  const byState: Record<string, number> = {};
  for (const r of rows) byState[r.state] = Number(r.n);
  const total = Object.values(byState).reduce((a, b) => a + b, 0);
  const final = FINAL_STATES.reduce((sum, s) => sum + (byState[s] ?? 0), 0);
  return { byState, total, open: total - final };
}

export function formatStates(c: StateCounts): string {
  return Object.entries(c.byState)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ') || 'none';
}

/** What the attempts' recorded LMS calls weigh: their JSON text, in all and per attempt. */
export async function attemptCallsSize(db: Client): Promise<{ attempts: number; bytes: number }> {
  const { rows } = await db.query<{ n: string; bytes: string | null }>('SELECT count(*) AS n, sum(octet_length(calls::text)) AS bytes FROM sync_attempts');
  return { attempts: Number(rows[0]!.n), bytes: Number(rows[0]!.bytes ?? 0) };
}

/** Attempts by outcome and error code, most first: retries and their causes. */
export async function attemptOutcomes(db: Client): Promise<string> {
  const { rows } = await db.query<{ outcome: string; error_code: string | null; n: string; reason: string | null }>(
    `SELECT outcome, error_code, count(*) AS n, min(reason) AS reason FROM sync_attempts GROUP BY outcome, error_code ORDER BY count(*) DESC`,
  );
  return rows.map((r) => `${r.outcome}${r.error_code ? ` (${r.error_code})` : ''} ${r.n}${r.outcome === 'synced' ? '' : `: ${String(r.reason ?? '').slice(0, 160)}`}`).join('; ') || 'none';
}
