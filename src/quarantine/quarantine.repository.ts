import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { QuarantinedCallbackEntity } from './quarantined-callback.entity';

export type NewQuarantinedCallback = Pick<QuarantinedCallbackEntity, 'status' | 'reason' | 'contentType' | 'bodyEncrypted' | 'bodyBytes' | 'rawQuery' | 'sourceIp' | 'requestId'>;

/**
 * One statement keeps a callback and enforces the bounds: rows older than the retention go, and
 * so do rows more than `maxRows` behind the newest (by seq, an index lookup, not a count).
 */
const KEEP = `
  WITH kept AS (
    INSERT INTO callback_quarantine (status, reason, content_type, body_encrypted, body_bytes, raw_query, source_ip, request_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    RETURNING id, seq
  ), pruned AS (
    DELETE FROM callback_quarantine
     WHERE received_at < now() - make_interval(days => $9::integer)
        OR seq <= (SELECT seq FROM kept) - $10::bigint
    RETURNING 1
  )
  SELECT kept.id, (SELECT count(*) FROM pruned) AS pruned FROM kept`;

@Injectable()
export class QuarantineRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get rows() {
    return this.db.getRepository(QuarantinedCallbackEntity);
  }

  async keep(entry: NewQuarantinedCallback, bounds: { retentionDays: number; maxRows: number }): Promise<{ id: string; pruned: number }> {
    const [row] = (await this.db.query(KEEP, [
      entry.status, entry.reason, entry.contentType, entry.bodyEncrypted, entry.bodyBytes, entry.rawQuery, entry.sourceIp, entry.requestId,
      bounds.retentionDays, bounds.maxRows,
    ])) as { id: string; pruned: string }[];
    return { id: row!.id, pruned: Number(row!.pruned) };
  }

  /** Newest first; `limit + 1` rows so the caller knows whether there is a next page. */
  page(limit: number, beforeSeq: string | null): Promise<QuarantinedCallbackEntity[]> {
    const query = this.rows.createQueryBuilder('q').orderBy('q.seq', 'DESC').limit(limit + 1);
    if (beforeSeq) query.where('q.seq < :beforeSeq', { beforeSeq });
    return query.getMany();
  }

  find(id: string): Promise<QuarantinedCallbackEntity | null> {
    return this.rows.findOne({ where: { id } });
  }

  async remove(id: string): Promise<void> {
    await this.rows.delete({ id });
  }

  async count(): Promise<number> {
    return this.rows.count();
  }
}
