import { Client } from 'pg';
import { sleep } from './bench-env';

/** Counts and looks up rows of one table, directly in PostgreSQL. */
export class RowCounter {
  constructor(
    private readonly db: Client,
    private readonly table: string,
  ) {
    if (!/^[a-z_]+$/.test(table)) throw new Error(`unsafe table name "${table}"`);
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
    return Number(rows[0]!.n);
  }

  /** Waits until the count stops changing (requests still in the server when the load stopped), at most `timeoutMs`. */
  async settled(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.count();
    while (Date.now() < deadline) {
      await sleep(300);
      const now = await this.count();
      if (now === last) return now;
      last = now;
    }
    return last;
  }

  /** How many of these ids are stored. */
  async countIds(ids: readonly string[]): Promise<number> {
    let found = 0;
    for (let i = 0; i < ids.length; i += 5000) {
      const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE id = ANY($1::uuid[])`, [ids.slice(i, i + 5000)]);
      found += Number(rows[0]!.n);
    }
    return found;
  }
}
