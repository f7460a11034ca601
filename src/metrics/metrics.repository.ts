import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OPEN_SYNC_STATES } from '../sync/sync.entity';

/** The database reads behind the gauges, run at scrape time so every API process reports the same totals. */
@Injectable()
export class MetricsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async syncCountsByState(): Promise<Map<string, number>> {
    const rows: { state: string; count: string }[] = await this.db.query('SELECT state, count(*) AS count FROM syncs GROUP BY state');
    return new Map(rows.map((r) => [r.state, Number(r.count)]));
  }

  async quarantineRows(): Promise<number> {
    const rows: { count: string }[] = await this.db.query('SELECT count(*) AS count FROM callback_quarantine');
    return Number(rows[0]?.count ?? 0);
  }

  /** Seconds since the oldest sync that is still pending or queued was created; 0 when none is open. */
  async oldestOpenSyncAgeSeconds(): Promise<number> {
    const rows: { age: string | null }[] = await this.db.query(
      'SELECT EXTRACT(EPOCH FROM (now() - min(created_at))) AS age FROM syncs WHERE state = ANY($1)',
      [OPEN_SYNC_STATES],
    );
    return Math.max(0, Number(rows[0]?.age ?? 0));
  }
}
